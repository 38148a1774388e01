#include "pipeline/ingest_stage.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "bronze/dedup_index.h"
#include "bronze/file_store.h"
#include "bronze/imaging_dicom.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/parallel.h"
#include "common/time_util.h"
#include "config/config.h"
#include "dicom/dataset_hash.h"
#include "dicom/dicom_json.h"
#include "dicom/dicom_reader.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "lake/temp_tables.h"
#include "pipeline/admin_tables.h"
#include "pipeline/operations_stage.h"
#include "pipeline/stage_runner.h"
#include "pipeline/stage_support.h"
#include "scan/archive.h"
#include "scan/file_manifest.h"
#include "scan/inventory.h"
#include "scan/source.h"

namespace dicomlake::pipeline {
namespace {

constexpr const char* kActivity = "imaging_dicom_extract_bronze_ingestion";
constexpr const char* kMediaStorageDirectory = "1.2.840.10008.1.3.10";

// A file found in the source folder: a DICOM file, something else, or an archive.
struct Original {
  scan::SourceFile file;
  std::string hash;          // XXH3-128 of the whole file
  std::string dataset_hash;  // of its data set (a plain file; an archive's members have theirs)
  bool is_archive = false;
  std::string stored_path;    // Ingest pattern: its copy under Files/Process
  std::string stored_member;  // entry name inside stored_path when that is a one-entry ZIP
  std::string failure;        // non-empty: the whole file failed (not DICOM, a zip bomb, ...)
  std::string failed_path;    // Ingest pattern: where it moves when it failed
  bool referenced = false;    // a new bronze row points at its stored copy
  bool stored = false;        // this run wrote stored_path
  bool unchanged = false;     // BYOS: same as in FileManifest, not read again
};

// One instance to parse: a plain file, or a member extracted from an archive.
struct Item {
  size_t original = 0;
  scan::SourceFile file;
  std::string failure;
  bool dicomdir = false;
  bool has_row = false;
  lake::Row row;
};

struct Context {
  const lake::Lake& lake;
  lake::Engine& engine;
  const config::Settings& settings;
  const IngestOptions& options;
  std::string run_id;
  int64_t started_us;
  std::string source_root;
  IngestSummary* summary;
  lake::DeltaTable bronze;
  lake::DeltaTable events;
  lake::DeltaTable manifest;
  std::atomic<int64_t> done{0};
  int64_t total = 0;
  // The dedup keys bronze holds; loaded on first use.
  bronze::DedupIndex bronze_keys;
  // The keys of rows `purge` removed from bronze: a relation over admin.PurgedInstances ("" when
  // nothing was purged), read once at the start of the run (purge takes the ingest lock).
  std::string purged_keys;
};

// XXH3-128 of a whole file (hex; "" when it cannot be read), its size into `*bytes`, its first
// 512 bytes into `*head` (for archive detection) and the hash of its data set into
// `*dataset_hash` (dicom/dataset_hash.h): one pass, one open. The read buffer is reused per
// thread: allocating and zeroing 1 MiB per file showed in profiles.
std::string HashFile(const std::string& path, int64_t* bytes, std::string* head = nullptr,
                     std::string* dataset_hash = nullptr) {
  constexpr size_t kBufferSize = 1 << 20;
  thread_local std::unique_ptr<char[]> buf(new char[kBufferSize]);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  Xxh3Hasher hasher;
  dicom::DatasetHasher dataset;
  bool first = true;
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), kBufferSize);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return "";
    }
    if (n == 0) break;
    if (first && head != nullptr) head->assign(buf.get(), std::min<size_t>(512, n));
    first = false;
    hasher.Update(std::string_view(buf.get(), static_cast<size_t>(n)));
    if (dataset_hash != nullptr)
      dataset.Update(std::string_view(buf.get(), static_cast<size_t>(n)));
    *bytes += n;
  }
  ::close(fd);
  if (dataset_hash != nullptr) *dataset_hash = dataset.HexDigest();
  return hasher.HexDigest();
}

// The base of an instance's BulkDataURIs: a `file://` URI for a file outside the lake, a URI
// reference relative to the lake root for one inside it.
std::string FileUri(const std::string& path, const std::string& member) {
  std::string uri = path.empty() || path[0] != '/' ? path : "file://" + path;
  if (!member.empty()) uri += "?member=" + member;
  return uri;
}

