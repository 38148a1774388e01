#include "lake/delta_table.h"

#include <unistd.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "common/fs.h"
#include "common/time_util.h"
#include "common/uuid.h"
#include "lake/engine.h"
#include "lake/file_stats.h"
#include "lake/temp_tables.h"

#ifndef DICOMLAKE_VERSION
#define DICOMLAKE_VERSION "dev"
#endif

namespace dicomlake::lake {
namespace {

using json = nlohmann::ordered_json;

// Unique names for the temporary tables of one operation within an engine.
std::string TempName(const char* what) {
  static std::atomic<int> counter{0};
  return std::string("__dl_") + what + "_" + std::to_string(counter++);
}

// "t.a = k.a AND t.b = k.b"
std::string KeyEquality(const std::vector<std::string>& keys, const std::string& l,
                        const std::string& r) {
  std::string s;
  for (const auto& k : keys) {
    if (!s.empty()) s += " AND ";
    s += l + "." + QuoteIdent(k) + " = " + r + "." + QuoteIdent(k);
  }
  return s;
}

std::string KeyList(const std::vector<std::string>& keys, const std::string& prefix = "") {
  std::string s;
  for (const auto& k : keys) {
    if (!s.empty()) s += ", ";
    s += prefix + QuoteIdent(k);
  }
  return s;
}

void SleepBackoff(int attempt) {
  thread_local std::mt19937 gen(std::random_device{}());
  int cap = std::min(50, 1 + attempt * 2);
  std::this_thread::sleep_for(
      std::chrono::milliseconds(std::uniform_int_distribution<int>(0, cap)(gen)));
}

}  // namespace

struct DeltaTable::Plan {
  std::vector<AddAction> adds;
  std::vector<RemoveAction> removes;
  int64_t rows_written = 0;
};

DeltaTable::DeltaTable(std::string root, std::string display_name, TableOptions options)
    : log_(std::move(root), std::move(display_name)), options_(options) {}

namespace {

// True when `to` is `from` with nullable columns added at the end: the one schema change a
// table evolves by itself (Delta's ADD COLUMNS; older data files read them as NULL).
bool AddsNullableColumns(const Schema& from, const Schema& to) {
  if (to.fields.size() <= from.fields.size()) return false;
  for (size_t k = 0; k < to.fields.size(); ++k) {
    if (k < from.fields.size() ? !(to.fields[k] == from.fields[k]) : !to.fields[k].nullable)
      return false;
  }
  return true;
}

// The commit that gives the table of `snapshot` the schema `to` (a metaData action, the rest of
// the metadata kept: the table's id, name, configuration and creation time).
Commit AddColumnsCommit(const Snapshot& snapshot, const Schema& to) {
  Commit commit;
  json columns = json::array();
  for (size_t k = snapshot.schema.fields.size(); k < to.fields.size(); ++k) {
    columns.push_back({{"column", to.fields[k].name}, {"position", "last"}});
  }
  json info;
  info["timestamp"] = NowMillis();
  info["operation"] = "ADD COLUMNS";
  info["operationParameters"] = {{"columns", columns.dump()}};
  info["readVersion"] = snapshot.version;
  info["isolationLevel"] = "Serializable";
  info["isBlindAppend"] = true;
  info["engineInfo"] = std::string("dicomlake/") + DICOMLAKE_VERSION;
  info["txnId"] = NewUuid();
  commit.commit_info = info.dump();
  MetadataAction meta = snapshot.metadata;
  meta.schema_string = to.ToJson();
  commit.metadata = meta;
  return commit;
}

}  // namespace

Status DeltaTable::Create(Engine& engine, const Schema& schema, const std::string& description,
                          const StringMap& configuration) {
  DL_RETURN_IF_ERROR(schema.Validate().WithContext("table " + name()));
  auto check_existing = [&]() -> Status {
    for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
      DL_ASSIGN_OR_RETURN(Snapshot s, Load(engine));
      if (s.schema == schema) return Status::Ok();
      if (!AddsNullableColumns(s.schema, schema)) {
        return AlreadyExists("table " + name() + " exists with a different schema");
      }
      Status st = log_.TryCommit(s.version + 1, AddColumnsCommit(s, schema));
      if (st.code() != StatusCode::kAlreadyExists) return st.WithContext("table " + name());
      // Another writer committed first: look again (it may have added the columns itself).
    }
    return Conflict("table " + name() + ": too many concurrent commits to add columns");
  };
  if (log_.LatestVersion().ok()) return check_existing();
  DL_RETURN_IF_ERROR(fs::MakeDirs(log_.log_dir()));
  Commit commit;
  int64_t now = NowMillis();
  json info;
  info["timestamp"] = now;
  info["operation"] = "CREATE TABLE";
  info["operationParameters"] = {{"isManaged", "false"},
                                 {"description", description},
                                 {"partitionBy", "[]"},
                                 {"properties", "{}"}};
  info["isolationLevel"] = "Serializable";
  info["isBlindAppend"] = true;
  info["engineInfo"] = std::string("dicomlake/") + DICOMLAKE_VERSION;
  info["txnId"] = NewUuid();
  commit.commit_info = info.dump();
  commit.protocol = ProtocolAction{};
  MetadataAction meta;
  meta.id = NewUuid();
  auto slash = root().rfind('/');
  meta.name = slash == std::string::npos ? root() : root().substr(slash + 1);
  meta.description = description;
  meta.schema_string = schema.ToJson();
  meta.configuration = configuration;
  meta.created_time = now;
  commit.metadata = meta;
  Status st = log_.TryCommit(0, commit);
  if (st.code() == StatusCode::kAlreadyExists) return check_existing();
  return st.WithContext("table " + name());
}

