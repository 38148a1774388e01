// Lake: the folder layout of a lake (ARCHITECTURE section 1) and the discovery of its Delta
// tables. A lake holds four lakehouses (admin, bronze, silver, gold), each with `Files/` and
// `Tables/`; every folder under `<lakehouse>/Tables/` with a `_delta_log` is a table.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::lake {

class Engine;

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

class Lake {
 public:
  explicit Lake(const std::string& root);  // made absolute

  const std::string& root() const { return root_; }
  std::string FilesPath(const std::string& lakehouse) const;
  std::string TablesPath(const std::string& lakehouse) const;
  std::string TablePath(const std::string& lakehouse, const std::string& table) const;
  std::string ConfigPath() const;

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
  Status RegisterViews(Engine& engine, std::vector<std::string>* warnings) const;

 private:
  std::string root_;
};

}  // namespace dicomlake::lake
