// The dashboard's files (src/serve/web/) and Chart.js (npm chart.js, installed by scripts/setup
// into .deps/web), compiled into the binary by cmake/Embed.cmake so that `serve` and `report`
// need nothing beside the executable.
#pragma once

#include <cstddef>
#include <string_view>

namespace dicomlake::serve {

struct EmbeddedFile {
  const char* name;  // "dashboard.js", "chart.umd.min.js"
  const unsigned char* data;
  size_t size;
  std::string_view text() const { return {reinterpret_cast<const char*>(data), size}; }
};

extern const EmbeddedFile kWebFiles[];
extern const size_t kWebFileCount;

}  // namespace dicomlake::serve