Result<Snapshot> DeltaTable::Load(Engine& engine, std::optional<int64_t> version) const {
  return log_.LoadSnapshot(engine, version);
}

std::string DeltaTable::ProjectionSql(const Schema& schema, const std::string& relation) const {
  std::string s = "SELECT ";
  for (size_t k = 0; k < schema.fields.size(); ++k) {
    const Field& f = schema.fields[k];
    if (k) s += ", ";
    s += "CAST(" + QuoteIdent(f.name) + " AS " + f.type.DuckDbType() + ") AS " + QuoteIdent(f.name);
  }
  return s + " FROM " + relation + " AS __dl_rel";
}

Status DeltaTable::WriteDataFile(Engine& engine, const Schema& schema,
                                 const std::string& select_sql, Plan* plan) {
  // Spark's naming (PROTOCOL: data files must be unique and never overwritten).
  std::string rel = "part-00000-" + NewUuid() + "-c000.zstd.parquet";
  std::string path = fs::Join(root(), rel);
  Status st = engine.Execute("COPY (" + ProjectionSql(schema, "(" + select_sql + ")") + ") TO " +
                             QuoteLiteral(path) + " (FORMAT PARQUET, COMPRESSION ZSTD)");
  if (!st.ok()) {
    (void)fs::RemoveFile(path);
    return st.WithContext("table " + name() + ": cannot write data file");
  }
  auto stats = ComputeFileStats(engine, path, schema);
  if (!stats.ok()) {
    (void)fs::RemoveFile(path);
    return stats.status().WithContext("table " + name() + ": cannot compute statistics of " + rel);
  }
  if (!stats->null_in_required.empty()) {
    (void)fs::RemoveFile(path);
    return InvalidArgument("table " + name() + ": column " + stats->null_in_required[0] +
                           " is not nullable but the rows hold NULL");
  }
  if (stats->num_records == 0) {
    (void)fs::RemoveFile(path);
    return Status::Ok();
  }
  DL_ASSIGN_OR_RETURN(fs::FileInfo info, fs::Stat(path));
  AddAction add;
  add.path = rel;
  add.size = static_cast<int64_t>(info.size);
  add.modification_time = info.mtime_ms;
  add.data_change = true;
  add.stats = stats->json;
  plan->adds.push_back(std::move(add));
  plan->rows_written += stats->num_records;
  return Status::Ok();
}