const char* PatternName(IngestPattern pattern) {
  switch (pattern) {
    case IngestPattern::kIngest:
      return "ingest";
    case IngestPattern::kByos:
      return "byos";
    case IngestPattern::kInventory:
      return "inventory";
  }
  return "?";
}

// Step 1 for one original: hash it, expand it when it is an archive, plan where it is stored.
void PrepareOriginal(Context& ctx, size_t index, Original* o, std::vector<Item>* items,
                     std::string* staging, std::atomic<int64_t>* bytes_read) {
  int64_t bytes = 0;
  std::string head;
  o->hash = HashFile(o->file.path, &bytes, &head, &o->dataset_hash);
  *bytes_read += bytes;
  if (o->hash.empty()) {
    o->failure = "cannot read the file";
    return;
  }
  scan::ArchiveKind kind = scan::DetectArchive(head);
  o->is_archive = kind != scan::ArchiveKind::kNone;
  const std::string& ns = o->file.namespace_name;
  std::string date = bronze::DatePath(ctx.started_us);
  if (ctx.options.pattern == IngestPattern::kIngest) {
    std::string base =
        fs::Join(ctx.lake.FilesPath("bronze"),
                 "Process/Imaging/DICOM/" + ns + "/" + date + "/" + o->file.relative_path);
    bool zip = !o->is_archive && ctx.settings.ingest.compression_enabled;
    o->stored_path = bronze::UniquePath(zip ? base + ".zip" : base, o->hash.substr(0, 12));
    if (zip) o->stored_member = o->file.relative_path.substr(o->file.relative_path.rfind('/') + 1);
    o->failed_path = bronze::UniquePath(
        fs::Join(ctx.lake.FilesPath("bronze"),
                 "Failed/Imaging/DICOM/" + ns + "/" + date + "/" + o->file.relative_path),
        ctx.run_id.substr(0, 8));
  }
  if (!o->is_archive) {
    Item item;
    item.original = index;
    item.file = o->file;
    items->push_back(std::move(item));
    return;
  }
  *staging = fs::Join(ctx.lake.FilesPath("bronze"),
                      ".staging/" + ctx.run_id + "/" + std::to_string(index));
  scan::ArchiveLimits limits;
  limits.max_total_bytes = static_cast<uint64_t>(ctx.settings.ingest.max_archive_bytes);
  limits.max_ratio = ctx.settings.ingest.max_archive_ratio;
  std::vector<scan::SourceFile> members;
  std::vector<scan::Refusal> refused;
  Status st = scan::ExpandArchive(o->file, *staging, limits, &members, &refused);
  if (!st.ok()) {
    o->failure = st.message();
    return;
  }
  for (auto& m : members) {
    Item item;
    item.original = index;
    item.file = std::move(m);
    items->push_back(std::move(item));
  }
  for (auto& r : refused) {
    Item item;
    item.original = index;
    item.file = o->file;
    item.file.archive_member = r.path.substr(r.path.find('!') + 1);
    item.failure = r.reason;
    items->push_back(std::move(item));
  }
}

