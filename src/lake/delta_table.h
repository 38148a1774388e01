// DeltaTable: the write and read operations on one Delta table (ARCHITECTURE section 5):
// create, append, overwrite, delete by key, upsert by key (copy-on-write: only the data files
// that hold affected keys are rewritten), snapshots at any version, history and vacuum.
//
// Rows come from SQL: every write takes a `source_sql` query that the engine evaluates (for
// example a SELECT over a temporary table the caller filled with an Appender). Its columns are
// matched to the table schema by name and cast to the schema's types.
//
// Concurrency: commits are created only if absent. Blind appends that lose a race retry at the
// next version; operations that read the table (overwrite, delete, upsert) re-plan from the new
// snapshot when another writer changed data in between, and delete the files they had written.
// Safe across processes; a DeltaTable object itself is not thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/delta_log.h"
#include "lake/schema.h"
#include "lake/value.h"

namespace dicomlake::lake {

class Engine;

struct TableOptions {
  int checkpoint_interval = 10;  // a checkpoint every N versions (Spark's default)
  int64_t tombstone_retention_ms = 7LL * 24 * 3600 * 1000;  // removes kept in checkpoints
  int max_attempts = 10000;                                 // commit attempts before giving up
};

struct CommitOutcome {
  int64_t version = -1;  // the committed version; -1 when there was nothing to commit
  int64_t rows_written = 0;
  int64_t files_added = 0;
  int64_t files_removed = 0;
  int64_t bytes_added = 0;  // size of the data files added
  int attempts = 0;
  std::string warning;  // e.g. a checkpoint that could not be written (the commit stands)
};

struct UpsertOptions {
  std::vector<std::string> key_columns;
  // When set, a source row replaces a table row only if its value here is greater (rows whose
  // key is new are always inserted). Within the source, the greatest value per key wins.
  std::string newer_wins_column;
  // Columns whose stored value is kept when a row is replaced (e.g. msftCreatedDatetime).
  std::vector<std::string> preserve_columns;
};

struct HistoryEntry {
  int64_t version = 0;
  int64_t timestamp_ms = 0;
  std::string operation;
  std::string operation_parameters;  // JSON object text
  std::string operation_metrics;     // JSON object text
  std::string engine_info;
};

struct VacuumReport {
  std::vector<std::string> deleted;  // paths relative to the table root
  int64_t bytes_deleted = 0;
};

// Creates a temporary table `name` with the columns of `schema` (plus `__idx BIGINT`, the row's
// position in `rows`, when `with_index`) and fills it with `rows`. Drop it when done.
Status CreateStagingTable(Engine& engine, const std::string& name, const Schema& schema,
                          const std::vector<Row>& rows, bool with_index);

class DeltaTable {
 public:
  DeltaTable(std::string root, std::string display_name, TableOptions options = {});

  const std::string& root() const { return log_.root(); }
  const std::string& name() const { return log_.name(); }
  const DeltaLog& log() const { return log_; }
  bool Exists() const { return log_.Exists(); }

  // Creates version 0 (protocol reader 1 / writer 2, metaData) unless the table exists. An
  // existing table with another schema is kAlreadyExists; with the same schema it is OK.
  Status Create(Engine& engine, const Schema& schema, const std::string& description = "",
                const StringMap& configuration = {});

  Result<Snapshot> Load(Engine& engine, std::optional<int64_t> version = {}) const;

  Result<CommitOutcome> Append(Engine& engine, const std::string& source_sql);
  // Appends rows given as Values in schema order.
  Result<CommitOutcome> AppendRows(Engine& engine, const std::vector<Row>& rows);
  Result<CommitOutcome> Overwrite(Engine& engine, const std::string& source_sql);
  // Replaces every row by the rows of `select(scan)`, `scan` being a relation over the snapshot
  // the attempt read, without changing what the data means (stored paths rewritten, say): its
  // adds and removes carry dataChange=false, so readers of what changed (FilesAddedSince) skip
  // them. `operation` names it in the table's history.
  Result<CommitOutcome> Rewrite(Engine& engine,
                                const std::function<std::string(const std::string&)>& select,
                                const std::string& operation);
  // Deletes the rows whose key columns equal a row of `keys_sql` (which selects those columns).
  Result<CommitOutcome> DeleteByKey(Engine& engine, const std::vector<std::string>& key_columns,
                                    const std::string& keys_sql);
  Result<CommitOutcome> Upsert(Engine& engine, const std::string& source_sql,
                               const UpsertOptions& options);
  // Upserts rows given as Values in schema order.
  Result<CommitOutcome> UpsertRows(Engine& engine, const std::vector<Row>& rows,
                                   const UpsertOptions& options);

  // Records, in the next write's commit, that application `app_id` has processed up to
  // `version` of its source (a Delta `txn` action, as Spark streaming writes). The commit is made
  // even when the write changes no rows, so progress is durable together with the data.
  // Read it back from Snapshot::txns.
  void SetTransaction(std::string app_id, int64_t version) {
    pending_txn_ = TxnAction{std::move(app_id), version, std::nullopt};
  }

  Result<std::vector<HistoryEntry>> History() const;

  // Deletes data files that no snapshot within the retention period needs: files not in the
  // latest snapshot, whose removal (or, for files never committed, whose mtime) is older than
  // `retain_hours`. The log itself is kept whole.
  Result<VacuumReport> Vacuum(Engine& engine, double retain_hours, bool dry_run = false);

  // A SQL relation over the snapshot's data files with the schema's columns in order (missing
  // columns read as NULL). Fails naming the table, version and file when a data file is missing.
  Result<std::string> ScanSql(const Snapshot& snapshot) const;

 private:
  struct Plan;  // the data files written and the actions of one attempt

  Result<CommitOutcome> Write(Engine& engine, const std::string& operation, bool blind,
                              const std::string& parameters_json,
                              const std::function<Result<Plan>(const Snapshot&)>& plan);
  // Writes the rows of `select_sql` as one data file and adds it to `plan` (nothing when the
  // query has no rows).
  Status WriteDataFile(Engine& engine, const Schema& schema, const std::string& select_sql,
                       Plan* plan);
  Result<Plan> PlanRewrite(Engine& engine, const Snapshot& snapshot,
                           const std::vector<std::string>& key_columns,
                           const std::string& keys_table, const std::string& insert_sql);
  std::string ProjectionSql(const Schema& schema, const std::string& relation) const;
  void MaybeCheckpoint(Engine& engine, int64_t version, CommitOutcome* outcome);
  // True when commit `version` exists and is the one `plan` wrote.
  bool CommitIsOurs(int64_t version, const Plan& plan) const;

  DeltaLog log_;
  TableOptions options_;
  std::optional<TxnAction> pending_txn_;  // consumed by the next Write
};

}  // namespace dicomlake::lake
