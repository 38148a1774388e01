// SHA-256 (FIPS 180-4), for the identifiers that must equal Fabric's: silver `id` is the hex
// SHA-256 of "<sourceSystem>/<ResourceType>/<idOrig>". Thread-safe; no state.
#pragma once

#include <string>
#include <string_view>

namespace dicomlake {

// 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace dicomlake
