#include "common/hash.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <memory>

namespace dicomlake {
namespace {

std::string Hex(XXH128_hash_t h) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return buf;
}

}  // namespace

std::string Xxh3Hex(std::string_view data) { return Hex(XXH3_128bits(data.data(), data.size())); }

uint64_t Xxh3_64(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

Xxh3Hasher::Xxh3Hasher() : state_(XXH3_createState()) {
  XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}
Xxh3Hasher::~Xxh3Hasher() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }
void Xxh3Hasher::Update(std::string_view data) {
  XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), data.data(), data.size());
}
std::string Xxh3Hasher::HexDigest() const {
  return Hex(XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_)));
}

Result<std::string> Xxh3File(const std::string& path, int64_t* bytes) {
  *bytes = 0;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot read " + path);
  constexpr size_t kBuffer = 1 << 20;
  thread_local std::unique_ptr<char[]> buf(new char[kBuffer]);
  Xxh3Hasher hasher;
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), kBuffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return ErrnoError(e, "cannot read " + path);
    }
    if (n == 0) break;
    hasher.Update(std::string_view(buf.get(), static_cast<size_t>(n)));
    *bytes += n;
  }
  ::close(fd);
  return hasher.HexDigest();
}

}  // namespace dicomlake
