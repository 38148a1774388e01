#include "lake/delta_log.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/percent_encoding.h"
#include "common/time_util.h"
#include "common/uuid.h"
#include "lake/engine.h"

namespace dicomlake::lake {
namespace {

using json = nlohmann::ordered_json;

constexpr int kMaxReaderVersion = 1;
constexpr int kMaxWriterVersion = 2;

// The V1 checkpoint's columns (PROTOCOL "Checkpoint Schema"), as DuckDB types for read_json.
constexpr const char* kCheckpointColumns =
    "txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)', "
    "\"add\": 'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, "
    "modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))', "
    "remove: 'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, "
    "extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT)', "
    "metaData: 'STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider "
    "VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], "
    "configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)', "
    "protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures "
    "VARCHAR[], writerFeatures VARCHAR[])'";

json MapToJson(const StringMap& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

json AddToJson(const AddAction& a) {
  json j;
  j["path"] = EncodePath(a.path);
  j["partitionValues"] = MapToJson(a.partition_values);
  j["size"] = a.size;
  j["modificationTime"] = a.modification_time;
  j["dataChange"] = a.data_change;
  if (!a.stats.empty()) j["stats"] = a.stats;
  if (!a.tags.empty()) j["tags"] = MapToJson(a.tags);
  return j;
}

json RemoveToJson(const RemoveAction& r) {
  json j;
  j["path"] = EncodePath(r.path);
  j["deletionTimestamp"] = r.deletion_timestamp;
  j["dataChange"] = r.data_change;
  if (r.size) {
    j["extendedFileMetadata"] = true;
    j["partitionValues"] = json::object();
    j["size"] = *r.size;
  }
  return j;
}

json MetadataToJson(const MetadataAction& m) {
  json j;
  j["id"] = m.id;
  if (!m.name.empty()) j["name"] = m.name;
  if (!m.description.empty()) j["description"] = m.description;
  j["format"] = {{"provider", m.provider}, {"options", MapToJson(m.format_options)}};
  j["schemaString"] = m.schema_string;
  j["partitionColumns"] = m.partition_columns;
  j["configuration"] = MapToJson(m.configuration);
  j["createdTime"] = m.created_time;
  return j;
}

json ProtocolToJson(const ProtocolAction& p) {
  json j;
  j["minReaderVersion"] = p.min_reader_version;
  j["minWriterVersion"] = p.min_writer_version;
  if (p.min_reader_version >= 3) j["readerFeatures"] = p.reader_features;
  if (p.min_writer_version >= 7) j["writerFeatures"] = p.writer_features;
  return j;
}

json TxnToJson(const TxnAction& t) {
  json j;
  j["appId"] = t.app_id;
  j["version"] = t.version;
  if (t.last_updated) j["lastUpdated"] = *t.last_updated;
  return j;
}

// Field readers that fail with a message naming the field. `what` names the action.
struct FieldReader {
  const json& obj;
  std::string where;
  Status status;

  const json* Get(const char* key, bool required) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required && status.ok())
        status = Corrupt(where + ": required field \"" + key + "\" is missing");
      return nullptr;
    }
    return &*it;
  }
  std::string Str(const char* key, bool required) {
    const json* v = Get(key, required);
    if (!v) return "";
    if (!v->is_string()) {
      Fail(key, "a string");
      return "";
    }
    return v->get<std::string>();
  }
  int64_t Int(const char* key, bool required) {
    const json* v = Get(key, required);
    if (!v) return 0;
    if (!v->is_number_integer()) {
      Fail(key, "an integer");
      return 0;
    }
    return v->get<int64_t>();
  }
  bool Bool(const char* key, bool required) {
    const json* v = Get(key, required);
    if (!v) return false;
    if (!v->is_boolean()) {
      Fail(key, "a boolean");
      return false;
    }
    return v->get<bool>();
  }
  StringMap Map(const char* key, bool required) {
    StringMap out;
    const json* v = Get(key, required);
    if (!v) return out;
    if (!v->is_object()) {
      Fail(key, "an object");
      return out;
    }
    for (const auto& [k, val] : v->items()) {
      // An empty string or null partition value both mean null (PROTOCOL "Partition Value
      // Serialization"); keep null as the empty string.
      if (val.is_string())
        out[k] = val.get<std::string>();
      else if (val.is_null())
        out[k] = "";
      else {
        Fail(key, "a map of strings");
        return out;
      }
    }
    return out;
  }
  std::vector<std::string> StrList(const char* key, bool required) {
    std::vector<std::string> out;
    const json* v = Get(key, required);
    if (!v) return out;
    if (!v->is_array()) {
      Fail(key, "an array");
      return out;
    }
    for (const auto& e : *v) {
      if (!e.is_string()) {
        Fail(key, "an array of strings");
        return out;
      }
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  void Fail(const char* key, const char* type) {
    if (status.ok()) status = Corrupt(where + ": field \"" + key + "\" must be " + type);
  }
};

Status ParseAction(const std::string& kind, const json& body, const std::string& where,
                   Commit* commit) {
  if (kind == "commitInfo") {
    commit->commit_info = body.dump();
    return Status::Ok();
  }
  if (!body.is_object()) return Corrupt(where + ": action \"" + kind + "\" is not an object");
  FieldReader r{body, where + " (" + kind + ")", {}};
  if (kind == "add") {
    AddAction a;
    a.path = DecodePath(r.Str("path", true));
    a.partition_values = r.Map("partitionValues", true);
    a.size = r.Int("size", true);
    a.modification_time = r.Int("modificationTime", true);
    a.data_change = r.Bool("dataChange", true);
    a.stats = r.Str("stats", false);
    a.tags = r.Map("tags", false);
    if (r.Get("deletionVector", false)) {
      return Unsupported(where + ": add with a deletion vector (needs reader version 3)");
    }
    commit->adds.push_back(std::move(a));
  } else if (kind == "remove") {
    RemoveAction rm;
    rm.path = DecodePath(r.Str("path", true));
    rm.deletion_timestamp = r.Int("deletionTimestamp", false);
    rm.data_change = r.Bool("dataChange", true);
    if (r.Get("size", false)) rm.size = r.Int("size", false);
    commit->removes.push_back(std::move(rm));
  } else if (kind == "metaData") {
    if (commit->metadata) return Corrupt(where + ": more than one metaData action");
    MetadataAction m;
    m.id = r.Str("id", true);
    m.name = r.Str("name", false);
    m.description = r.Str("description", false);
    if (const json* fmt = r.Get("format", true)) {
      FieldReader fr{*fmt, where + " (metaData.format)", {}};
      if (!fmt->is_object()) return Corrupt(where + ": metaData.format must be an object");
      m.provider = fr.Str("provider", true);
      m.format_options = fr.Map("options", false);
      DL_RETURN_IF_ERROR(fr.status);
    }
    m.schema_string = r.Str("schemaString", true);
    m.partition_columns = r.StrList("partitionColumns", true);
    m.configuration = r.Map("configuration", false);
    m.created_time = r.Int("createdTime", false);
    commit->metadata = std::move(m);
  } else if (kind == "protocol") {
    if (commit->protocol) return Corrupt(where + ": more than one protocol action");
    ProtocolAction p;
    p.min_reader_version = static_cast<int>(r.Int("minReaderVersion", true));
    p.min_writer_version = static_cast<int>(r.Int("minWriterVersion", true));
    p.reader_features = r.StrList("readerFeatures", false);
    p.writer_features = r.StrList("writerFeatures", false);
    commit->protocol = std::move(p);
  } else if (kind == "txn") {
    TxnAction t;
    t.app_id = r.Str("appId", true);
    t.version = r.Int("version", true);
    if (r.Get("lastUpdated", false)) t.last_updated = r.Int("lastUpdated", false);
    commit->txns.push_back(std::move(t));
  }
  // Other actions (cdc, domainMetadata, ...) belong to features a reader-1/writer-2 table does
  // not use; readers ignore what they do not know (PROTOCOL "Delta Log Entries").
  return r.status;
}

std::string VersionName(int64_t version) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(version));
  return buf;
}

