#include "lake/changes.h"

#include <set>

#include "common/fs.h"
#include "lake/delta_table.h"
#include "lake/engine.h"

namespace dicomlake::lake {

Result<std::vector<std::string>> FilesAddedSince(const DeltaTable& table, Engine& engine,
                                                 const Snapshot& now, int64_t since) {
  std::set<std::string> before;
  if (since >= 0) {
    DL_ASSIGN_OR_RETURN(Snapshot old, table.Load(engine, since));
    for (const auto& [path, add] : old.files) before.insert(path);
  }
  // Files that only rearrange rows already there (dataChange=false: Rewrite, the kept rows of
  // DeleteByKey) hold nothing new: left out, read from the commits after `since`. Unless such a
  // commit removed a file added after `since` (its rows may now be only in the rearranged
  // files), or a commit cannot be read: then every file `since` had not is taken, as always safe.
  std::set<std::string> rearranged;
  if (since >= 0) {
    std::set<std::string> added_since;
    for (int64_t v = since + 1; v <= now.version; ++v) {
      auto commit = table.log().ReadCommit(v);
      if (!commit.ok()) {
        rearranged.clear();
        break;
      }
      bool rearranges = false, swallowed = false;
      for (const auto& a : commit->adds) rearranges = rearranges || !a.data_change;
      for (const auto& r : commit->removes)
        swallowed = swallowed || (rearranges && added_since.count(r.path) != 0);
      if (swallowed) {
        rearranged.clear();
        break;
      }
      for (const auto& a : commit->adds) (a.data_change ? added_since : rearranged).insert(a.path);
    }
  }
  std::vector<std::string> out;
  for (const auto& [path, add] : now.files)
    if (before.count(path) == 0 && rearranged.count(path) == 0)
      out.push_back(fs::Join(table.root(), path));
  return out;
}

std::string ParquetScan(const std::vector<std::string>& files) {
  std::string list;
  for (const auto& f : files) list += (list.empty() ? "" : ", ") + QuoteLiteral(f);
  return "read_parquet([" + list + "], union_by_name=true)";
}

Result<std::string> RowsChangedSince(const DeltaTable& table, Engine& engine, int64_t since,
                                     const std::string& key, const std::string& modified_column,
                                     int64_t* version) {
  *version = -1;
  if (!table.Exists()) return std::string();
  DL_ASSIGN_OR_RETURN(Snapshot now, table.Load(engine));
  *version = now.version;
  if (since >= now.version || now.files.empty()) return std::string();
  DL_ASSIGN_OR_RETURN(std::string scan, table.ScanSql(now));
  if (since < 0) return "(" + scan + ")";
  DL_ASSIGN_OR_RETURN(auto added, FilesAddedSince(table, engine, now, since));
  if (added.empty()) return std::string();
  DL_ASSIGN_OR_RETURN(Snapshot old, table.Load(engine, since));
  std::string k = QuoteIdent(key), m = QuoteIdent(modified_column);
  if (old.files.empty()) return "(SELECT * FROM " + ParquetScan(added) + ")";
  DL_ASSIGN_OR_RETURN(std::string old_scan, table.ScanSql(old));
  return "(SELECT n.* FROM " + ParquetScan(added) + " n WHERE NOT EXISTS (SELECT 1 FROM (" +
         old_scan + ") o WHERE o." + k + " = n." + k + " AND o." + m + " = n." + m + "))";
}

Result<int64_t> MaxMapAttribute(const DeltaTable& table, Engine& engine,
                                const std::string& map_column, const std::string& attribute,
                                const std::string& filter_column, const std::string& filter_value) {
  if (!table.Exists()) return int64_t{-1};
  DL_ASSIGN_OR_RETURN(Snapshot snap, table.Load(engine));
  if (snap.files.empty()) return int64_t{-1};
  DL_ASSIGN_OR_RETURN(std::string scan, table.ScanSql(snap));
  DL_ASSIGN_OR_RETURN(
      QueryResult r,
      engine.Query("SELECT max(TRY_CAST(map_extract(" + QuoteIdent(map_column) + ", " +
                   QuoteLiteral(attribute) + ")[1] AS BIGINT)) FROM (" + scan + ") WHERE " +
                   QuoteIdent(filter_column) + " = " + QuoteLiteral(filter_value)));
  if (r.rows.empty() || r.rows[0][0].is_null()) return int64_t{-1};
  return r.rows[0][0].i;
}

Result<int64_t> UpsertWhereChanged(DeltaTable& table, Engine& engine, const Schema& schema,
                                   const ChangedUpsert& upsert) {
  DL_RETURN_IF_ERROR(table.Create(engine, schema, upsert.description));
  DL_ASSIGN_OR_RETURN(Snapshot snap, table.Load(engine));
  std::string source = "SELECT * FROM " + QuoteIdent(upsert.staged);
  if (!snap.files.empty()) {
    DL_ASSIGN_OR_RETURN(std::string scan, table.ScanSql(snap));
    std::string same;
    for (const auto& f : schema.fields) {
      if (f.name == upsert.ignore_column) continue;
      same += (same.empty() ? "" : " AND ") + std::string("t.") + QuoteIdent(f.name) +
              " IS NOT DISTINCT FROM s." + QuoteIdent(f.name);
    }
    source = "SELECT s.* FROM " + QuoteIdent(upsert.staged) +
             " s WHERE NOT EXISTS (SELECT 1 FROM (" + scan + ") t WHERE " + same + ")";
  }
  UpsertOptions options;
  options.key_columns = {upsert.key};
  if (!upsert.txn_app.empty()) table.SetTransaction(upsert.txn_app, upsert.txn_version);
  DL_ASSIGN_OR_RETURN(CommitOutcome outcome, table.Upsert(engine, source, options));
  return outcome.rows_written;
}

}  // namespace dicomlake::lake