// Step 2 for one item: parse and build its row.
void ParseItem(Context& ctx, const Original& o, Item* item) {
  if (!item->failure.empty()) return;
  std::string hash = item->file.archive_member.empty() ? o.hash : "";
  std::string dataset_hash = item->file.archive_member.empty() ? o.dataset_hash : "";
  if (hash.empty()) {
    int64_t ignored = 0;
    hash = HashFile(item->file.path, &ignored, nullptr, &dataset_hash);
  }
  auto parsed = dicom::ReadDicomFile(item->file.path);
  if (!parsed.ok()) {
    item->failure = parsed.status().message();
    return;
  }
  if (parsed->meta.FirstString(dicom::Tag(0x0002, 0x0002)) == kMediaStorageDirectory) {
    item->dicomdir = true;
    return;
  }
  bronze::FileFacts facts;
  bool in_place = ctx.options.pattern != IngestPattern::kIngest;
  // Paths under the lake are stored relative to its root (Lake::StoredPath).
  facts.file_path = ctx.lake.StoredPath(in_place ? o.file.source_path : o.stored_path);
  facts.archive_member = item->file.archive_member.empty() ? (in_place ? "" : o.stored_member)
                                                           : item->file.archive_member;
  facts.source_file_path = ctx.lake.StoredPath(o.file.source_path);
  facts.inventory_file_path = ctx.lake.StoredPath(item->file.inventory_file);
  facts.source_modified_us = item->file.mtime_ms * 1000;
  facts.source_system = o.file.namespace_name;
  facts.file_size = static_cast<int64_t>(item->file.size);
  facts.content_hash = hash;
  facts.dataset_hash = dataset_hash;
  facts.run_id = ctx.run_id;
  facts.created_us = ctx.started_us;
  dicom::JsonOptions json;
  json.bulk_uri_base = FileUri(facts.file_path, facts.archive_member);
  std::string metadata = dicom::ToDicomJson(parsed->meta, parsed->data, json);
  item->row = bronze::MakeImagingDicomRow(parsed->data, metadata, parsed->transfer_syntax_uid,
                                          std::move(parsed->warnings), facts, parsed->frame_index);
  item->has_row = true;
}

// The dedup key of a bronze row: (contentHash, sopInstanceUid) as one string, "\x01" standing
// for NULL. Rows with equal keys are the same instance version.
// The indexes of rows that are new: not in bronze and first of their key in the batch. A key
// whose hash is not in the index is certainly not in bronze; the others are checked exactly.
Result<std::set<size_t>> NewRows(Context& ctx, const lake::Snapshot& snapshot,
                                 const std::vector<lake::Row>& rows, const std::string& staging) {
  if (!ctx.bronze_keys.loaded())
    DL_RETURN_IF_ERROR(ctx.bronze_keys.Load(ctx.bronze, snapshot, ctx.engine, ctx.purged_keys));
  std::set<size_t> out;
  std::set<std::string> in_batch;
  std::vector<size_t> candidates;
  for (size_t k = 0; k < rows.size(); ++k) {
    // Only the first row of a key in the batch can be new.
    if (!in_batch.insert(bronze::DedupKey(rows[k])).second) continue;
    bool may_be_held = false;
    for (uint64_t h : bronze::DedupKeyHashes(rows[k])) may_be_held |= ctx.bronze_keys.MayContain(h);
    if (may_be_held) {
      candidates.push_back(k);
    } else {
      out.insert(k);
    }
  }
  DL_ASSIGN_OR_RETURN(
      std::set<size_t> unseen,
      bronze::FindNewRows(ctx.bronze, snapshot, ctx.engine, staging, candidates, ctx.purged_keys));
  out.insert(unseen.begin(), unseen.end());
  return out;
}

// Writes the Process copy; durable only after the batch's SyncFileSystem.
Status StoreOriginal(Context& ctx, Original* o) {
  if (o->is_archive || !ctx.settings.ingest.compression_enabled) {
    return bronze::CopyFileDurable(o->file.path, o->stored_path, bronze::Durability::kLater);
  }
  return bronze::WriteSingleEntryZip(o->file.path, o->stored_member, o->stored_path,
                                     ctx.settings.ingest.compression_level,
                                     bronze::Durability::kLater);
}

void RecordFailure(Context& ctx, const std::string& path, const std::string& reason,
                   const std::string& stage, const std::string& target, const std::string& member,
                   std::vector<lake::Row>* events) {
  BusinessEvent e;
  e.activity_name = kActivity;
  e.event_type = "stage:" + stage;
  e.run_id = ctx.run_id;
  e.source_file_path = path;
  e.target_file_path = target;
  e.record_identifier = member;
  e.target_table_name = "ImagingDicom";
  e.message = reason;
  e.custom_dimensions = nlohmann::json({{"stage", stage}}).dump();
  events->push_back(BusinessEventRow(e, NowMicros()));
  ctx.summary->failed++;
  ctx.summary->failure_kinds[reason.substr(0, reason.find(':'))]++;
  if (ctx.summary->failures.size() < 1000) {
    ctx.summary->failures.push_back({member.empty() ? path : path + "!" + member, reason});
  }
}

