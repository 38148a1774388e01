#include "lake/lake.h"

#include <algorithm>
#include <cctype>

#include "common/fs.h"
#include "lake/delta_table.h"
#include "lake/engine.h"

namespace dicomlake::lake {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Folders of ARCHITECTURE section 1 that exist from the start, relative to the lake root.
const char* const kLayoutFolders[] = {
    "admin/Files/system-configurations",
    "admin/Tables",
    "bronze/Files/Ingest/Imaging/DICOM",
    "bronze/Files/Ingest/Clinical/FHIR-NDJSON",
    "bronze/Files/Process/Imaging/DICOM",
    "bronze/Files/Process/Clinical/FHIR-NDJSON",
    "bronze/Files/External/Imaging/DICOM",
    "bronze/Files/Inventory/Imaging/DICOM",
    "bronze/Files/Failed/Imaging/DICOM",
    "bronze/Tables",
    "silver/Files",
    "silver/Tables",
    "gold/Files",
    "gold/Tables",
};

}  // namespace

Lake::Lake(const std::string& root, TableOptions table_options)
    : root_(fs::Absolute(root)), table_options_(table_options) {}

DeltaTable Lake::OpenTable(const TableId& id) const {
  return DeltaTable(TablePath(id.lakehouse, id.name), id.display(), table_options_);
}

DeltaTable Lake::OpenTable(const TableRef& ref) const {
  return DeltaTable(ref.root, ref.display(), table_options_);
}

std::string Lake::FilesPath(const std::string& lakehouse) const {
  return fs::Join(fs::Join(root_, lakehouse), "Files");
}
std::string Lake::TablesPath(const std::string& lakehouse) const {
  return fs::Join(fs::Join(root_, lakehouse), "Tables");
}
std::string Lake::TablePath(const std::string& lakehouse, const std::string& table) const {
  return fs::Join(TablesPath(lakehouse), table);
}
std::string Lake::ConfigPath() const {
  return fs::Join(root_, "admin/Files/system-configurations/dicomlake.json");
}

std::string Lake::StoredPath(const std::string& path) const {
  if (path.size() > root_.size() && path.compare(0, root_.size(), root_) == 0 &&
      path[root_.size()] == '/')
    return path.substr(root_.size() + 1);
  return path;
}

std::string Lake::ResolvePath(const std::string& stored) const {
  if (stored.empty() || stored[0] == '/') return stored;
  return fs::Join(root_, stored);
}

bool Lake::Exists() const {
  return fs::IsDirectory(fs::Join(root_, "admin/Files/system-configurations"));
}

Status Lake::CheckExists() const {
  if (Exists()) return Status::Ok();
  return NotFound(
      root_ +
      " is not a dicomlake lake (no admin/Files/system-configurations); create one with "
      "`dicomlake init " +
      root_ + "`");
}

Status Lake::CreateLayout() const {
  for (const char* folder : kLayoutFolders)
    DL_RETURN_IF_ERROR(fs::MakeDirs(fs::Join(root_, folder)));
  return Status::Ok();
}

Result<std::vector<TableRef>> Lake::DiscoverTables() const {
  std::vector<TableRef> out;
  for (const auto& lakehouse : Lakehouses()) {
    auto entries = fs::ListDir(TablesPath(lakehouse));
    if (!entries.ok()) {
      if (entries.status().code() == StatusCode::kNotFound) continue;
      return entries.status();
    }
    for (const auto& e : *entries) {
      std::string root = TablePath(lakehouse, e.name);
      if (e.is_dir && fs::IsDirectory(fs::Join(root, "_delta_log")))
        out.push_back({lakehouse, e.name, root});
    }
  }
  return out;
}

