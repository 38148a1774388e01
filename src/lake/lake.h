// Lake: the folder layout of a lake (ARCHITECTURE section 1) and the discovery of its Delta
// tables. A lake holds four lakehouses (admin, bronze, silver, gold), each with `Files/` and
// `Tables/`; every folder under `<lakehouse>/Tables/` with a `_delta_log` is a table.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/delta_table.h"
#include "lake/engine.h"

namespace dicomlake::lake {

class Engine;

// A table of the lake by identity: its lakehouse and name (ARCHITECTURE sections 1 and 3).
struct TableId {
  const char* lakehouse;  // "bronze"
  const char* name;       // "ImagingDicom"
  std::string display() const { return std::string(lakehouse) + "/" + name; }
};

// Every table dicomlake writes. Add a table here and open it with Lake::OpenTable.
namespace table {
inline constexpr TableId kBusinessEvents{"admin", "BusinessEvents"};
inline constexpr TableId kExecutionSummary{"admin", "ExecutionSummary"};
inline constexpr TableId kFileManifest{"admin", "FileManifest"};
inline constexpr TableId kPixelRedactions{"admin", "PixelRedactions"};  // research lakes (deid)
inline constexpr TableId kPurgedInstances{"admin", "PurgedInstances"};  // `purge bronze`
inline constexpr TableId kImagingDicom{"bronze", "ImagingDicom"};
inline constexpr TableId kClinicalFhir{"bronze", "ClinicalFhir"};
inline constexpr TableId kImagingStudy{"silver", "ImagingStudy"};
inline constexpr TableId kImagingMetastore{"silver", "ImagingMetastore"};
inline constexpr TableId kPatient{"silver", "Patient"};
inline constexpr TableId kPerson{"gold", "person"};
inline constexpr TableId kProcedureOccurrence{"gold", "procedure_occurrence"};
inline constexpr TableId kImageOccurrence{"gold", "image_occurrence"};
inline constexpr TableId kOmopIdMapping{"gold", "omop_id_mapping"};
}  // namespace table

inline const std::vector<std::string>& Lakehouses() {
  static const std::vector<std::string> kLakehouses{"admin", "bronze", "silver", "gold"};
  return kLakehouses;
}

struct TableRef {
  std::string lakehouse;  // "bronze"
  std::string name;       // "ImagingDicom"
  std::string root;       // absolute path of the table folder
  std::string display() const { return lakehouse + "/" + name; }
};

// Time travel: the tables as they were. A version applies to every table (a table with fewer
// versions is read at its latest); a timestamp picks each table's last version committed at or
// before it (a table created later is left out, with a warning).
struct AsOf {
  std::optional<int64_t> version;
  std::optional<int64_t> timestamp_ms;  // milliseconds since the epoch, UTC
};

class Lake {
 public:
  // `root` is made absolute. `table_options` apply to every table opened through this object
  // (the configuration's delta.* keys; pipeline::TableOptionsFrom).
  explicit Lake(const std::string& root, TableOptions table_options = {});

  const std::string& root() const { return root_; }
  const TableOptions& table_options() const { return table_options_; }
  void set_table_options(const TableOptions& options) { table_options_ = options; }

  // The table `id` (which need not exist yet), with this lake's table options.
  DeltaTable OpenTable(const TableId& id) const;
  // A table found by DiscoverTables or FindTable, with this lake's table options.
  DeltaTable OpenTable(const TableRef& ref) const;

  std::string FilesPath(const std::string& lakehouse) const;
  std::string TablesPath(const std::string& lakehouse) const;
  std::string TablePath(const std::string& lakehouse, const std::string& table) const;
  std::string ConfigPath() const;

  // Paths as tables store them (ARCHITECTURE section 1): a file under the lake root is stored
  // relative to it ("bronze/Files/Process/..."), so that a moved or copied lake works unchanged;
  // a file elsewhere (a BYOS folder outside the lake) keeps its absolute path.
  std::string StoredPath(const std::string& path) const;
  // The absolute path of a stored one: a relative path is under the lake root.
  std::string ResolvePath(const std::string& stored) const;

  // True when `root` holds a lake (its configuration folder exists).
  bool Exists() const;
  // Creates the lakehouse folders and the drop zones of ARCHITECTURE section 1. Idempotent.
  Status CreateLayout() const;
  // kNotFound with a hint to run `dicomlake init` when the folder is not a lake.
  Status CheckExists() const;

  // Every Delta table of the lake, by lakehouse then name.
  Result<std::vector<TableRef>> DiscoverTables() const;
  // A table named "bronze.ImagingDicom", "bronze/ImagingDicom", or by its name alone when that
  // is unique in the lake (case-insensitive).
  Result<TableRef> FindTable(const std::string& spec) const;

  // Creates, in `engine`, one schema per lakehouse and one view per table over its latest
  // snapshot (`bronze.ImagingDicom`, ...). Tables that cannot be read are skipped with a
  // message in `warnings`.
  Status RegisterViews(Engine& engine, std::vector<std::string>* warnings,
                       const AsOf& as_of = {}) const;

 private:
  std::string root_;
  TableOptions table_options_;
};

// Every table of `lake` with its version, files, rows and bytes (what `dicomlake tables` prints
// and the dashboard shows): rows from the files' statistics, counted when a file lacks them.
Result<QueryResult> TableSummary(const Lake& lake, Engine& engine);

}  // namespace dicomlake::lake