// One batch of originals on its way through the steps of the exactly-once rule (file comment).
struct Batch {
  std::vector<Original> originals;
  std::vector<Item> items;
  std::vector<std::string> staging_dirs;  // archive members extracted for this batch
  std::vector<lake::Row> rows;            // rows of parsed instances
  std::vector<size_t> row_item;           // rows[k] came from items[row_item[k]]
  std::set<size_t> new_rows;              // indexes into rows that bronze does not have
  std::vector<bool> failed;               // per original: failed as a whole
};

constexpr const char* kStagingTable = "__dl_bronze_batch";

// Step 1: hash, expand archives and parse on all cores; progress counts a file as done when
// its last instance is parsed (an archive has many).
Status ParseBatch(Context& ctx, Batch* b) {
  std::atomic<int64_t> bytes_read{0};
  std::vector<std::vector<Item>> per_original(b->originals.size());
  b->staging_dirs.resize(b->originals.size());
  DL_RETURN_IF_ERROR(ParallelFor(b->originals.size(), ctx.settings.global.threads, [&](size_t i) {
    if (b->originals[i].unchanged) return;
    PrepareOriginal(ctx, i, &b->originals[i], &per_original[i], &b->staging_dirs[i], &bytes_read);
  }));
  std::vector<std::atomic<int64_t>> remaining(b->originals.size());
  for (size_t i = 0; i < per_original.size(); ++i) {
    remaining[i] = static_cast<int64_t>(per_original[i].size());
    if (per_original[i].empty()) ++ctx.done;
    for (auto& item : per_original[i]) b->items.push_back(std::move(item));
  }
  DL_RETURN_IF_ERROR(ParallelFor(b->items.size(), ctx.settings.global.threads, [&](size_t i) {
    ParseItem(ctx, b->originals[b->items[i].original], &b->items[i]);
    if (--remaining[b->items[i].original] == 0) {
      int64_t done = ++ctx.done;
      if (ctx.options.progress) ctx.options.progress(done, ctx.total);
    }
  }));
  ctx.summary->bytes_read += bytes_read.load();
  for (size_t i = 0; i < b->items.size(); ++i) {
    if (!b->items[i].has_row) continue;
    b->rows.push_back(std::move(b->items[i].row));
    b->row_item.push_back(i);
  }
  ctx.summary->instances_read += static_cast<int64_t>(b->rows.size());
  return Status::Ok();
}

// Step 2: the rows bronze does not have, staged in the engine for the commit.
Status SelectNewRows(Context& ctx, Batch* b) {
  if (b->rows.empty()) return Status::Ok();
  DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, ctx.bronze.Load(ctx.engine));
  DL_RETURN_IF_ERROR(
      lake::CreateStagingTable(ctx.engine, kStagingTable, snapshot.schema, b->rows, true));
  DL_ASSIGN_OR_RETURN(b->new_rows, NewRows(ctx, snapshot, b->rows, kStagingTable));
  ctx.summary->duplicates_skipped += static_cast<int64_t>(b->rows.size() - b->new_rows.size());
  return Status::Ok();
}

// Step 3 (Ingest pattern): the Process copies of the originals that new rows point at, on all
// cores, made durable with one flush before the commit that names them.
Status StoreReferencedOriginals(Context& ctx, Batch* b) {
  std::vector<size_t> to_store;
  for (size_t k : b->new_rows) {
    size_t index = b->items[b->row_item[k]].original;
    Original& o = b->originals[index];
    if (o.referenced || !o.failure.empty()) continue;
    o.referenced = true;
    if (ctx.options.pattern == IngestPattern::kIngest) to_store.push_back(index);
  }
  std::atomic<int64_t> stored_bytes{0};
  std::mutex mutex;
  Status lake_failure;  // the first failure (see below)
  DL_RETURN_IF_ERROR(ParallelFor(to_store.size(), ctx.settings.global.threads, [&](size_t i) {
    Original& o = b->originals[to_store[i]];
    Status st = StoreOriginal(ctx, &o);
    if (!st.ok()) {
      // A copy that cannot be written is a failure of the lake (a full disk, an I/O error), not
      // of the file, which was read whole a moment ago to hash it: the batch stops before its
      // commit, and its files stay in Ingest for the next run.
      std::lock_guard<std::mutex> lock(mutex);
      if (lake_failure.ok()) lake_failure = st;
      return;
    }
    o.stored = true;
    auto info = fs::Stat(o.stored_path);
    if (info.ok()) stored_bytes += static_cast<int64_t>(info->size);
  }));
  DL_RETURN_IF_ERROR(lake_failure.WithContext("storing the originals under Files/Process"));
  ctx.summary->bytes_written += stored_bytes.load();
  if (to_store.empty()) return Status::Ok();
  return bronze::SyncFileSystem(ctx.lake.FilesPath("bronze"));
}

