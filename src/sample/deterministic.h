// Deterministic randomness for the sample generators: every value is a hash of (seed, what,
// index...), so the output does not depend on thread scheduling (SplitMix64's finaliser).
#pragma once

#include <cstdint>

namespace dicomlake::sample {

inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
inline uint64_t H(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  return Mix(Mix(Mix(Mix(seed) ^ a) ^ b) ^ c);
}
inline int Pick(uint64_t h, int n) { return static_cast<int>(h % static_cast<uint64_t>(n)); }

}  // namespace dicomlake::sample
