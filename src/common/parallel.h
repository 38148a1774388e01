// ParallelFor: runs fn(i) for i in [0, n) on `threads` worker threads with large stacks (see
// large_stack.h: DICOM parsing recurses per sequence level). Blocks until all are done. `fn` must
// be thread-safe; indexes are handed out dynamically, so uneven work balances itself.
#pragma once

#include <cstddef>
#include <functional>

#include "common/status.h"

namespace dicomlake {

// The number of worker threads for `requested` (0 = one per core, at least 1).
int WorkerCount(int requested);

Status ParallelFor(size_t n, int threads, const std::function<void(size_t)>& fn);

}  // namespace dicomlake
