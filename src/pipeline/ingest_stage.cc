#include "pipeline/ingest_stage.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "bronze/file_store.h"
#include "bronze/imaging_dicom.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/parallel.h"
#include "common/time_util.h"
#include "common/uuid.h"
#include "config/config.h"
#include "dicom/dicom_json.h"
#include "dicom/dicom_reader.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "scan/archive.h"
#include "scan/inventory.h"
#include "scan/source.h"

namespace dicomlake::pipeline {
namespace {

constexpr const char* kActivity = "imaging_dicom_extract_bronze_ingestion";
constexpr const char* kMediaStorageDirectory = "1.2.840.10008.1.3.10";

// A file found in the source folder: a DICOM file, something else, or an archive.
struct Original {
  scan::SourceFile file;
  std::string hash;  // XXH3-128 of the whole file
  bool is_archive = false;
  std::string stored_path;    // Ingest pattern: its copy under Files/Process
  std::string stored_member;  // entry name inside stored_path when that is a one-entry ZIP
  std::string failure;        // non-empty: the whole file failed (not DICOM, a zip bomb, ...)
  std::string failed_path;    // Ingest pattern: where it moves when it failed
  bool referenced = false;    // a new bronze row points at its stored copy
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
};

std::string HashFile(const std::string& path, int64_t* bytes) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return "";
  Xxh3Hasher hasher;
  std::vector<char> buf(1 << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    hasher.Update(std::string_view(buf.data(), n));
    *bytes += static_cast<int64_t>(n);
  }
  std::fclose(f);
  return hasher.HexDigest();
}

std::string ReadHead(const std::string& path) {
  std::string head(512, '\0');
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return "";
  head.resize(std::fread(head.data(), 1, head.size(), f));
  std::fclose(f);
  return head;
}

std::string FileUri(const std::string& path, const std::string& member) {
  std::string uri = "file://" + path;
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

// The newest sourceModifiedAt bronze has, per namespace: the inventory watermark.
Result<std::map<std::string, int64_t>> BronzeWatermarks(Context& ctx) {
  std::map<std::string, int64_t> out;
  DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, ctx.bronze.Load(ctx.engine));
  DL_ASSIGN_OR_RETURN(std::string scan, ctx.bronze.ScanSql(snapshot));
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult r,
      ctx.engine.Query("SELECT sourceSystem, max(epoch_us(sourceModifiedAt)) FROM (" + scan +
                       ") WHERE sourceSystem IS NOT NULL GROUP BY 1"));
  for (const auto& row : r.rows) {
    if (!row[1].is_null()) out[row[0].s] = row[1].i;
  }
  return out;
}

