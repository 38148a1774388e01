// Random (version 4) UUIDs, for Delta table ids, data file names and run ids. Thread-safe.
#pragma once

#include <string>

namespace dicomlake {

// A new random UUID in canonical lower-case form, e.g. "3f2b...-4...-8...".
std::string NewUuid();

}  // namespace dicomlake
