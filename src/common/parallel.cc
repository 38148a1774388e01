#include "common/parallel.h"

#include <pthread.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "common/large_stack.h"

namespace dicomlake {
namespace {

struct Shared {
  size_t n;
  const std::function<void(size_t)>* fn;
  std::atomic<size_t> next{0};
};

void* Worker(void* arg) {
  auto* shared = static_cast<Shared*>(arg);
  for (size_t i = shared->next++; i < shared->n; i = shared->next++) (*shared->fn)(i);
  return nullptr;
}

}  // namespace

int WorkerCount(int requested) {
  if (requested > 0) return requested;
  unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int>(cores);
}

Status ParallelFor(size_t n, int threads, const std::function<void(size_t)>& fn) {
  if (n == 0) return Status::Ok();
  Shared shared;
  shared.n = n;
  shared.fn = &fn;
  size_t count = std::min<size_t>(static_cast<size_t>(WorkerCount(threads)), n);
  std::vector<pthread_t> workers;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kLargeStackBytes);
  Status status;
  for (size_t t = 0; t < count; ++t) {
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, &Worker, &shared);
    if (rc != 0) {
      status = Internal(std::string("cannot start a worker thread: ") + std::strerror(rc));
      break;
    }
    workers.push_back(thread);
  }
  pthread_attr_destroy(&attr);
  if (workers.empty()) return status;
  for (pthread_t t : workers) pthread_join(t, nullptr);
  return Status::Ok();  // started workers finished all the work even if fewer were started
}

}  // namespace dicomlake