Result<CommitOutcome> DeltaTable::Write(
    Engine& engine, const std::string& operation, bool blind, const std::string& parameters_json,
    const std::function<Result<Plan>(const Snapshot&)>& plan_fn) {
  CommitOutcome outcome;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    outcome.attempts = attempt;
    DL_ASSIGN_OR_RETURN(Snapshot snapshot, Load(engine));
    DL_RETURN_IF_ERROR(CheckProtocol(snapshot.protocol, true, "table " + name()));
    auto append_only = snapshot.metadata.configuration.find("delta.appendOnly");
    if (!blind && append_only != snapshot.metadata.configuration.end() &&
        append_only->second == "true") {
      return InvalidArgument("table " + name() + " is append-only (delta.appendOnly=true)");
    }
    DL_ASSIGN_OR_RETURN(Plan plan, plan_fn(snapshot));
    if (plan.adds.empty() && plan.removes.empty() && !pending_txn_) return outcome;

    int64_t bytes = 0;
    for (const auto& a : plan.adds) bytes += a.size;
    Commit commit;
    json info;
    info["timestamp"] = NowMillis();
    info["operation"] = operation;
    info["operationParameters"] = json::parse(parameters_json);
    info["readVersion"] = snapshot.version;
    info["isolationLevel"] = "Serializable";
    info["isBlindAppend"] = blind;
    info["operationMetrics"] = {{"numFiles", std::to_string(plan.adds.size())},
                                {"numRemovedFiles", std::to_string(plan.removes.size())},
                                {"numOutputRows", std::to_string(plan.rows_written)},
                                {"numOutputBytes", std::to_string(bytes)}};
    info["engineInfo"] = std::string("dicomlake/") + DICOMLAKE_VERSION;
    info["txnId"] = NewUuid();
    commit.commit_info = info.dump();
    commit.adds = plan.adds;
    commit.removes = plan.removes;
    if (pending_txn_) {
      commit.txns.push_back(*pending_txn_);
      commit.txns.back().last_updated = NowMillis();
    }

    bool conflict = false;
    for (int64_t v = snapshot.version + 1;; ++v) {
      Status st = log_.TryCommit(v, commit);
      if (st.ok()) {
        outcome.version = v;
        outcome.rows_written = plan.rows_written;
        outcome.files_added = static_cast<int64_t>(plan.adds.size());
        outcome.files_removed = static_cast<int64_t>(plan.removes.size());
        outcome.bytes_added = bytes;
        pending_txn_.reset();
        MaybeCheckpoint(engine, v, &outcome);
        return outcome;
      }
      if (st.code() != StatusCode::kAlreadyExists) {
        // The commit may have become visible before the failure (the link succeeded, the
        // directory fsync did not): then its data files are the table's and must stay.
        if (!CommitIsOurs(v, plan)) {
          for (const auto& a : plan.adds) (void)fs::RemoveFile(fs::Join(root(), a.path));
        }
        return st.WithContext("table " + name() + ": cannot commit version " + std::to_string(v));
      }
      // Another writer took version v. A blind append commutes with anything but a schema or
      // protocol change; an operation that read the table conflicts with any data change.
      DL_ASSIGN_OR_RETURN(Commit winner, log_.ReadCommit(v));
      bool data_change = !winner.adds.empty() || !winner.removes.empty();
      bool same_app = false;
      for (const auto& t : winner.txns)
        same_app = same_app || (pending_txn_ && t.app_id == pending_txn_->app_id);
      if (winner.metadata || winner.protocol || (!blind && data_change) || same_app) {
        conflict = true;
        break;
      }
    }
    if (conflict) {
      for (const auto& a : plan.adds) (void)fs::RemoveFile(fs::Join(root(), a.path));
      SleepBackoff(attempt);
    }
  }
  return Conflict("table " + name() + ": gave up after " + std::to_string(options_.max_attempts) +
                  " conflicting commit attempts");
}