// Parses "<20 digits>.json" / "<20 digits>.checkpoint.parquet"; -1 for other names.
int64_t ParseVersionedName(const std::string& name, const std::string& suffix) {
  if (name.size() != 20 + suffix.size() || name.compare(20, std::string::npos, suffix) != 0)
    return -1;
  int64_t v = 0;
  for (int k = 0; k < 20; ++k) {
    if (name[k] < '0' || name[k] > '9') return -1;
    v = v * 10 + (name[k] - '0');
  }
  return v;
}

}  // namespace

std::string SerializeCommit(const Commit& commit) {
  std::string out;
  auto line = [&out](const char* key, const json& body) {
    json j;
    j[key] = body;
    out += j.dump();
    out += '\n';
  };
  if (!commit.commit_info.empty()) line("commitInfo", json::parse(commit.commit_info));
  if (commit.protocol) line("protocol", ProtocolToJson(*commit.protocol));
  if (commit.metadata) line("metaData", MetadataToJson(*commit.metadata));
  for (const auto& t : commit.txns) line("txn", TxnToJson(t));
  for (const auto& r : commit.removes) line("remove", RemoveToJson(r));
  for (const auto& a : commit.adds) line("add", AddToJson(a));
  return out;
}

Result<Commit> ParseCommit(const std::string& text, const std::string& where) {
  Commit commit;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string at = where + " line " + std::to_string(line_no);
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) return Corrupt(at + ": not valid JSON");
    if (!j.is_object() || j.size() != 1)
      return Corrupt(at + ": a line must hold exactly one action");
    DL_RETURN_IF_ERROR(ParseAction(j.begin().key(), j.begin().value(), at, &commit));
  }
  if (line_no == 0) return Corrupt(where + ": empty commit file");
  return commit;
}

