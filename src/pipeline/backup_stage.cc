#include "pipeline/backup_stage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "common/fs.h"
#include "common/parallel.h"
#include "common/uuid.h"
#include "config/config.h"
#include "lake/delta_log.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "pipeline/stage_runner.h"

namespace dicomlake::pipeline {

std::string BackupSummary::ToJson() const {
  nlohmann::ordered_json j;
  j["runId"] = run_id;
  j["ok"] = ok();
  j["to"] = to;
  j["filesConsidered"] = files_considered;
  j["filesCopied"] = files_copied;
  j["bytesCopied"] = bytes_copied;
  j["originalsChecked"] = originals_checked;
  j["dataFilesCopied"] = data_files_copied;
  j["logEntriesCopied"] = log_entries_copied;
  j["versions"] = versions;
  j["replaced"] = replaced;
  j["problems"] = FixityProblemsJson(problems);
  j["elapsedSeconds"] = elapsed_seconds;
  return j.dump(2);
}

namespace {

namespace stdfs = std::filesystem;

constexpr const char* kTempSuffix = ".backup.tmp";

// A file to bring to DEST: its path relative to the lake root (and to DEST).
struct Entry {
  std::string rel;
  const StoredOriginal* original = nullptr;  // a stored original: checked before publishing
};

struct FileStamp {
  int64_t size = -1;
  struct timespec mtime {};
};

bool StatFile(const std::string& path, FileStamp* out) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  out->size = st.st_size;
  out->mtime = st.st_mtim;
  return true;
}

bool SameStamp(const FileStamp& a, const FileStamp& b) {
  return a.size == b.size && a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec;
}

// Copies `from` to the temporary `tmp` with `from`'s modification time; not durable (the phase
// ends with a syncfs).
Status CopyToTemp(const std::string& from, const std::string& tmp, const FileStamp& stamp,
                  int64_t* bytes) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return ErrnoError(errno, "cannot read " + from);
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    int e = errno;
    ::close(in);
    return ErrnoError(e, "cannot create " + tmp);
  }
  constexpr size_t kBuffer = 1 << 20;
  thread_local std::unique_ptr<char[]> buf(new char[kBuffer]);
  Status st;
  for (;;) {
    ssize_t n = ::read(in, buf.get(), kBuffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = ErrnoError(errno, "cannot read " + from);
      break;
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf.get() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        st = ErrnoError(errno, "cannot write " + tmp);
        break;
      }
      done += w;
    }
    if (!st.ok()) break;
    *bytes += n;
  }
  const struct timespec times[2] = {stamp.mtime, stamp.mtime};
  if (st.ok() && ::futimens(out, times) != 0)
    st = ErrnoError(errno, "cannot set the time of " + tmp);
  ::close(in);
  if (::close(out) != 0 && st.ok()) st = ErrnoError(errno, "cannot write " + tmp);
  if (!st.ok()) (void)fs::RemoveFile(tmp);
  return st;
}

// The work of one run: what to copy, in phases, and what happened.
class Backup {
 public:
  Backup(StageRun& run, const BackupRequest& request, BackupSummary* summary)
      : run_(run), request_(request), summary_(summary), lake_root_(run.lake.root()) {}

  Status Run();

 private:
  struct Table {
    lake::TableRef ref;
    lake::Snapshot snapshot;
    std::string rel;  // the table folder relative to the lake root
    int64_t held;     // the last version DEST holds of it (-1: none, or replaced)
  };

  Status CheckDestination();
  Status PinTables();
  Status ListFiles(std::vector<Entry>* out);
  Status ListDataFiles(const Table& t, std::vector<Entry>* out);
  void ListLogEntries(const Table& t, std::vector<Entry>* out);
  // Copies the entries DEST lacks or holds another version of, in parallel (`ordered`: one by
  // one, in order), then makes them durable.
  Status CopyPhase(const std::vector<Entry>& entries, bool ordered, int64_t* copied);
  void CopyOne(const Entry& e);
  void Problem(const std::string& state, const std::string& rel, const std::string& detail);
  void Tick();

  StageRun& run_;
  const BackupRequest& request_;
  BackupSummary* summary_;
  const std::string lake_root_;
  std::string dest_;
  std::vector<Table> tables_;
  std::vector<StoredOriginal> originals_;
  std::map<std::string, const StoredOriginal*> original_by_rel_;
  std::mutex mutex_;
  int64_t done_ = 0, total_ = 0;
};

void Backup::Problem(const std::string& state, const std::string& rel, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mutex_);
  summary_->problems.push_back({state, fs::Join(lake_root_, rel), "", detail});
}

void Backup::Tick() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++done_;
  if (request_.progress) request_.progress(done_, total_);
}