// Step 1 for one original: hash it, expand it when it is an archive, plan where it is stored.
void PrepareOriginal(Context& ctx, size_t index, Original* o, std::vector<Item>* items,
                     std::string* staging, std::atomic<int64_t>* bytes_read) {
  int64_t bytes = 0;
  o->hash = HashFile(o->file.path, &bytes);
  *bytes_read += bytes;
  if (o->hash.empty()) {
    o->failure = "cannot read the file";
    return;
  }
  scan::ArchiveKind kind = scan::DetectArchive(ReadHead(o->file.path));
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
  if (hash.empty()) {
    int64_t ignored = 0;
    hash = HashFile(item->file.path, &ignored);
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
  facts.file_path = in_place ? o.file.source_path : o.stored_path;
  facts.archive_member = item->file.archive_member.empty() ? (in_place ? "" : o.stored_member)
                                                           : item->file.archive_member;
  facts.source_file_path = o.file.source_path;
  facts.inventory_file_path = item->file.inventory_file;
  facts.source_modified_us = item->file.mtime_ms * 1000;
  facts.source_system = o.file.namespace_name;
  facts.file_size = static_cast<int64_t>(item->file.size);
  facts.content_hash = hash;
  facts.run_id = ctx.run_id;
  facts.created_us = ctx.started_us;
  dicom::JsonOptions json;
  json.bulk_uri_base = FileUri(facts.file_path, facts.archive_member);
  std::string metadata = dicom::ToDicomJson(parsed->meta, parsed->data, json);
  item->row = bronze::MakeImagingDicomRow(parsed->data, metadata, parsed->transfer_syntax_uid,
                                          std::move(parsed->warnings), facts);
  item->has_row = true;
}

// The indexes of rows that are new: not in bronze and first of their key in the batch.
Result<std::set<size_t>> NewRows(Context& ctx, const std::string& staging) {
  DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, ctx.bronze.Load(ctx.engine));
  DL_ASSIGN_OR_RETURN(std::string scan, ctx.bronze.ScanSql(snapshot));
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult keep,
      ctx.engine.Query(
          "SELECT __idx FROM " + lake::QuoteIdent(staging) +
          " s WHERE NOT EXISTS (SELECT 1 FROM (" + scan +
          ") b WHERE b.contentHash = s.contentHash AND b.sopInstanceUid IS NOT DISTINCT FROM "
          "s.sopInstanceUid) QUALIFY row_number() OVER (PARTITION BY s.sopInstanceUid, "
          "s.contentHash "
          "ORDER BY s.__idx) = 1"));
  std::set<size_t> out;
  for (const auto& row : keep.rows) out.insert(static_cast<size_t>(row[0].i));
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
  if (ctx.summary->failures.size() < 1000) {
    ctx.summary->failures.push_back({member.empty() ? path : path + "!" + member, reason});
  }
}