std::string EncodePath(const std::string& path) { return PercentEncode(path, "/="); }

std::string DecodePath(const std::string& path) {
  std::string out;
  for (size_t k = 0; k < path.size(); ++k) {
    if (path[k] == '%' && k + 2 < path.size() &&
        std::isxdigit(static_cast<unsigned char>(path[k + 1])) &&
        std::isxdigit(static_cast<unsigned char>(path[k + 2]))) {
      out += static_cast<char>(std::stoi(path.substr(k + 1, 2), nullptr, 16));
      k += 2;
    } else {
      out += path[k];
    }
  }
  return out;
}

std::string CommitFileName(int64_t version) { return VersionName(version) + ".json"; }
std::string CheckpointFileName(int64_t version) {
  return VersionName(version) + ".checkpoint.parquet";
}

int64_t Snapshot::NumRecords() const {
  int64_t total = 0;
  for (const auto& [path, add] : files) {
    json stats = json::parse(add.stats, nullptr, false);
    if (stats.is_discarded() || !stats.contains("numRecords")) return -1;
    total += stats["numRecords"].get<int64_t>();
  }
  return total;
}

int64_t Snapshot::SizeBytes() const {
  int64_t total = 0;
  for (const auto& [path, add] : files) total += add.size;
  return total;
}

Status CheckProtocol(const ProtocolAction& p, bool for_write, const std::string& where) {
  if (p.min_reader_version > kMaxReaderVersion) {
    std::string features;
    for (const auto& f : p.reader_features) features += (features.empty() ? "" : ", ") + f;
    return Unsupported(where + " requires Delta reader version " +
                       std::to_string(p.min_reader_version) +
                       (features.empty() ? "" : " (features: " + features + ")") +
                       "; dicomlake reads version " + std::to_string(kMaxReaderVersion));
  }
  if (for_write && p.min_writer_version > kMaxWriterVersion) {
    return Unsupported(where + " requires Delta writer version " +
                       std::to_string(p.min_writer_version) + "; dicomlake writes version " +
                       std::to_string(kMaxWriterVersion));
  }
  return Status::Ok();
}

DeltaLog::DeltaLog(std::string table_root, std::string display_name)
    : root_(std::move(table_root)), name_(std::move(display_name)) {}

std::string DeltaLog::log_dir() const { return fs::Join(root_, "_delta_log"); }

bool DeltaLog::Exists() const {
  return fs::Exists(fs::Join(log_dir(), CommitFileName(0))) || LatestVersion().ok();
}

Result<DeltaLog::Listing> DeltaLog::List() const {
  auto entries = fs::ListDir(log_dir());
  if (!entries.ok()) {
    if (entries.status().code() == StatusCode::kNotFound) {
      return NotFound("table " + name_ + ": " + root_ + " is not a Delta table (no _delta_log)");
    }
    return entries.status();
  }
  Listing listing;
  for (const auto& e : *entries) {
    if (int64_t v = ParseVersionedName(e.name, ".json"); v >= 0) listing.commits.push_back(v);
    if (int64_t v = ParseVersionedName(e.name, ".checkpoint.parquet"); v >= 0)
      listing.checkpoints.push_back(v);
  }
  return listing;
}

