// The inventory pattern (ARCHITECTURE section 2): Parquet or CSV listings name the files to
// read, so that listing millions of files is not the bottleneck. Listings live in
// bronze/Files/Inventory/Imaging/DICOM/<namespace>/ (Fabric: .../InventoryFiles/YYYY/MM/DD/).
// Two column layouts are understood:
//   Azure blob inventory: `Name`, `Last-Modified`, `hdi_isfolder` (folders are skipped);
//   generic: `filePath`, `sourceModifiedAt`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "scan/source.h"

namespace dicomlake::lake {
class Engine;
}

namespace dicomlake::scan {

struct InventoryOptions {
  std::string inventory_root;  // bronze/Files/Inventory/Imaging/DICOM
  std::string base_path;       // relative names are resolved against <base_path>
  std::string only_namespace;  // empty: all
  // Per namespace: only rows modified after this time (microseconds) are returned; the newest
  // sourceModifiedAt bronze has for the namespace.
  std::map<std::string, int64_t> newer_than_us;
};

// Reads every listing and returns the files they name that are newer than the watermark, with
// `mtime_ms` from the listing and `inventory_file` set. A listed file that does not exist, or a
// listing that cannot be read, is a Refusal with the reason.
Status ReadInventories(lake::Engine& engine, const InventoryOptions& options,
                       std::vector<SourceFile>* files, std::vector<Refusal>* refused);

}  // namespace dicomlake::scan
