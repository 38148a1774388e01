#include "pipeline/stage_support.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "common/fs.h"
#include "common/time_util.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"

namespace dicomlake::pipeline {

StageLock::~StageLock() {
  if (fd_ >= 0) ::close(fd_);
}

Status StageLock::Acquire(const std::string& path, const std::string& command) {
  DL_RETURN_IF_ERROR(fs::MakeDirs(path.substr(0, path.rfind('/'))));
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoError(errno, "cannot open the lock file " + path);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0)
    return Conflict("another `dicomlake " + command + "` is running on this lake (lock " + path +
                    ")");
  return Status::Ok();
}

Result<int64_t> LastRecordedVersion(const lake::Lake& lake, lake::Engine& engine,
                                    const std::string& activity, const std::string& attribute) {
  lake::DeltaTable runs = lake.OpenTable(lake::table::kExecutionSummary);
  if (!runs.Exists()) return int64_t{-1};
  DL_ASSIGN_OR_RETURN(lake::Snapshot snap, runs.Load(engine));
  if (snap.files.empty()) return int64_t{-1};
  DL_ASSIGN_OR_RETURN(std::string scan, runs.ScanSql(snap));
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult r,
      engine.Query("SELECT max(TRY_CAST(map_extract(activityAttributes, " +
                   lake::QuoteLiteral(attribute) + ")[1] AS BIGINT)) FROM (" + scan +
                   ") WHERE activityName = " + lake::QuoteLiteral(activity)));
  if (r.rows.empty() || r.rows[0][0].is_null()) return int64_t{-1};
  return r.rows[0][0].i;
}

Result<std::vector<std::string>> FilesAddedSince(const lake::DeltaTable& table,
                                                 lake::Engine& engine, const lake::Snapshot& now,
                                                 int64_t since) {
  std::set<std::string> before;
  if (since >= 0) {
    DL_ASSIGN_OR_RETURN(lake::Snapshot old, table.Load(engine, since));
    for (const auto& [path, add] : old.files) before.insert(path);
  }
  std::vector<std::string> out;
  for (const auto& [path, add] : now.files)
    if (before.count(path) == 0) out.push_back(fs::Join(table.root(), path));
  return out;
}

std::string ParquetScan(const std::vector<std::string>& files) {
  std::string list;
  for (const auto& f : files) list += (list.empty() ? "" : ", ") + lake::QuoteLiteral(f);
  return "read_parquet([" + list + "], union_by_name=true)";
}

Status AppendEvents(const lake::Lake& lake, lake::Engine& engine,
                    const std::vector<lake::Row>& rows) {
  if (rows.empty()) return Status::Ok();
  lake::DeltaTable events = lake.OpenTable(lake::table::kBusinessEvents);
  return events.AppendRows(engine, rows).status();
}

Status AppendSummary(const lake::Lake& lake, lake::Engine& engine, const ExecutionSummary& s,
                     int64_t started_us) {
  lake::DeltaTable runs = lake.OpenTable(lake::table::kExecutionSummary);
  return runs.AppendRows(engine, {ExecutionSummaryRow(s, started_us, NowMicros())}).status();
}

}  // namespace dicomlake::pipeline
