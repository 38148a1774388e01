// Running work on a thread with a large stack. DCMTK parses nested sequences recursively (one
// stack frame chain per level), so a file nesting thousands of levels overflows the default
// 8 MiB stack (DEPENDENCY-NOTES); parsing runs on threads made here.
#pragma once

#include <cstddef>
#include <functional>

#include "common/status.h"

namespace dicomlake {

inline constexpr size_t kLargeStackBytes = size_t{1} << 30;  // virtual; pages are used on demand

// Runs `fn` on a new thread with a stack of `stack_bytes` and waits for it.
Status RunOnLargeStack(const std::function<void()>& fn, size_t stack_bytes = kLargeStackBytes);

}  // namespace dicomlake
