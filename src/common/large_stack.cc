#include "common/large_stack.h"

#include <pthread.h>

#include <cstring>

namespace dicomlake {
namespace {

void* Trampoline(void* arg) {
  (*static_cast<const std::function<void()>*>(arg))();
  return nullptr;
}

}  // namespace

Status RunOnLargeStack(const std::function<void()>& fn, size_t stack_bytes) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  int rc = pthread_attr_setstacksize(&attr, stack_bytes);
  pthread_t thread;
  if (rc == 0)
    rc = pthread_create(&thread, &attr, &Trampoline, const_cast<std::function<void()>*>(&fn));
  pthread_attr_destroy(&attr);
  if (rc != 0) return Internal(std::string("cannot start a parser thread: ") + std::strerror(rc));
  pthread_join(thread, nullptr);
  return Status::Ok();
}

}  // namespace dicomlake