Result<int64_t> DeltaLog::LatestVersion() const {
  DL_ASSIGN_OR_RETURN(Listing listing, List());
  if (listing.commits.empty()) {
    return NotFound("table " + name_ + ": " + root_ + " is not a Delta table (no commits)");
  }
  return listing.commits.back();
}

Result<Commit> DeltaLog::ReadCommit(int64_t version) const {
  std::string where = "table " + name_ + " version " + std::to_string(version);
  auto text = fs::ReadFile(fs::Join(log_dir(), CommitFileName(version)));
  if (!text.ok()) return text.status().WithContext(where);
  return ParseCommit(*text, where + " (" + CommitFileName(version) + ")");
}

Status DeltaLog::Apply(const Commit& commit, int64_t version, Snapshot* s) const {
  std::string where = "table " + name_ + " version " + std::to_string(version);
  if (commit.protocol) {
    s->protocol = *commit.protocol;
    DL_RETURN_IF_ERROR(CheckProtocol(s->protocol, false, where));
  }
  if (commit.metadata) {
    s->metadata = *commit.metadata;
    auto schema = Schema::FromJson(s->metadata.schema_string);
    if (!schema.ok()) return schema.status().WithContext(where);
    s->schema = std::move(*schema);
  }
  for (const auto& t : commit.txns) s->txns[t.app_id] = t;
  for (const auto& r : commit.removes) {
    s->files.erase(r.path);
    s->tombstones[r.path] = r;
  }
  for (const auto& a : commit.adds) {
    s->tombstones.erase(a.path);
    s->files[a.path] = a;
  }
  s->version = version;
  return Status::Ok();
}

Result<Snapshot> DeltaLog::LoadSnapshot(Engine& engine, std::optional<int64_t> version) const {
  DL_ASSIGN_OR_RETURN(Listing listing, List());
  if (listing.commits.empty() && listing.checkpoints.empty()) {
    return NotFound("table " + name_ + ": " + root_ + " is not a Delta table (no commits)");
  }
  int64_t latest = listing.commits.empty() ? listing.checkpoints.back() : listing.commits.back();
  int64_t target = version.value_or(latest);
  if (target < 0 || target > latest) {
    return NotFound("table " + name_ + ": version " + std::to_string(target) +
                    " does not exist (latest is " + std::to_string(latest) + ")");
  }
  Snapshot snapshot;
  int64_t start = 0;
  // Newest checkpoint at or below the target; fall back to older ones, then to a full replay.
  for (auto it = listing.checkpoints.rbegin(); it != listing.checkpoints.rend(); ++it) {
    if (*it > target) continue;
    Snapshot from_checkpoint;
    if (ReadCheckpoint(engine, *it, &from_checkpoint).ok()) {
      snapshot = std::move(from_checkpoint);
      snapshot.checkpoint_version = *it;
      start = *it + 1;
      break;
    }
  }
  std::vector<int64_t> needed;
  for (int64_t v : listing.commits) {
    if (v >= start && v <= target) needed.push_back(v);
  }
  for (size_t k = 0; k < needed.size(); ++k) {
    if (needed[k] != start + static_cast<int64_t>(k)) {
      return Corrupt("table " + name_ + ": versions are not contiguous: version " +
                     std::to_string(start + static_cast<int64_t>(k)) + " is missing");
    }
  }
  if (static_cast<int64_t>(needed.size()) != target - start + 1) {
    return Corrupt("table " + name_ + ": version " +
                   std::to_string(start + static_cast<int64_t>(needed.size())) +
                   " is missing from the log");
  }
  for (int64_t v : needed) {
    DL_ASSIGN_OR_RETURN(Commit commit, ReadCommit(v));
    DL_RETURN_IF_ERROR(Apply(commit, v, &snapshot));
  }
  if (snapshot.metadata.id.empty() || snapshot.schema.fields.empty()) {
    return Corrupt("table " + name_ + " version " + std::to_string(target) +
                   ": no metaData action in the log");
  }
  if (snapshot.protocol.min_reader_version == 0) {
    return Corrupt("table " + name_ + " version " + std::to_string(target) +
                   ": no protocol action in the log");
  }
  return snapshot;
}

Status DeltaLog::TryCommit(int64_t version, const Commit& commit) const {
  DL_RETURN_IF_ERROR(fs::MakeDirs(log_dir()));
  return fs::CreateFileExclusive(fs::Join(log_dir(), CommitFileName(version)),
                                 SerializeCommit(commit));
}

