#include "omop/id_mapping.h"

#include <algorithm>
#include <unordered_set>

#include "common/sha256.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "omop/gold_tables.h"

namespace dicomlake::omop {

int32_t PreferredId(const std::string& resource_type, const std::string& source_id) {
  std::string h = Sha256Hex(resource_type + "\n" + source_id);
  uint64_t v = std::stoull(h.substr(0, 15), nullptr, 16);
  return static_cast<int32_t>(1 + v % 2147483646ULL);
}

Result<std::map<std::string, int32_t>> AssignIds(const lake::Lake& lake, lake::Engine& engine,
                                                 const std::string& resource_type,
                                                 std::vector<std::string> source_ids,
                                                 int64_t now_us) {
  std::map<std::string, int32_t> out;
  std::sort(source_ids.begin(), source_ids.end());
  source_ids.erase(std::unique(source_ids.begin(), source_ids.end()), source_ids.end());
  if (source_ids.empty()) return out;
  lake::DeltaTable table = lake.OpenTable(lake::table::kOmopIdMapping);
  DL_RETURN_IF_ERROR(table.Create(engine, OmopIdMappingSchema(),
                                  "dicomlake: OMOP integer ids by (resource_type, source_id)"));
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, table.Load(engine));
  std::unordered_set<int32_t> used;
  std::map<std::string, int32_t> known;
  if (!snap.files.empty()) {
    DL_ASSIGN_OR_RETURN(std::string scan, table.ScanSql(snap));
    DL_ASSIGN_OR_RETURN(lake::QueryResult r, engine.Query("SELECT source_id, omop_id FROM (" +
                                                          scan + ") WHERE resource_type = " +
                                                          lake::QuoteLiteral(resource_type)));
    for (const auto& row : r.rows) {
      known[row[0].s] = static_cast<int32_t>(row[1].i);
      used.insert(static_cast<int32_t>(row[1].i));
    }
  }
  std::vector<lake::Row> added;
  for (const auto& source : source_ids) {
    auto it = known.find(source);
    if (it != known.end()) {
      out[source] = it->second;
      continue;
    }
    int32_t id = PreferredId(resource_type, source);
    while (used.count(id) != 0) id = id == 2147483647 ? 1 : id + 1;
    used.insert(id);
    out[source] = id;
    added.push_back({lake::Value::String(resource_type), lake::Value::String(source),
                     lake::Value::Int(id), lake::Value::Timestamp(now_us)});
  }
  if (!added.empty()) DL_RETURN_IF_ERROR(table.AppendRows(engine, added).status());
  return out;
}

}  // namespace dicomlake::omop
