// Content hashes: XXH3-128 (xxhash), as 32 lower-case hex digits. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace dicomlake {

std::string Xxh3Hex(std::string_view data);

// XXH3-64 of `data`: for in-memory sets, never stored.
uint64_t Xxh3_64(std::string_view data);

// XXH3-128 hex of the file at `path`, read in pieces (any size, little memory); its size into
// `*bytes`. Errors name the path.
Result<std::string> Xxh3File(const std::string& path, int64_t* bytes);

// Incremental form for data read in pieces.
class Xxh3Hasher {
 public:
  Xxh3Hasher();
  ~Xxh3Hasher();
  Xxh3Hasher(const Xxh3Hasher&) = delete;
  Xxh3Hasher& operator=(const Xxh3Hasher&) = delete;
  void Update(std::string_view data);
  std::string HexDigest() const;

 private:
  void* state_;
};

}  // namespace dicomlake