Status Backup::CheckDestination() {
  if (request_.to.empty()) return InvalidArgument("no backup folder: give --to");
  dest_ = fs::Absolute(request_.to);
  summary_->to = dest_;
  if (dest_ == lake_root_ || dest_.rfind(lake_root_ + "/", 0) == 0) {
    return InvalidArgument("the backup folder " + dest_ + " is inside the lake " + lake_root_ +
                           ": back up to another folder (another disk, a NAS mount)");
  }
  if (lake_root_.rfind(dest_ + "/", 0) == 0) {
    return InvalidArgument("the lake " + lake_root_ + " is inside the backup folder " + dest_);
  }
  if (fs::Exists(dest_) && !fs::IsDirectory(dest_))
    return InvalidArgument("the backup folder " + dest_ + " is a file");
  if (fs::IsDirectory(dest_)) {
    DL_ASSIGN_OR_RETURN(auto entries, fs::ListDir(dest_));
    if (!entries.empty() && !lake::Lake(dest_).Exists()) {
      return InvalidArgument("the backup folder " + dest_ +
                             " is not empty and holds no lake: give an empty folder or an earlier "
                             "backup of this lake");
    }
  }
  return fs::MakeDirs(dest_);
}

// Admin first, then gold, silver and bronze: a stage's progress is recorded in a table pinned
// before the tables it read (admin's ExecutionSummary and FileManifest before everything, gold
// before silver, silver before bronze), so the copy never claims work on data it lacks.
Status Backup::PinTables() {
  DL_ASSIGN_OR_RETURN(std::vector<lake::TableRef> refs, run_.lake.DiscoverTables());
  auto rank = [](const std::string& lakehouse) {
    for (int i = 0; const char* l : {"admin", "gold", "silver", "bronze"}) {
      if (lakehouse == l) return i;
      ++i;
    }
    return 4;
  };
  std::stable_sort(refs.begin(), refs.end(), [&](const lake::TableRef& a, const lake::TableRef& b) {
    return rank(a.lakehouse) < rank(b.lakehouse);
  });
  std::vector<std::string> replace;  // log tables of DEST to replace
  for (const auto& ref : refs) {
    lake::DeltaTable table = run_.lake.OpenTable(ref);
    DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, table.Load(run_.engine));
    std::string rel = ref.root.substr(lake_root_.size() + 1);
    // DEST must hold a prefix of this table's history or none of it: a table created
    // separately (another lake: its first commit differs) or written to after an earlier backup
    // would be silently mixed. Every commit carries a unique txnId, so comparing the newest
    // commit DEST holds finds any divergence. The two logs are the exception: a command run on
    // the copy (`verify` of the backup) records itself there, and the lake's logs replace the
    // copy's (once every table has been checked).
    const std::string dest_log = fs::Join(fs::Join(dest_, rel), "_delta_log");
    auto same_commit = [&](int64_t v) {
      const std::string name = lake::CommitFileName(v);
      auto ours = fs::ReadFile(fs::Join(table.log().log_dir(), name));
      auto theirs = fs::ReadFile(fs::Join(dest_log, name));
      return !ours.ok() || (theirs.ok() && *ours == *theirs);  // ours cleaned up: cannot tell
    };
    std::string diverged;
    FileStamp stamp;
    int64_t held = -1;
    while (held < snapshot.version &&
           StatFile(fs::Join(dest_log, lake::CommitFileName(held + 1)), &stamp))
      ++held;
    const bool log = ref.lakehouse == "admin" && (ref.name == lake::table::kBusinessEvents.name ||
                                                  ref.name == lake::table::kExecutionSummary.name);
    if (held >= 0 && !same_commit(0) && !log) {
      return Conflict("the backup folder holds another lake: its " + ref.display() +
                      " was created separately; back up to a new folder");
    }
    if (StatFile(fs::Join(dest_log, lake::CommitFileName(snapshot.version + 1)), &stamp)) {
      diverged = "is ahead of the lake (version " + std::to_string(snapshot.version + 1) + ")";
    } else if (held >= 0 && !same_commit(held)) {
      diverged = "differs from the lake's at version " + std::to_string(held);
    }
    if (!diverged.empty()) {
      if (!log) {
        return Conflict("the backup folder's " + ref.display() + " " + diverged +
                        ": it was written to after an earlier backup; back up to a new folder");
      }
      replace.push_back(rel);
      summary_->replaced.push_back(ref.display());
      held = -1;
    }
    summary_->versions[ref.display()] = snapshot.version;
    tables_.push_back({ref, std::move(snapshot), rel, held});
  }
  for (const auto& rel : replace) DL_RETURN_IF_ERROR(fs::RemoveAll(fs::Join(dest_, rel)));
  // The stored originals the pinned bronze references (for the hash check of their copies).
  // (bronze's, and those of the rows `purge` removed.)
  for (const auto& t : tables_) {
    const bool bronze = t.ref.lakehouse == "bronze" && t.ref.name == "ImagingDicom";
    const bool purged = t.ref.lakehouse == "admin" && t.ref.name == "PurgedInstances";
    if (!(bronze || purged) || t.snapshot.files.empty()) continue;
    DL_ASSIGN_OR_RETURN(std::string scan, run_.lake.OpenTable(t.ref).ScanSql(t.snapshot));
    DL_ASSIGN_OR_RETURN(auto listed, ListStoredOriginals(run_.engine, run_.lake, "(" + scan + ")"));
    originals_.insert(originals_.end(), std::make_move_iterator(listed.begin()),
                      std::make_move_iterator(listed.end()));
  }
  for (const auto& o : originals_) {
    if (o.path.rfind(lake_root_ + "/", 0) == 0)
      original_by_rel_[o.path.substr(lake_root_.size() + 1)] = &o;
  }
  return Status::Ok();
}

