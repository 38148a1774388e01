// silver ImagingMetastore (ARCHITECTURE section 3): every tag of every instance, one row per
// (study, series, SOP instance, source system), the newer sourceModifiedAt winning; instances
// missing a UID are rows of their own.
#pragma once

#include <cstdint>

#include "common/status.h"

namespace dicomlake::lake {
class Engine;
class Lake;
}  // namespace dicomlake::lake

namespace dicomlake::silver {

// Carries the bronze ImagingDicom rows added since the bronze version the metastore consumed
// last (a Delta txn action in ImagingMetastore) into the metastore; returns the rows written.
// Replaying it after a crash changes nothing.
Result<int64_t> UpdateMetastore(const lake::Lake& lake, lake::Engine& engine, int64_t now_us);

// The bronze ImagingDicom version the metastore has consumed; -1 when none (or no metastore).
Result<int64_t> MetastoreConsumedVersion(const lake::Lake& lake, lake::Engine& engine);

}  // namespace dicomlake::silver
