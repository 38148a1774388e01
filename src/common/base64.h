// Base64 (RFC 4648, with padding) for InlineBinary values and JSON renderings of blobs.
#pragma once

#include <string>
#include <string_view>

namespace dicomlake {

// Appends the base64 encoding of `in` to `*out`.
void AppendBase64(std::string* out, std::string_view in);

inline std::string Base64(std::string_view in) {
  std::string out;
  AppendBase64(&out, in);
  return out;
}

}  // namespace dicomlake
