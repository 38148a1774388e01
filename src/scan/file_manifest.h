// Change detection against admin FileManifest (ARCHITECTURE section 2): a file read in place (the
// BYOS pattern) or an NDJSON file is read again only when its (path, size, mtime) differ from
// what the newest FileManifest entry of its pattern recorded. Paths are compared as the lake stores
// them (Lake::StoredPath) and handed out absolute.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "lake/temp_tables.h"
#include "scan/source.h"

namespace dicomlake::lake {
class DeltaTable;
class Engine;
class Lake;
}  // namespace dicomlake::lake

namespace dicomlake::scan {

// The newest FileManifest entry of every path of `pattern`, held in a temporary table of the
// engine (so that millions of paths need not be in memory) and dropped with this object.
class KnownFiles {
 public:
  KnownFiles(lake::Engine& engine, const lake::Lake& lake)
      : engine_(engine), lake_(lake), temps_(engine) {}

  // Loads the entries of `pattern` ("byos", ...) from `manifest`; returns how many paths.
  Result<int64_t> Load(const lake::DeltaTable& manifest, const std::string& pattern);
  // The source paths of `files` whose size and mtime equal their entry.
  Result<std::set<std::string>> Unchanged(const std::vector<SourceFile>& files) const;

 private:
  lake::Engine& engine_;
  const lake::Lake& lake_;
  lake::TempTables temps_;
  std::string table_;
};

// Every FileManifest entry of `pattern` in `lake` as absolute path -> (size, modified
// microseconds); for small sets (the NDJSON files of the silver stage).
Result<std::map<std::string, std::pair<int64_t, int64_t>>> ReadKnownFiles(
    const lake::Lake& lake, lake::Engine& engine, const std::string& pattern);

}  // namespace dicomlake::scan