Status RunBatch(Context& ctx, std::vector<Original>& originals) {
  std::atomic<int64_t> bytes_read{0};
  std::vector<std::vector<Item>> per_original(originals.size());
  std::vector<std::string> staging_dirs(originals.size());
  DL_RETURN_IF_ERROR(ParallelFor(originals.size(), ctx.settings.global.threads, [&](size_t i) {
    if (!originals[i].unchanged)
      PrepareOriginal(ctx, i, &originals[i], &per_original[i], &staging_dirs[i], &bytes_read);
  }));
  std::vector<Item> items;
  for (auto& v : per_original) {
    for (auto& it : v) items.push_back(std::move(it));
  }
  // Progress counts a file as done when its last instance is parsed (an archive has many).
  std::vector<std::atomic<int64_t>> remaining(originals.size());
  int64_t without_items = 0;
  for (size_t i = 0; i < originals.size(); ++i) {
    remaining[i] = static_cast<int64_t>(per_original[i].size());
    if (per_original[i].empty()) ++without_items;
  }
  ctx.done += without_items;
  DL_RETURN_IF_ERROR(ParallelFor(items.size(), ctx.settings.global.threads, [&](size_t i) {
    ParseItem(ctx, originals[items[i].original], &items[i]);
    if (--remaining[items[i].original] == 0) {
      int64_t done = ++ctx.done;
      if (ctx.options.progress) ctx.options.progress(done, ctx.total);
    }
  }));
  ctx.summary->bytes_read += bytes_read.load();

  // Rows of this batch, deduplicated against bronze and within the batch.
  std::vector<lake::Row> rows;
  std::vector<size_t> row_item;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].has_row) continue;
    rows.push_back(std::move(items[i].row));
    row_item.push_back(i);
  }
  ctx.summary->instances_read += static_cast<int64_t>(rows.size());
  std::set<size_t> keep;
  std::string staging = "__dl_bronze_batch";
  if (!rows.empty()) {
    DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, ctx.bronze.Load(ctx.engine));
    DL_RETURN_IF_ERROR(lake::CreateStagingTable(ctx.engine, staging, snapshot.schema, rows, true));
    DL_ASSIGN_OR_RETURN(keep, NewRows(ctx, staging));
  }
  // Ingest pattern: store the originals that new rows point at, before the commit, on all cores
  // (compression is the costly part of this pattern).
  std::vector<lake::Row> events;
  std::vector<size_t> to_store;
  for (size_t k : keep) {
    size_t index = items[row_item[k]].original;
    Original& o = originals[index];
    if (o.referenced || !o.failure.empty()) continue;
    o.referenced = true;
    if (ctx.options.pattern == IngestPattern::kIngest) to_store.push_back(index);
  }
  std::atomic<int64_t> stored_bytes{0};
  DL_RETURN_IF_ERROR(ParallelFor(to_store.size(), ctx.settings.global.threads, [&](size_t i) {
    Original& o = originals[to_store[i]];
    Status st = StoreOriginal(ctx, &o);
    if (!st.ok()) {
      o.failure = "cannot store the original under Files/Process: " + st.message();
      o.referenced = false;
      return;
    }
    auto info = fs::Stat(o.stored_path);
    if (info.ok()) stored_bytes += static_cast<int64_t>(info->size);
  }));
  ctx.summary->bytes_written += stored_bytes.load();
  // Step 2 of the exactly-once rule: the copies are durable before the commit that names them.
  if (!to_store.empty()) DL_RETURN_IF_ERROR(bronze::SyncFileSystem(ctx.lake.FilesPath("bronze")));
  std::string keep_list;
  for (size_t k : keep) {
    const Original& o = originals[items[row_item[k]].original];
    if (!o.failure.empty())
      continue;  // its copy could not be stored: the row waits for a later run
    keep_list += (keep_list.empty() ? "" : ",") + std::to_string(k);
  }
  if (!keep_list.empty()) {
    DL_ASSIGN_OR_RETURN(lake::CommitOutcome outcome,
                        ctx.bronze.Append(ctx.engine, "SELECT * FROM " + lake::QuoteIdent(staging) +
                                                          " WHERE __idx IN (" + keep_list + ")"));
    ctx.summary->instances_added += outcome.rows_written;
    ctx.summary->bytes_written += outcome.bytes_added;
  }
  if (!rows.empty()) (void)ctx.engine.Execute("DROP TABLE IF EXISTS " + lake::QuoteIdent(staging));
  ctx.summary->duplicates_skipped +=
      static_cast<int64_t>(rows.size()) - static_cast<int64_t>(keep.size());

  // Failures and the manifest are committed before any original is moved or deleted.
  std::vector<bool> original_has_failure(originals.size(), false);
  for (const auto& item : items) {
    if (item.dicomdir) ctx.summary->directories_skipped++;
    if (item.failure.empty()) continue;
    const Original& o = originals[item.original];
    bool whole_file = !o.is_archive;
    if (whole_file) original_has_failure[item.original] = true;
    RecordFailure(ctx, o.file.source_path, item.failure, "parse",
                  whole_file && ctx.settings.ingest.move_failed_files ? o.failed_path : "",
                  item.file.archive_member, &events);
  }
  for (size_t i = 0; i < originals.size(); ++i) {
    Original& o = originals[i];
    if (o.failure.empty() || original_has_failure[i]) continue;
    original_has_failure[i] = true;
    RecordFailure(ctx, o.file.source_path, o.failure, o.is_archive ? "archive" : "store",
                  ctx.settings.ingest.move_failed_files ? o.failed_path : "", "", &events);
  }
  DL_RETURN_IF_ERROR(ctx.events.AppendRows(ctx.engine, events).status());
  std::vector<lake::Row> manifest_rows;
  for (size_t i = 0; i < originals.size(); ++i) {
    const Original& o = originals[i];
    if (o.unchanged) continue;
    ManifestEntry m;
    m.path = o.file.source_path;
    m.namespace_name = o.file.namespace_name;
    m.pattern = PatternName(ctx.options.pattern);
    m.size = static_cast<int64_t>(o.file.size);
    m.modified_us = o.file.mtime_ms * 1000;
    m.content_hash = o.hash;
    m.state =
        original_has_failure[i] ? "failed" : (o.referenced ? "ingested" : "unchanged-content");
    m.reason = o.failure;
    m.run_id = ctx.run_id;
    manifest_rows.push_back(ManifestRow(m, NowMicros()));
  }
  DL_RETURN_IF_ERROR(ctx.manifest.AppendRows(ctx.engine, manifest_rows).status());

  // Only now: originals leave Ingest.
  if (ctx.options.pattern == IngestPattern::kIngest) {
    for (size_t i = 0; i < originals.size(); ++i) {
      Original& o = originals[i];
      if (original_has_failure[i]) {
        if (ctx.settings.ingest.move_failed_files)
          DL_RETURN_IF_ERROR(bronze::MoveFile(o.file.path, o.failed_path));
      } else {
        DL_RETURN_IF_ERROR(fs::RemoveFile(o.file.path));
      }
    }
  }
  for (const auto& dir : staging_dirs) {
    if (!dir.empty()) (void)fs::RemoveAll(dir);
  }
  if (ctx.options.progress) ctx.options.progress(ctx.done.load(), ctx.total);
  ctx.summary->batches++;
  return Status::Ok();
}

