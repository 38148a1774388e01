// What the scanners find: files to read, wherever their bytes are (a folder, an archive member
// extracted to the staging folder), with the facts the bronze row records about them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::scan {

struct SourceFile {
  std::string path;            // where the bytes are now (absolute); read from here
  std::string source_path;     // where the file came from (absolute), for lineage
  std::string relative_path;   // path below its namespace folder, e.g. "study1/img001.dcm"
  std::string archive_member;  // member name when the file came out of an archive, else ""
  std::string namespace_name;  // the source system (first folder level below the source root)
  std::string inventory_file;  // the inventory listing that named this file, else ""
  uint64_t size = 0;
  int64_t mtime_ms = 0;
};

struct Refusal {
  std::string path;    // the file, or "<archive>!<member>"
  std::string reason;  // why it was not read
};

// Lists the regular files below `root` a batch at a time, depth first, the entries of every
// folder in name order (so the order is the same on every run). The first folder level names
// the namespace; files directly in `root` get `default_namespace`. When `only_namespace` is not
// empty, other namespaces are skipped. When `label` is not empty, every file belongs to that
// namespace instead and its relative path starts at `root` (a folder given on the command line
// is one source system). Symbolic links are never followed: they are refused (a
// link can point outside the lake or form a loop). Hidden entries ('.' names) are skipped.
// Memory: only the names not yet visited in the folders on the current path are held, never the
// whole listing, so a source of millions of files costs what its widest folder costs. Files
// already returned may be deleted or moved while the scan goes on.
class FolderScanner {
 public:
  FolderScanner(std::string root, std::string default_namespace, std::string only_namespace,
                std::string label = "");

  // Appends up to `max_files` files, and the refusals met on the way, to the vectors. Nothing
  // appended means the scan is complete. A folder that cannot be listed is an error.
  Status Next(size_t max_files, std::vector<SourceFile>* files, std::vector<Refusal>* refused);

 private:
  struct Level {
    std::string dir;                 // absolute path of the folder
    std::string rel;                 // its path below the namespace folder ("" at the top)
    std::string ns;                  // its namespace ("" for the source root itself)
    std::vector<std::string> names;  // its entries, sorted
    size_t next = 0;                 // the first entry not yet visited
  };
  Status Enter(const std::string& dir, const std::string& rel, const std::string& ns);

  std::string root_, default_namespace_, only_namespace_, label_;
  bool started_ = false;
  std::vector<Level> stack_;
};

// How many files and refusals a FolderScanner of the same arguments would return (for progress
// displays); reads the folders once, holds no listing.
Result<int64_t> CountFolderEntries(const std::string& root, const std::string& default_namespace,
                                   const std::string& only_namespace,
                                   const std::string& label = "");

}  // namespace dicomlake::scan