Status DeltaLog::ReadCheckpoint(Engine& engine, int64_t version, Snapshot* snapshot) const {
  std::string path = fs::Join(log_dir(), CheckpointFileName(version));
  auto result = engine.Query(
      "SELECT to_json(txn)::VARCHAR, to_json(\"add\")::VARCHAR, to_json(remove)::VARCHAR, "
      "to_json(metaData)::VARCHAR, to_json(protocol)::VARCHAR FROM read_parquet(" +
      QuoteLiteral(path) + ")");
  std::string where = "table " + name_ + " checkpoint " + std::to_string(version);
  if (!result.ok()) return Corrupt(where + ": " + result.status().message());
  static const char* kKinds[] = {"txn", "add", "remove", "metaData", "protocol"};
  Commit commit;
  for (const Row& row : result->rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (row[c].is_null()) continue;
      json body = json::parse(row[c].s, nullptr, false);
      if (body.is_discarded()) return Corrupt(where + ": unreadable " + kKinds[c] + " row");
      DL_RETURN_IF_ERROR(ParseAction(kKinds[c], body, where, &commit));
    }
  }
  return Apply(commit, version, snapshot);
}

Status DeltaLog::WriteCheckpoint(Engine& engine, const Snapshot& s,
                                 int64_t tombstone_retention_ms) const {
  // Rows in the checkpoint's shape, one non-null action per row, written as NDJSON and turned
  // into Parquet by the engine with the protocol's column types.
  std::string ndjson;
  auto row = [&ndjson](const char* key, const json& body) {
    json j;
    j[key] = body;
    ndjson += j.dump() + "\n";
  };
  row("protocol", ProtocolToJson(s.protocol));
  row("metaData", MetadataToJson(s.metadata));
  for (const auto& [id, t] : s.txns) row("txn", TxnToJson(t));
  for (const auto& [path, a] : s.files) row("add", AddToJson(a));
  int64_t cutoff = NowMillis() - tombstone_retention_ms;
  size_t actions = 2 + s.txns.size() + s.files.size();
  for (const auto& [path, r] : s.tombstones) {
    if (r.deletion_timestamp < cutoff) continue;
    row("remove", RemoveToJson(r));
    ++actions;
  }
  std::string tmp_json = fs::Join(log_dir(), "." + NewUuid() + ".checkpoint.ndjson");
  std::string tmp_parquet = fs::Join(log_dir(), "." + NewUuid() + ".checkpoint.parquet");
  std::string final_path = fs::Join(log_dir(), CheckpointFileName(s.version));
  DL_RETURN_IF_ERROR(fs::WriteFileAtomic(tmp_json, ndjson));
  Status st = engine.Execute(
      "COPY (SELECT txn, \"add\", remove, metaData, protocol FROM read_json(" +
      QuoteLiteral(tmp_json) + ", format='newline_delimited', columns={" + kCheckpointColumns +
      "})) TO " + QuoteLiteral(tmp_parquet) + " (FORMAT PARQUET)");
  (void)fs::RemoveFile(tmp_json);
  if (!st.ok()) {
    (void)fs::RemoveFile(tmp_parquet);
    return st.WithContext("table " + name_ + ": cannot write checkpoint " +
                          std::to_string(s.version));
  }
  if (Status st = fs::Rename(tmp_parquet, final_path); !st.ok()) {
    (void)fs::RemoveFile(tmp_parquet);
    return st.WithContext("table " + name_ + ": checkpoint");
  }
  DL_ASSIGN_OR_RETURN(fs::FileInfo info, fs::Stat(final_path));
  // A slower writer must not point _last_checkpoint back at an older checkpoint.
  std::string last_path = fs::Join(log_dir(), "_last_checkpoint");
  if (auto existing = fs::ReadFile(last_path); existing.ok()) {
    json old = json::parse(*existing, nullptr, false);
    if (!old.is_discarded() && old.contains("version") && old["version"].is_number_integer() &&
        old["version"].get<int64_t>() >= s.version) {
      return Status::Ok();
    }
  }
  json last;
  last["version"] = s.version;
  last["size"] = actions;
  last["sizeInBytes"] = info.size;
  last["numOfAddFiles"] = s.files.size();
  return fs::WriteFileAtomic(last_path, last.dump() + "\n");
}

}  // namespace dicomlake::lake