Result<TableRef> Lake::FindTable(const std::string& spec) const {
  DL_ASSIGN_OR_RETURN(auto tables, DiscoverTables());
  std::string lakehouse, name = spec;
  if (auto sep = spec.find_first_of("./"); sep != std::string::npos) {
    lakehouse = Lower(spec.substr(0, sep));
    name = spec.substr(sep + 1);
  }
  std::vector<TableRef> matches;
  for (const auto& t : tables) {
    if ((lakehouse.empty() || t.lakehouse == lakehouse) && Lower(t.name) == Lower(name))
      matches.push_back(t);
  }
  if (matches.size() == 1) return matches[0];
  if (matches.empty())
    return NotFound("no table \"" + spec + "\" in lake " + root_ + " (see `dicomlake tables`)");
  std::string names;
  for (const auto& m : matches) names += (names.empty() ? "" : ", ") + m.lakehouse + "." + m.name;
  return InvalidArgument("table name \"" + spec + "\" is ambiguous: " + names);
}

namespace {

// The version of `table` that `as_of` asks for; std::nullopt when the table did not exist yet.
Result<std::optional<int64_t>> VersionAsOf(const DeltaTable& table, const AsOf& as_of) {
  if (as_of.version) {
    DL_ASSIGN_OR_RETURN(int64_t latest, table.log().LatestVersion());
    return std::optional<int64_t>(std::min(*as_of.version, latest));
  }
  if (as_of.timestamp_ms) {
    DL_ASSIGN_OR_RETURN(std::vector<HistoryEntry> history, table.History());
    for (const auto& e : history) {  // newest first
      if (e.timestamp_ms <= *as_of.timestamp_ms) return std::optional<int64_t>(e.version);
    }
    return std::optional<int64_t>();
  }
  return std::optional<int64_t>(-1);  // the latest
}

}  // namespace

Status Lake::RegisterViews(Engine& engine, std::vector<std::string>* warnings,
                           const AsOf& as_of) const {
  for (const auto& lakehouse : Lakehouses()) {
    DL_RETURN_IF_ERROR(engine.Execute("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(lakehouse)));
  }
  DL_ASSIGN_OR_RETURN(auto tables, DiscoverTables());
  for (const auto& t : tables) {
    DeltaTable table = OpenTable(t);
    auto version = VersionAsOf(table, as_of);
    if (version.ok() && !version->has_value()) {
      warnings->push_back(t.display() + ": did not exist yet at that time");
      continue;
    }
    auto snapshot = !version.ok()   ? Result<Snapshot>(version.status())
                    : **version < 0 ? table.Load(engine)
                                    : table.Load(engine, **version);
    Result<std::string> scan =
        snapshot.ok() ? table.ScanSql(*snapshot) : Result<std::string>(snapshot.status());
    Status st = scan.ok() ? engine.Execute("CREATE OR REPLACE VIEW " + QuoteIdent(t.lakehouse) +
                                           "." + QuoteIdent(t.name) + " AS " + *scan)
                          : scan.status();
    if (!st.ok()) warnings->push_back(t.display() + ": " + st.message());
  }
  return Status::Ok();
}

Result<QueryResult> TableSummary(const Lake& lake, Engine& engine) {
  DL_ASSIGN_OR_RETURN(auto tables, lake.DiscoverTables());
  QueryResult out;
  out.column_names = {"lakehouse", "table", "version", "files", "rows", "bytes"};
  for (const auto& t : tables) {
    DeltaTable table = lake.OpenTable(t);
    DL_ASSIGN_OR_RETURN(Snapshot snapshot, table.Load(engine));
    int64_t rows = snapshot.NumRecords();
    if (rows < 0) {  // files without stats (written by another tool): count them
      auto scan = table.ScanSql(snapshot);
      auto count = scan.ok() ? engine.Query("SELECT count(*) FROM (" + *scan + ")")
                             : Result<QueryResult>(scan.status());
      rows = count.ok() ? count->rows[0][0].i : -1;
    }
    out.rows.push_back(
        {Value::String(t.lakehouse), Value::String(t.name), Value::Int(snapshot.version),
         Value::Int(static_cast<int64_t>(snapshot.files.size())),
         rows >= 0 ? Value::Int(rows) : Value::Null(), Value::Int(snapshot.SizeBytes())});
  }
  return out;
}

}  // namespace dicomlake::lake
