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

// Lists the regular files below `root`, recursively and sorted. The first folder level names
// the namespace; files directly in `root` get `default_namespace`. When `only_namespace` is not
// empty, other namespaces are skipped. Symbolic links are never followed: they are refused
// (a link can point outside the lake or form a loop). Hidden entries ('.' names) are skipped.
Status ScanFolder(const std::string& root, const std::string& default_namespace,
                  const std::string& only_namespace, std::vector<SourceFile>* files,
                  std::vector<Refusal>* refused);

}  // namespace dicomlake::scan
