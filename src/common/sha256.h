// SHA-256 (FIPS 180-4), for the identifiers that must equal Fabric's: silver `id` is the hex
// SHA-256 of "<sourceSystem>/<ResourceType>/<idOrig>"; and HMAC-SHA256 (RFC 2104), the keyed
// function behind de-identification's pseudonyms, UIDs and date shifts. Thread-safe; no state.
#pragma once

#include <string>
#include <string_view>

namespace dicomlake {

// 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);
// The 32 bytes of the digest.
std::string Sha256(std::string_view data);
// The 32 bytes of HMAC-SHA256(key, message).
std::string HmacSha256(std::string_view key, std::string_view message);

}  // namespace dicomlake