// Every regular file under the lakehouses' Files/ folders but the Ingest drop zones (deliveries
// not yet in the lake) and anything under a name starting with "." (locks, scratch, temporary
// files).
Status Backup::ListFiles(std::vector<Entry>* out) {
  for (const auto& lakehouse : lake::Lakehouses()) {
    const std::string files = run_.lake.FilesPath(lakehouse);
    if (!fs::IsDirectory(files)) continue;
    std::error_code ec;
    stdfs::recursive_directory_iterator it(files, ec), end;
    if (ec) return IoError("cannot list " + files + ": " + ec.message());
    for (; it != end; it.increment(ec)) {
      if (ec) return IoError("cannot list " + files + ": " + ec.message());
      const std::string name = it->path().filename().string();
      const std::string path = it->path().string();
      const std::string rel = path.substr(lake_root_.size() + 1);
      if (name.empty() || name[0] == '.' || rel.rfind("bronze/Files/Ingest/", 0) == 0) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
      auto found = original_by_rel_.find(rel);
      out->push_back({rel, found == original_by_rel_.end() ? nullptr : found->second});
    }
  }
  return Status::Ok();
}

// The data files of the pinned version, and those added by the commits after the version DEST
// holds (so that time travel to those versions works on the copy too).
Status Backup::ListDataFiles(const Table& t, std::vector<Entry>* out) {
  std::set<std::string> files;
  for (const auto& [path, add] : t.snapshot.files) files.insert(path);
  lake::DeltaLog log(t.ref.root, t.ref.display());
  for (int64_t v = t.held + 1; v <= t.snapshot.version; ++v) {
    auto commit = log.ReadCommit(v);
    if (!commit.ok()) continue;  // cleaned up: the pinned snapshot's files are enough
    for (const auto& a : commit->adds)
      if (fs::Exists(fs::Join(t.ref.root, a.path))) files.insert(a.path);
  }
  for (const auto& f : files) out->push_back({fs::Join(t.rel, f), nullptr});
  return Status::Ok();
}

// The log entries of versions up to the pinned one (commits, checkpoints), in version order, and
// `_last_checkpoint` when it points at one of them.
void Backup::ListLogEntries(const Table& t, std::vector<Entry>* out) {
  const std::string log_dir = fs::Join(t.ref.root, "_delta_log");
  auto entries = fs::ListDir(log_dir);
  if (!entries.ok()) return;
  std::vector<std::pair<int64_t, std::string>> versioned;
  for (const auto& e : *entries) {
    const std::string& name = e.name;
    if (name.size() < 21 || name[20] != '.' ||
        !std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    if (name.size() > std::strlen(kTempSuffix) &&
        name.compare(name.size() - std::strlen(kTempSuffix), std::string::npos, kTempSuffix) == 0)
      continue;
    int64_t v = std::stoll(name.substr(0, 20));
    if (v <= t.snapshot.version) versioned.emplace_back(v, name);
  }
  // Checkpoints before their version's commit? Either order reads; commits in version order.
  std::sort(versioned.begin(), versioned.end());
  const std::string rel_log = fs::Join(t.rel, "_delta_log");
  for (const auto& [v, name] : versioned) out->push_back({fs::Join(rel_log, name), nullptr});
  auto last = fs::ReadFile(fs::Join(log_dir, "_last_checkpoint"));
  if (last.ok()) {
    auto j = nlohmann::json::parse(*last, nullptr, false);
    if (j.is_object() && j.contains("version") && j["version"].is_number_integer() &&
        j["version"].get<int64_t>() <= t.snapshot.version)
      out->push_back({fs::Join(rel_log, "_last_checkpoint"), nullptr});
  }
}

void Backup::CopyOne(const Entry& e) {
  const std::string from = fs::Join(lake_root_, e.rel);
  const std::string to = fs::Join(dest_, e.rel);
  FileStamp source, held;
  if (!StatFile(from, &source)) {
    Problem("missing", e.rel, "the file went away during the backup");
    return;
  }
  if (StatFile(to, &held) && SameStamp(source, held)) return;
  const std::string dir = to.substr(0, to.rfind('/'));
  Status st = fs::MakeDirs(dir);
  const std::string tmp = dir + "/." + NewUuid() + kTempSuffix;
  int64_t bytes = 0;
  if (st.ok()) st = CopyToTemp(from, tmp, source, &bytes);
  if (!st.ok()) {
    Problem("unreadable", e.rel, st.message());
    return;
  }
  if (e.original != nullptr) {
    FixityOutcome check = CheckStoredOriginal(*e.original, tmp, true);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      summary_->originals_checked += check.checked;
    }
    if (!check.problems.empty()) {
      (void)fs::RemoveFile(tmp);
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& p : check.problems) {
        p.detail = "not backed up: " + p.detail;
        summary_->problems.push_back(std::move(p));
      }
      return;
    }
  }
  st = fs::Rename(tmp, to);
  if (!st.ok()) {
    (void)fs::RemoveFile(tmp);
    Problem("unwritable", e.rel, st.message());
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ++summary_->files_copied;
  summary_->bytes_copied += bytes;
}