bool DeltaTable::CommitIsOurs(int64_t version, const Plan& plan) const {
  auto commit = log_.ReadCommit(version);
  if (!commit.ok()) return false;
  if (plan.adds.empty()) return true;  // nothing to keep or delete either way
  for (const auto& a : commit->adds)
    if (a.path == plan.adds.front().path) return true;  // data file names are unique
  return false;
}

void DeltaTable::MaybeCheckpoint(Engine& engine, int64_t version, CommitOutcome* outcome) {
  if (options_.checkpoint_interval <= 0 || version == 0 ||
      version % options_.checkpoint_interval != 0)
    return;
  auto snapshot = Load(engine, version);
  Status st = snapshot.ok()
                  ? log_.WriteCheckpoint(engine, *snapshot, options_.tombstone_retention_ms)
                  : snapshot.status();
  if (!st.ok()) outcome->warning = "checkpoint not written: " + st.ToString();
}

Result<CommitOutcome> DeltaTable::Append(Engine& engine, const std::string& source_sql) {
  return Write(engine, "WRITE", true, R"({"mode":"Append","partitionBy":"[]"})",
               [&](const Snapshot& s) -> Result<Plan> {
                 Plan plan;
                 DL_RETURN_IF_ERROR(WriteDataFile(engine, s.schema, source_sql, &plan));
                 return plan;
               });
}

Status CreateStagingTable(Engine& engine, const std::string& name, const Schema& schema,
                          const std::vector<Row>& rows, bool with_index) {
  DL_RETURN_IF_ERROR(engine.Execute("CREATE OR REPLACE TEMP TABLE " + QuoteIdent(name) + " (" +
                                    schema.DuckDbColumns() + (with_index ? ", __idx BIGINT" : "") +
                                    ")"));
  DL_ASSIGN_OR_RETURN(auto appender, engine.OpenAppender(name));
  for (size_t k = 0; k < rows.size(); ++k) {
    if (!with_index) {
      DL_RETURN_IF_ERROR(appender->AppendRow(rows[k]));
      continue;
    }
    Row row = rows[k];
    row.push_back(Value::Int(static_cast<int64_t>(k)));
    DL_RETURN_IF_ERROR(appender->AppendRow(row));
  }
  return appender->Close();
}

Result<CommitOutcome> DeltaTable::AppendRows(Engine& engine, const std::vector<Row>& rows) {
  if (rows.empty()) return CommitOutcome{};
  DL_ASSIGN_OR_RETURN(Snapshot snapshot, Load(engine));
  TempTables temps(engine);
  std::string staging = temps.Add(TempName("rows"));
  DL_RETURN_IF_ERROR(CreateStagingTable(engine, staging, snapshot.schema, rows, false));
  return Append(engine, "SELECT * FROM " + QuoteIdent(staging));
}

Result<CommitOutcome> DeltaTable::UpsertRows(Engine& engine, const std::vector<Row>& rows,
                                             const UpsertOptions& options) {
  if (rows.empty()) return CommitOutcome{};
  DL_ASSIGN_OR_RETURN(Snapshot snapshot, Load(engine));
  TempTables temps(engine);
  std::string staging = temps.Add(TempName("upsert_rows"));
  DL_RETURN_IF_ERROR(CreateStagingTable(engine, staging, snapshot.schema, rows, false));
  return Upsert(engine, "SELECT * FROM " + QuoteIdent(staging), options);
}

Result<CommitOutcome> DeltaTable::Overwrite(Engine& engine, const std::string& source_sql) {
  return Write(engine, "WRITE", false, R"({"mode":"Overwrite","partitionBy":"[]"})",
               [&](const Snapshot& s) -> Result<Plan> {
                 Plan plan;
                 DL_RETURN_IF_ERROR(WriteDataFile(engine, s.schema, source_sql, &plan));
                 int64_t now = NowMillis();
                 for (const auto& [path, file] : s.files) {
                   plan.removes.push_back(RemoveAction{path, now, true, file.size});
                 }
                 return plan;
               });
}