// Step 4: the bronze commit.
Status CommitNewRows(Context& ctx, Batch* b) {
  std::vector<size_t> committed;
  for (size_t k : b->new_rows) {
    // A row whose original could not be stored waits for a later run.
    if (!b->originals[b->items[b->row_item[k]].original].failure.empty()) continue;
    committed.push_back(k);
  }
  if (!committed.empty()) {
    DL_ASSIGN_OR_RETURN(lake::CommitOutcome outcome,
                        bronze::AppendStagedRows(ctx.bronze, ctx.engine, kStagingTable, committed));
    ctx.summary->instances_added += outcome.rows_written;
    ctx.summary->bytes_written += outcome.bytes_added;
    std::vector<uint64_t> hashes;
    for (size_t k : committed) {
      for (uint64_t h : bronze::DedupKeyHashes(b->rows[k])) hashes.push_back(h);
    }
    ctx.bronze_keys.Add(hashes);
  }
  return Status::Ok();
}

// Step 5: failures to BusinessEvents and every file to FileManifest, committed before any
// original is moved or deleted.
Status RecordBatch(Context& ctx, Batch* b) {
  std::vector<lake::Row> events;
  b->failed.assign(b->originals.size(), false);
  bool move = ctx.settings.ingest.move_failed_files;
  for (const auto& item : b->items) {
    if (item.dicomdir) ctx.summary->directories_skipped++;
    if (item.failure.empty()) continue;
    const Original& o = b->originals[item.original];
    bool whole_file = !o.is_archive;  // a bad member does not fail its archive
    if (whole_file) b->failed[item.original] = true;
    RecordFailure(ctx, o.file.source_path, item.failure, "parse",
                  whole_file && move ? o.failed_path : "", item.file.archive_member, &events);
  }
  for (size_t i = 0; i < b->originals.size(); ++i) {
    const Original& o = b->originals[i];
    if (o.failure.empty() || b->failed[i]) continue;
    b->failed[i] = true;
    RecordFailure(ctx, o.file.source_path, o.failure, o.is_archive ? "archive" : "store",
                  move ? o.failed_path : "", "", &events);
  }
  DL_RETURN_IF_ERROR(ctx.events.AppendRows(ctx.engine, events).status());
  std::vector<lake::Row> manifest_rows;
  for (size_t i = 0; i < b->originals.size(); ++i) {
    const Original& o = b->originals[i];
    if (o.unchanged) continue;
    ManifestEntry m;
    m.path = ctx.lake.StoredPath(o.file.source_path);
    m.namespace_name = o.file.namespace_name;
    m.pattern = PatternName(ctx.options.pattern);
    m.size = static_cast<int64_t>(o.file.size);
    m.modified_us = o.file.mtime_ms * 1000;
    m.content_hash = o.hash;
    m.state = b->failed[i] ? "failed" : (o.referenced ? "ingested" : "duplicate");
    m.reason = o.failure;
    m.run_id = ctx.run_id;
    manifest_rows.push_back(ManifestRow(m, NowMicros()));
  }
  return ctx.manifest.AppendRows(ctx.engine, manifest_rows).status();
}

// Step 6 (Ingest pattern): only now do originals leave Ingest.
Status ReleaseOriginals(Context& ctx, Batch* b) {
  if (ctx.options.pattern == IngestPattern::kIngest) {
    for (size_t i = 0; i < b->originals.size(); ++i) {
      const Original& o = b->originals[i];
      if (!b->failed[i]) {
        DL_RETURN_IF_ERROR(fs::RemoveFile(o.file.path));
      } else if (ctx.settings.ingest.move_failed_files) {
        DL_RETURN_IF_ERROR(bronze::MoveFile(o.file.path, o.failed_path));
      }
    }
  }
  for (const auto& dir : b->staging_dirs) {
    if (!dir.empty()) (void)fs::RemoveAll(dir);
  }
  return Status::Ok();
}