// BYOS: the latest (size, mtime) of every path in FileManifest.
Result<std::map<std::string, std::pair<int64_t, int64_t>>> ManifestState(Context& ctx) {
  std::map<std::string, std::pair<int64_t, int64_t>> out;
  DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, ctx.manifest.Load(ctx.engine));
  DL_ASSIGN_OR_RETURN(std::string scan, ctx.manifest.ScanSql(snapshot));
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult r,
      ctx.engine.Query("SELECT path, size, epoch_us(modifiedAt) FROM (" + scan +
                       ") WHERE pattern = 'byos' QUALIFY row_number() OVER (PARTITION BY path "
                       "ORDER BY updatedDatetime DESC) = 1"));
  for (const auto& row : r.rows) out[row[0].s] = {row[1].i, row[2].i};
  return out;
}

// An exclusive lock on the lake's bronze ingestion, held for the life of the object. flock(2)
// locks die with their process, so a killed run never leaves a stale lock behind.
class IngestLock {
 public:
  ~IngestLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Acquire(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return IoError("cannot open the lock file " + path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      return Conflict("another `dicomlake ingest` is running on this lake (lock " + path + ")");
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

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
  j["bytesRead"] = bytes_read;
  j["bytesWritten"] = bytes_written;
  j["batches"] = batches;
  j["elapsedSeconds"] = elapsed_seconds;
  j["failures"] = nlohmann::ordered_json::array();
  for (const auto& f : failures) j["failures"].push_back({{"path", f.path}, {"reason", f.reason}});
  return j.dump(2);
}

Result<IngestSummary> RunIngest(const lake::Lake& lake, lake::Engine& engine,
                                const config::Config& config, const IngestOptions& options) {
  auto start = std::chrono::steady_clock::now();
  IngestLock lock;
  DL_RETURN_IF_ERROR(lock.Acquire(fs::Join(lake.FilesPath("bronze"), ".ingest.lock")));
  // Members extracted by an earlier run that was killed: nobody else uses them (we hold the lock).
  DL_RETURN_IF_ERROR(fs::RemoveAll(fs::Join(lake.FilesPath("bronze"), ".staging")));
  IngestSummary summary;
  summary.run_id = NewUuid();
  const auto& settings = config.settings();
  std::string bronze_files = lake.FilesPath("bronze");
  std::string source_root;
  switch (options.pattern) {
    case IngestPattern::kIngest:
      source_root = fs::Join(bronze_files, "Ingest/Imaging/DICOM");
      break;
    case IngestPattern::kByos:
      source_root = options.source_dir.empty() ? fs::Join(bronze_files, "External/Imaging/DICOM")
                                               : fs::Absolute(options.source_dir);
      break;
    case IngestPattern::kInventory:
      source_root = fs::Join(bronze_files, "Inventory/Imaging/DICOM");
      break;
  }
  Context ctx{lake,
              engine,
              settings,
              options,
              summary.run_id,
              NowMicros(),
              source_root,
              &summary,
              lake::DeltaTable(lake.TablePath("bronze", "ImagingDicom"), "bronze/ImagingDicom"),
              lake::DeltaTable(lake.TablePath("admin", "BusinessEvents"), "admin/BusinessEvents"),
              lake::DeltaTable(lake.TablePath("admin", "FileManifest"), "admin/FileManifest")};
  DL_RETURN_IF_ERROR(ctx.bronze.Create(engine, bronze::ImagingDicomSchema(),
                                       "dicomlake: one row per DICOM instance file version"));
  std::vector<scan::SourceFile> files;
  std::vector<scan::Refusal> refused;
  if (options.pattern == IngestPattern::kInventory) {
    scan::InventoryOptions inventory;
    inventory.inventory_root = source_root;
    inventory.base_path = settings.ingest.inventory_base_path.empty()
                              ? fs::Join(bronze_files, "External/Imaging/DICOM")
                              : settings.ingest.inventory_base_path;
    inventory.only_namespace = options.only_namespace;
    DL_ASSIGN_OR_RETURN(inventory.newer_than_us, BronzeWatermarks(ctx));
    DL_RETURN_IF_ERROR(scan::ReadInventories(engine, inventory, &files, &refused));
  } else {
    DL_RETURN_IF_ERROR(scan::ScanFolder(source_root, settings.global.default_namespace,
                                        options.only_namespace, &files, &refused));
  }
  summary.files_seen = static_cast<int64_t>(files.size() + refused.size());
  ctx.total = summary.files_seen;

  std::vector<lake::Row> events;
  for (const auto& r : refused) RecordFailure(ctx, r.path, r.reason, "scan", "", "", &events);
  DL_RETURN_IF_ERROR(ctx.events.AppendRows(engine, events).status());

  std::map<std::string, std::pair<int64_t, int64_t>> known;
  if (options.pattern == IngestPattern::kByos) {
    DL_ASSIGN_OR_RETURN(known, ManifestState(ctx));
  }

  size_t batch_size = static_cast<size_t>(settings.ingest.max_files_per_trigger);
  for (size_t start_index = 0; start_index < files.size(); start_index += batch_size) {
    std::vector<Original> batch;
    for (size_t i = start_index; i < std::min(files.size(), start_index + batch_size); ++i) {
      Original o;
      o.file = files[i];
      auto it = known.find(o.file.source_path);
      if (it != known.end() && it->second.first == static_cast<int64_t>(o.file.size) &&
          it->second.second == o.file.mtime_ms * 1000) {
        o.unchanged = true;
        summary.files_unchanged++;
      }
      batch.push_back(std::move(o));
    }
    DL_RETURN_IF_ERROR(RunBatch(ctx, batch));
  }
  (void)fs::RemoveAll(fs::Join(lake.FilesPath("bronze"), ".staging/" + summary.run_id));
  summary.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  ExecutionSummary es;
  es.activity_name = kActivity;
  es.run_id = summary.run_id;
  es.pipeline_name = "dicomlake ingest";
  es.status = summary.failed == 0 ? "Succeeded" : "SucceededWithFailures";
  es.target_path = ctx.bronze.root();
  es.target_lakehouse = "bronze";
  es.source_path = source_root;
  es.source_lakehouse = "bronze";
  es.target_records = summary.instances_added;
  es.target_bytes = summary.bytes_written;
  es.source_records = summary.instances_read;
  es.source_files = summary.files_seen;
  es.source_bytes = summary.bytes_read;
  es.batches = summary.batches;
  es.elapsed_seconds = summary.elapsed_seconds;
  es.target_granular = {{"ImagingDicom", summary.instances_added}};
  es.attributes = {{"successCount", std::to_string(summary.instances_added)},
                   {"failedCount", std::to_string(summary.failed)},
                   {"duplicateCount", std::to_string(summary.duplicates_skipped)},
                   {"unchangedFileCount", std::to_string(summary.files_unchanged)},
                   {"pattern", PatternName(options.pattern)}};
  lake::DeltaTable runs(lake.TablePath("admin", "ExecutionSummary"), "admin/ExecutionSummary");
  DL_RETURN_IF_ERROR(
      runs.AppendRows(engine, {ExecutionSummaryRow(es, ctx.started_us, NowMicros())}).status());
  return summary;
}

}  // namespace dicomlake::pipeline