Status Backup::CopyPhase(const std::vector<Entry>& entries, bool ordered, int64_t* copied) {
  const int64_t before = summary_->files_copied;
  if (ordered) {
    for (const auto& e : entries) {
      CopyOne(e);
      Tick();
    }
  } else {
    DL_RETURN_IF_ERROR(
        ParallelFor(entries.size(), std::clamp(WorkerCount(request_.threads), 1, 8), [&](size_t i) {
          CopyOne(entries[i]);
          Tick();
        }));
  }
  if (copied != nullptr) *copied += summary_->files_copied - before;
  // Durable before the next phase's files may reference these.
  return CurrentEnv()->SyncFileSystem(dest_);
}

Status Backup::Run() {
  DL_RETURN_IF_ERROR(CheckDestination());
  // Temporary copies left by a backup that was killed.
  std::vector<std::string> leftovers;
  std::error_code ec;
  for (stdfs::recursive_directory_iterator it(dest_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name[0] == '.' && name.find(kTempSuffix) != std::string::npos) {
      leftovers.push_back(it->path().string());
      it.disable_recursion_pending();
    }
  }
  for (const auto& path : leftovers) DL_RETURN_IF_ERROR(fs::RemoveAll(path));
  DL_RETURN_IF_ERROR(PinTables());
  std::vector<Entry> files, data, logs;
  DL_RETURN_IF_ERROR(ListFiles(&files));
  for (const auto& t : tables_) DL_RETURN_IF_ERROR(ListDataFiles(t, &data));
  for (const auto& t : tables_) ListLogEntries(t, &logs);
  total_ = static_cast<int64_t>(files.size() + data.size() + logs.size());
  summary_->files_considered = total_;
  DL_RETURN_IF_ERROR(CopyPhase(files, false, nullptr));
  // The lake's folders, the drop zones the copy did not take among them.
  DL_RETURN_IF_ERROR(lake::Lake(dest_).CreateLayout());
  DL_RETURN_IF_ERROR(CopyPhase(data, false, &summary_->data_files_copied));
  return CopyPhase(logs, true, &summary_->log_entries_copied);
}

Status RunBackupWork(StageRun& run, const BackupRequest& request, BackupSummary* summary) {
  Backup backup(run, request, summary);
  DL_RETURN_IF_ERROR(backup.Run());
  RecordFixityProblems(run, summary->problems);
  ExecutionSummary& es = run.summary;
  es.status = summary->ok() ? "Succeeded" : "SucceededWithFailures";
  es.source_path = run.lake.root();
  es.target_path = summary->to;
  es.source_files = summary->files_considered;
  es.target_records = summary->files_copied;
  es.target_bytes = summary->bytes_copied;
  es.attributes = {{"filesCopied", std::to_string(summary->files_copied)},
                   {"originalsChecked", std::to_string(summary->originals_checked)},
                   {"dataFilesCopied", std::to_string(summary->data_files_copied)},
                   {"logEntriesCopied", std::to_string(summary->log_entries_copied)},
                   {"versions", nlohmann::json(summary->versions).dump()}};
  return Status::Ok();
}

}  // namespace

Result<BackupSummary> RunBackup(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config, const BackupRequest& request) {
  static const StageSpec kBackup{"backup", kBackupActivity, "admin"};
  return RunStageFor<BackupSummary>(kBackup, lake, engine, config,
                                    [&request](StageRun& run, BackupSummary* summary) {
                                      return RunBackupWork(run, request, summary);
                                    });
}

}  // namespace dicomlake::pipeline