// After a batch failed: removes the Process copies it wrote that no bronze row references, so a
// failed batch leaves no unreferenced copies behind (the next run stores its files anew). A
// commit that failed after it became visible (its directory fsync, say) keeps its copies.
void DiscardUnreferencedCopies(Context& ctx, const Batch& b) {
  std::vector<std::string> written;  // as bronze stores them
  for (const auto& o : b.originals)
    if (o.stored) written.push_back(ctx.lake.StoredPath(o.stored_path));
  if (written.empty()) return;
  auto referenced = bronze::ReferencedFilePaths(ctx.bronze, ctx.engine, written);
  if (!referenced.ok()) return;  // cannot tell: keep them (garbage, never a lost original)
  for (const auto& path : written)
    if (referenced->count(path) == 0) (void)fs::RemoveFile(ctx.lake.ResolvePath(path));
}

Status RunBatch(Context& ctx, Batch* b) {
  lake::TempTables temps(ctx.engine);
  temps.Add(kStagingTable);  // made by SelectNewRows, dropped on every path
  DL_RETURN_IF_ERROR(ParseBatch(ctx, b));
  DL_RETURN_IF_ERROR(SelectNewRows(ctx, b));
  Status st = StoreReferencedOriginals(ctx, b);
  if (st.ok()) st = CommitNewRows(ctx, b);
  if (!st.ok()) {
    DiscardUnreferencedCopies(ctx, *b);
    return st;
  }
  DL_RETURN_IF_ERROR(RecordBatch(ctx, b));
  DL_RETURN_IF_ERROR(ReleaseOriginals(ctx, b));
  if (ctx.options.progress) ctx.options.progress(ctx.done.load(), ctx.total);
  ctx.summary->batches++;
  return Status::Ok();
}

}  // namespace

Result<IngestPattern> ParseIngestPattern(const std::string& name) {
  if (name == "ingest") return IngestPattern::kIngest;
  if (name == "byos" || name == "external") return IngestPattern::kByos;
  if (name == "inventory") return IngestPattern::kInventory;
  return InvalidArgument("unknown ingestion pattern \"" + name + "\" (ingest, byos or inventory)");
}

std::string IngestSummary::ToJson() const {
  nlohmann::ordered_json j;
  j["runId"] = run_id;
  j["filesSeen"] = files_seen;
  j["filesUnchanged"] = files_unchanged;
  j["instancesRead"] = instances_read;
  j["instancesAdded"] = instances_added;
  j["duplicatesSkipped"] = duplicates_skipped;
  j["directoriesSkipped"] = directories_skipped;
  j["failed"] = failed;
  j["operationsRecorded"] = operations_recorded;
  j["operationFilesFailed"] = operation_files_failed;
  j["bytesRead"] = bytes_read;
  j["bytesWritten"] = bytes_written;
  j["batches"] = batches;
  j["elapsedSeconds"] = elapsed_seconds;
  j["source"] = source;
  j["failureKinds"] = nlohmann::ordered_json::object();
  for (const auto& [kind, n] : failure_kinds) j["failureKinds"][kind] = n;
  j["failures"] = nlohmann::ordered_json::array();
  for (const auto& f : failures) j["failures"].push_back({{"path", f.path}, {"reason", f.reason}});
  return j.dump(2);
}