Result<CommitOutcome> DeltaTable::Rewrite(
    Engine& engine, const std::function<std::string(const std::string&)>& select,
    const std::string& operation) {
  return Write(engine, operation, false, "{}", [&](const Snapshot& s) -> Result<Plan> {
    Plan plan;
    if (s.files.empty()) return plan;
    DL_ASSIGN_OR_RETURN(std::string scan, ScanSql(s));
    DL_RETURN_IF_ERROR(WriteDataFile(engine, s.schema, select("(" + scan + ")"), &plan));
    for (auto& add : plan.adds) add.data_change = false;
    int64_t now = NowMillis();
    for (const auto& [path, file] : s.files) {
      plan.removes.push_back(RemoveAction{path, now, false, file.size});
    }
    return plan;
  });
}

Result<DeltaTable::Plan> DeltaTable::PlanRewrite(Engine& engine, const Snapshot& s,
                                                 const std::vector<std::string>& key_columns,
                                                 const std::string& keys_table,
                                                 const std::string& insert_sql) {
  Plan plan;
  std::vector<std::string> affected;
  if (!s.files.empty()) {
    std::string list;
    std::map<std::string, std::string> rel_of_abs;
    for (const auto& [path, file] : s.files) {
      std::string abs = fs::Join(root(), path);
      rel_of_abs[abs] = path;
      list += (list.empty() ? "" : ", ") + QuoteLiteral(abs);
    }
    DL_ASSIGN_OR_RETURN(
        QueryResult files,
        engine.Query("SELECT DISTINCT __dl_file FROM read_parquet([" + list +
                     "], filename='__dl_file', union_by_name=true) t WHERE EXISTS (SELECT 1 FROM " +
                     QuoteIdent(keys_table) + " k WHERE " + KeyEquality(key_columns, "t", "k") +
                     ")"));
    for (const auto& row : files.rows) {
      auto it = rel_of_abs.find(row[0].s);
      if (it == rel_of_abs.end())
        return Internal("table " + name() + ": unexpected file " + row[0].s);
      affected.push_back(it->second);
    }
  }
  std::string rewritten;
  if (!affected.empty()) {
    std::string list;
    for (const auto& rel : affected)
      list += (list.empty() ? "" : ", ") + QuoteLiteral(fs::Join(root(), rel));
    rewritten = "SELECT * FROM read_parquet([" + list +
                "], union_by_name=true) t WHERE NOT EXISTS (SELECT 1 FROM " +
                QuoteIdent(keys_table) + " k WHERE " + KeyEquality(key_columns, "t", "k") + ")";
  }
  std::string source;
  if (!rewritten.empty() && !insert_sql.empty())
    source = rewritten + " UNION ALL BY NAME " + insert_sql;
  else
    source = rewritten.empty() ? insert_sql : rewritten;
  if (!source.empty()) {
    DL_RETURN_IF_ERROR(WriteDataFile(engine, s.schema, source, &plan));
  }
  int64_t now = NowMillis();
  for (const auto& rel : affected)
    plan.removes.push_back(RemoveAction{rel, now, true, s.files.at(rel).size});
  return plan;
}

Result<CommitOutcome> DeltaTable::DeleteByKey(Engine& engine,
                                              const std::vector<std::string>& key_columns,
                                              const std::string& keys_sql) {
  if (key_columns.empty()) return InvalidArgument("table " + name() + ": delete needs key columns");
  TempTables temps(engine);
  std::string keys = temps.Add(TempName("keys"));
  DL_RETURN_IF_ERROR(engine.Execute("CREATE TEMP TABLE " + QuoteIdent(keys) +
                                    " AS SELECT DISTINCT " + KeyList(key_columns) + " FROM (" +
                                    keys_sql + ")"));
  json params;
  params["predicate"] = "key in (" + KeyList(key_columns) + ")";
  // The files written hold only rows of the files removed: dataChange=false (PROTOCOL), so
  // readers of what was added (FilesAddedSince) do not take the kept rows for new ones.
  return Write(engine, "DELETE", false, params.dump(), [&](const Snapshot& s) -> Result<Plan> {
    DL_ASSIGN_OR_RETURN(Plan plan, PlanRewrite(engine, s, key_columns, keys, ""));
    for (auto& add : plan.adds) add.data_change = false;
    return plan;
  });
}

