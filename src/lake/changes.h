// What changed in a Delta table between two versions, and writes that change only what differs:
// the incremental building blocks of the stages (each reads only what changed since the version
// it consumed last, and a run with nothing new changes nothing).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/delta_log.h"
#include "lake/schema.h"

namespace dicomlake::lake {

class DeltaTable;
class Engine;

// The data files (absolute paths) that `now` has and the snapshot at `since` had not; every file
// of `now` when `since` < 0. For an append-only table these hold exactly the rows added.
Result<std::vector<std::string>> FilesAddedSince(const DeltaTable& table, Engine& engine,
                                                 const Snapshot& now, int64_t since);

// "read_parquet([...], union_by_name=true)" over `files` (which must not be empty).
std::string ParquetScan(const std::vector<std::string>& files);

// A SQL relation of the rows of `table` written since version `since` (all rows when `since` < 0),
// or "" when there are none; `*version` is set to the table's latest version (-1 when the table
// does not exist). Copy-on-write upserts put unchanged rows into new files too: rows whose
// (`key`, `modified_column`) the snapshot at `since` already had are left out.
Result<std::string> RowsChangedSince(const DeltaTable& table, Engine& engine, int64_t since,
                                     const std::string& key, const std::string& modified_column,
                                     int64_t* version);

// The greatest integer value under key `attribute` of MAP column `map_column`, over the rows of
// `table` whose `filter_column` equals `filter_value`; -1 when there is none (or no table).
Result<int64_t> MaxMapAttribute(const DeltaTable& table, Engine& engine,
                                const std::string& map_column, const std::string& attribute,
                                const std::string& filter_column, const std::string& filter_value);

// Upserts the rows of temporary table `staged` into `table` (created with `schema` and
// `description` if missing) by `key`, leaving out rows equal to the stored row in every column
// but `ignore_column` (a modification time). When `txn_app` is set, the commit records the Delta
// txn (txn_app, txn_version). Returns the rows written.
struct ChangedUpsert {
  std::string staged;
  std::string key;
  std::string ignore_column;
  std::string description;
  std::string txn_app;
  int64_t txn_version = -1;
};
Result<int64_t> UpsertWhereChanged(DeltaTable& table, Engine& engine, const Schema& schema,
                                   const ChangedUpsert& upsert);

}  // namespace dicomlake::lake