namespace {

// The work of the ingest stage: list the source a batch at a time and run each batch through the
// exactly-once steps.
// Where the pattern reads from.
std::string SourceRoot(const lake::Lake& lake, const IngestOptions& options) {
  std::string bronze_files = lake.FilesPath("bronze");
  switch (options.pattern) {
    case IngestPattern::kIngest:
      return fs::Join(bronze_files, "Ingest/Imaging/DICOM");
    case IngestPattern::kByos:
      return options.source_dir.empty() ? fs::Join(bronze_files, "External/Imaging/DICOM")
                                        : fs::Absolute(options.source_dir);
    case IngestPattern::kInventory:
      return fs::Join(bronze_files, "Inventory/Imaging/DICOM");
  }
  return "";
}

// The files of the source, a batch at a time. Folder sources are listed a batch at a time
// (memory does not grow with the number of files); inventory listings are read whole, as the
// listing files themselves are.
class Listing {
 public:
  Status Open(Context& ctx) {
    const auto& settings = ctx.settings;
    if (ctx.options.pattern != IngestPattern::kInventory) {
      scanner_ = std::make_unique<scan::FolderScanner>(
          ctx.source_root, settings.global.default_namespace, ctx.options.only_namespace,
          ctx.options.source_namespace);
      // Only a progress display needs the total up front: one more pass over the folders.
      if (!ctx.options.progress) return Status::Ok();
      DL_ASSIGN_OR_RETURN(ctx.total, scan::CountFolderEntries(
                                         ctx.source_root, settings.global.default_namespace,
                                         ctx.options.only_namespace, ctx.options.source_namespace));
      return Status::Ok();
    }
    scan::InventoryOptions inventory;
    inventory.inventory_root = ctx.source_root;
    inventory.base_path = settings.ingest.inventory_base_path.empty()
                              ? fs::Join(ctx.lake.FilesPath("bronze"), "External/Imaging/DICOM")
                              : settings.ingest.inventory_base_path;
    inventory.only_namespace = ctx.options.only_namespace;
    DL_ASSIGN_OR_RETURN(inventory.newer_than_us,
                        bronze::NewestSourceModified(ctx.bronze, ctx.engine));
    DL_RETURN_IF_ERROR(scan::ReadInventories(ctx.engine, inventory, &listed_, &refused_));
    ctx.total = static_cast<int64_t>(listed_.size() + refused_.size());
    return Status::Ok();
  }

  // The next at most `n` files and the refusals met; both empty at the end.
  Status Next(size_t n, std::vector<scan::SourceFile>* files, std::vector<scan::Refusal>* refused) {
    if (scanner_) return scanner_->Next(n, files, refused);
    if (next_ == 0) *refused = std::move(refused_);
    size_t end = std::min(listed_.size(), next_ + n);
    for (; next_ < end; ++next_) files->push_back(std::move(listed_[next_]));
    return Status::Ok();
  }