Result<CommitOutcome> DeltaTable::Upsert(Engine& engine, const std::string& source_sql,
                                         const UpsertOptions& o) {
  if (o.key_columns.empty())
    return InvalidArgument("table " + name() + ": upsert needs key columns");
  TempTables temps(engine);
  std::string src = temps.Add(TempName("src"));
  std::string order = o.newer_wins_column.empty()
                          ? ""
                          : " ORDER BY " + QuoteIdent(o.newer_wins_column) + " DESC NULLS LAST";
  DL_RETURN_IF_ERROR(engine.Execute("CREATE TEMP TABLE " + QuoteIdent(src) + " AS SELECT * FROM (" +
                                    source_sql + ") QUALIFY row_number() OVER (PARTITION BY " +
                                    KeyList(o.key_columns) + order + ") = 1"));
  json params;
  params["predicate"] = "key in (" + KeyList(o.key_columns) + ")";
  params["newerWins"] = o.newer_wins_column;
  return Write(engine, "MERGE", false, params.dump(), [&](const Snapshot& s) -> Result<Plan> {
    if (s.files.empty()) {
      Plan plan;
      DL_RETURN_IF_ERROR(
          WriteDataFile(engine, s.schema, "SELECT * FROM " + QuoteIdent(src), &plan));
      return plan;
    }
    std::string list;
    for (const auto& [path, file] : s.files)
      list += (list.empty() ? "" : ", ") + QuoteLiteral(fs::Join(root(), path));
    // The stored rows that the source touches, one per key.
    std::string hits = TempName("hits"), win = TempName("win");
    std::string agg = KeyList(o.key_columns, "t.");
    if (!o.newer_wins_column.empty())
      agg += ", max(t." + QuoteIdent(o.newer_wins_column) + ") AS __dl_newer";
    for (const auto& p : o.preserve_columns)
      agg += ", min(t." + QuoteIdent(p) + ") AS " + QuoteIdent("__dl_keep_" + p);
    Status st =
        engine.Execute("CREATE TEMP TABLE " + QuoteIdent(hits) + " AS SELECT " + agg +
                       ", true AS __dl_hit FROM read_parquet([" + list +
                       "], union_by_name=true) t WHERE EXISTS "
                       "(SELECT 1 FROM " +
                       QuoteIdent(src) + " s WHERE " + KeyEquality(o.key_columns, "t", "s") +
                       ") GROUP BY " + KeyList(o.key_columns, "t."));
    // The source rows that win: new keys, or newer than what is stored.
    std::string replace;
    for (const auto& p : o.preserve_columns) {
      replace += (replace.empty() ? "" : ", ") + std::string("CASE WHEN h.__dl_hit THEN h.") +
                 QuoteIdent("__dl_keep_" + p) + " ELSE s." + QuoteIdent(p) + " END AS " +
                 QuoteIdent(p);
    }
    std::string cond = "h.__dl_hit IS NULL";
    if (!o.newer_wins_column.empty()) {
      std::string c = "s." + QuoteIdent(o.newer_wins_column);
      cond += " OR " + c + " > h.__dl_newer OR (h.__dl_newer IS NULL AND " + c + " IS NOT NULL)";
    } else {
      cond = "true";
    }
    if (st.ok()) {
      st = engine.Execute("CREATE TEMP TABLE " + QuoteIdent(win) + " AS SELECT s.*" +
                          (replace.empty() ? "" : " REPLACE (" + replace + ")") + " FROM " +
                          QuoteIdent(src) + " s LEFT JOIN " + QuoteIdent(hits) + " h ON " +
                          KeyEquality(o.key_columns, "s", "h") + " WHERE " + cond);
    }
    Result<Plan> plan =
        st.ok() ? PlanRewrite(engine, s, o.key_columns, win, "SELECT * FROM " + QuoteIdent(win))
                : Result<Plan>(st);
    (void)engine.Execute("DROP TABLE IF EXISTS " + QuoteIdent(hits));
    (void)engine.Execute("DROP TABLE IF EXISTS " + QuoteIdent(win));
    return plan;
  });
}

