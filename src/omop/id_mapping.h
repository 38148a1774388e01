// OMOP ids (docs/omop.md): positive 32-bit integers (the CDM's `integer`), one per
// (resource_type, source_id), kept in gold.omop_id_mapping so they never change once given.
// A new id is derived from a hash of the resource type and source id, so the same source
// record gets the same id on every machine and when the lake is rebuilt from scratch; only
// when two source ids hash to the same number (rare: about n^2 / 2^32 pairs) does the later
// one probe to the next free number, in source-id order within a run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::lake {
class Engine;
class Lake;
}  // namespace dicomlake::lake

namespace dicomlake::omop {

// The id a source id gets when nothing collides: 1 + (hash mod 2^31 - 1).
int32_t PreferredId(const std::string& resource_type, const std::string& source_id);

// The ids of `source_ids` (duplicates allowed), assigning and recording new ones.
Result<std::map<std::string, int32_t>> AssignIds(const lake::Lake& lake, lake::Engine& engine,
                                                 const std::string& resource_type,
                                                 std::vector<std::string> source_ids,
                                                 int64_t now_us);

}  // namespace dicomlake::omop