 private:
  std::unique_ptr<scan::FolderScanner> scanner_;
  std::vector<scan::SourceFile> listed_;
  std::vector<scan::Refusal> refused_;
  size_t next_ = 0;
};

// One listed batch: refusals recorded, unchanged BYOS files marked, the rest through RunBatch.
Status IngestListed(Context& ctx, std::vector<scan::SourceFile> files,
                    const std::vector<scan::Refusal>& refused, const scan::KnownFiles* known) {
  ctx.summary->files_seen += static_cast<int64_t>(files.size() + refused.size());
  if (!refused.empty()) {
    std::vector<lake::Row> events;
    for (const auto& r : refused) RecordFailure(ctx, r.path, r.reason, "scan", "", "", &events);
    DL_RETURN_IF_ERROR(ctx.events.AppendRows(ctx.engine, events).status());
    ctx.done += static_cast<int64_t>(refused.size());
  }
  if (files.empty()) return Status::Ok();
  std::set<std::string> unchanged;
  if (known != nullptr) {
    DL_ASSIGN_OR_RETURN(unchanged, known->Unchanged(files));
  }
  Batch batch;
  for (auto& file : files) {
    Original o;
    o.file = std::move(file);
    if (unchanged.count(o.file.source_path) != 0) {
      o.unchanged = true;
      ctx.summary->files_unchanged++;
    }
    batch.originals.push_back(std::move(o));
  }
  return RunBatch(ctx, &batch);
}

void FillExecutionSummary(const Context& ctx, ExecutionSummary* es) {
  const IngestSummary& summary = *ctx.summary;
  es->status = summary.failed == 0 ? "Succeeded" : "SucceededWithFailures";
  es->target_path = ctx.bronze.root();
  es->target_lakehouse = "bronze";
  es->source_path = ctx.source_root;
  es->source_lakehouse = "bronze";
  es->target_records = summary.instances_added;
  es->target_bytes = summary.bytes_written;
  es->source_records = summary.instances_read;
  es->source_files = summary.files_seen;
  es->source_bytes = summary.bytes_read;
  es->batches = summary.batches;
  es->target_granular = {{"ImagingDicom", summary.instances_added}};
  es->attributes = {{"successCount", std::to_string(summary.instances_added)},
                    {"failedCount", std::to_string(summary.failed)},
                    {"duplicateCount", std::to_string(summary.duplicates_skipped)},
                    {"unchangedFileCount", std::to_string(summary.files_unchanged)},
                    {"operationsRecorded", std::to_string(summary.operations_recorded)},
                    {"pattern", PatternName(ctx.options.pattern)}};
}

// The work of the ingest stage: list the source a batch at a time and run each batch through the
// exactly-once steps.
Status IngestSource(StageRun& run, const IngestOptions& options, IngestSummary* summary) {
  const lake::Lake& lake = run.lake;
  // Members extracted by an earlier run that was killed: nobody else uses them (we hold the lock).
  DL_RETURN_IF_ERROR(fs::RemoveAll(fs::Join(lake.FilesPath("bronze"), ".staging")));
  Context ctx{lake,
              run.engine,
              run.config.settings(),
              options,
              summary->run_id,
              run.started_us(),
              SourceRoot(lake, options),
              summary,
              lake.OpenTable(lake::table::kImagingDicom),
              lake.OpenTable(lake::table::kBusinessEvents),
              lake.OpenTable(lake::table::kFileManifest)};
  summary->source = ctx.source_root;
  lake::DeltaTable purged = lake.OpenTable(lake::table::kPurgedInstances);
  if (purged.Exists()) {
    DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, purged.Load(run.engine));
    if (!snapshot.files.empty()) {
      DL_ASSIGN_OR_RETURN(std::string scan, purged.ScanSql(snapshot));
      ctx.purged_keys = "(" + scan + ")";
    }
  }
  DL_RETURN_IF_ERROR(CreateAdminTable(lake, run.engine, lake::table::kFileManifest, true).status());
  DL_RETURN_IF_ERROR(ctx.bronze.Create(run.engine, bronze::ImagingDicomSchema(),
                                       bronze::kImagingDicomDescription));
  Listing listing;
  DL_RETURN_IF_ERROR(listing.Open(ctx));
  scan::KnownFiles known(run.engine, lake);
  int64_t known_paths = 0;
  if (options.pattern == IngestPattern::kByos) {
    DL_ASSIGN_OR_RETURN(known_paths, known.Load(ctx.manifest, "byos"));
  }
  const size_t batch_size = static_cast<size_t>(ctx.settings.ingest.max_files_per_trigger);
  for (;;) {
    std::vector<scan::SourceFile> files;
    std::vector<scan::Refusal> refused;
    DL_RETURN_IF_ERROR(listing.Next(batch_size, &files, &refused));
    if (files.empty() && refused.empty()) break;
    DL_RETURN_IF_ERROR(
        IngestListed(ctx, std::move(files), refused, known_paths > 0 ? &known : nullptr));
  }
  (void)fs::RemoveAll(fs::Join(lake.FilesPath("bronze"), ".staging/" + summary->run_id));
  // After the instances: an operation dropped with the files it targets applies to them.
  if (options.pattern == IngestPattern::kIngest) {
    std::vector<std::pair<std::string, std::string>> refused;
    DL_ASSIGN_OR_RETURN(summary->operations_recorded, IngestOperationFiles(run, &refused));
    summary->operation_files_failed = static_cast<int64_t>(refused.size());
    summary->failed += summary->operation_files_failed;
    for (auto& [path, reason] : refused) {
      summary->failure_kinds["operations"]++;
      if (summary->failures.size() < 1000) summary->failures.push_back({path, reason});
    }
  }
  FillExecutionSummary(ctx, &run.summary);
  return Status::Ok();
}

}  // namespace

Result<IngestSummary> RunIngest(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config, const IngestOptions& options) {
  static const StageSpec kIngest{"ingest", kActivity, "bronze"};
  return RunStageFor<IngestSummary>(
      kIngest, lake, engine, config,
      [&](StageRun& run, IngestSummary* summary) { return IngestSource(run, options, summary); });
}

}  // namespace dicomlake::pipeline