Result<std::vector<HistoryEntry>> DeltaTable::History() const {
  DL_ASSIGN_OR_RETURN(int64_t latest, log_.LatestVersion());
  std::vector<HistoryEntry> out;
  for (int64_t v = latest; v >= 0; --v) {
    DL_ASSIGN_OR_RETURN(Commit commit, log_.ReadCommit(v));
    HistoryEntry e;
    e.version = v;
    json info = commit.commit_info.empty() ? json::object()
                                           : json::parse(commit.commit_info, nullptr, false);
    if (info.is_object()) {
      if (info.contains("timestamp") && info["timestamp"].is_number_integer())
        e.timestamp_ms = info["timestamp"].get<int64_t>();
      if (info.contains("operation") && info["operation"].is_string())
        e.operation = info["operation"].get<std::string>();
      if (info.contains("operationParameters"))
        e.operation_parameters = info["operationParameters"].dump();
      if (info.contains("operationMetrics")) e.operation_metrics = info["operationMetrics"].dump();
      if (info.contains("engineInfo") && info["engineInfo"].is_string())
        e.engine_info = info["engineInfo"].get<std::string>();
    }
    if (e.timestamp_ms == 0) {
      auto st = fs::Stat(fs::Join(log_.log_dir(), CommitFileName(v)));
      if (st.ok()) e.timestamp_ms = st->mtime_ms;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<VacuumReport> DeltaTable::Vacuum(Engine& engine, double retain_hours, bool dry_run) {
  if (retain_hours < 0) return InvalidArgument("retention must not be negative");
  DL_ASSIGN_OR_RETURN(Snapshot s, Load(engine));
  int64_t cutoff = NowMillis() - static_cast<int64_t>(retain_hours * 3600.0 * 1000.0);
  VacuumReport report;
  // Walk the table folder; hidden folders and files (`_delta_log`, `.`-names) are not data.
  std::vector<std::string> dirs{""};
  while (!dirs.empty()) {
    std::string rel_dir = dirs.back();
    dirs.pop_back();
    DL_ASSIGN_OR_RETURN(auto entries, fs::ListDir(fs::Join(root(), rel_dir)));
    for (const auto& e : entries) {
      if (e.name.empty() || e.name[0] == '_' || e.name[0] == '.') continue;
      std::string rel = rel_dir.empty() ? e.name : rel_dir + "/" + e.name;
      if (e.is_dir) {
        dirs.push_back(rel);
        continue;
      }
      if (!e.is_regular || s.files.count(rel)) continue;
      auto tomb = s.tombstones.find(rel);
      int64_t since = tomb != s.tombstones.end() ? tomb->second.deletion_timestamp : e.mtime_ms;
      if (since >= cutoff) continue;
      report.deleted.push_back(rel);
      report.bytes_deleted += static_cast<int64_t>(e.size);
      if (!dry_run) DL_RETURN_IF_ERROR(fs::RemoveFile(fs::Join(root(), rel)));
    }
  }
  return report;
}

Result<std::string> DeltaTable::ScanSql(const Snapshot& s) const {
  if (s.files.empty()) return "SELECT " + s.schema.DuckDbNullProjection() + " LIMIT 0";
  std::string list;
  for (const auto& [path, file] : s.files) {
    std::string abs = fs::Join(root(), path);
    if (!fs::Exists(abs)) {
      return NotFound("table " + name() + " version " + std::to_string(s.version) + ": data file " +
                      path + " is missing");
    }
    list += (list.empty() ? "" : ", ") + QuoteLiteral(abs);
  }
  // Columns added to the table after a file was written read as NULL in that file; the empty
  // relation of the full schema supplies a column that no file has yet.
  return ProjectionSql(s.schema, "(SELECT * FROM read_parquet([" + list +
                                     "], union_by_name=true) UNION ALL BY NAME (SELECT " +
                                     s.schema.DuckDbNullProjection() + " LIMIT 0))");
}

}  // namespace dicomlake::lake
