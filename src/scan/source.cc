#include "scan/source.h"

#include <sys/stat.h>

#include <algorithm>

#include "common/fs.h"

namespace dicomlake::scan {
namespace {

SourceFile MakeSourceFile(const std::string& path, const std::string& rel, const std::string& ns,
                          const struct stat& st) {
  SourceFile f;
  f.path = path;
  f.source_path = path;
  f.relative_path = rel;
  f.namespace_name = ns;
  f.size = static_cast<uint64_t>(st.st_size);
  f.mtime_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
  return f;
}

Status Walk(const std::string& dir, const std::string& rel, const std::string& ns,
            std::vector<SourceFile>* files, std::vector<Refusal>* refused) {
  DL_ASSIGN_OR_RETURN(auto entries, fs::ListDir(dir));
  for (const auto& e : entries) {
    if (e.name.empty() || e.name[0] == '.') continue;
    std::string path = fs::Join(dir, e.name);
    std::string child_rel = rel.empty() ? e.name : rel + "/" + e.name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      refused->push_back({path, "cannot stat the file"});
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      refused->push_back({path, "symbolic link: not followed"});
    } else if (S_ISDIR(st.st_mode)) {
      DL_RETURN_IF_ERROR(Walk(path, child_rel, ns, files, refused));
    } else if (S_ISREG(st.st_mode)) {
      files->push_back(MakeSourceFile(path, child_rel, ns, st));
    } else {
      refused->push_back({path, "not a regular file"});
    }
  }
  return Status::Ok();
}

}  // namespace

Status ScanFolder(const std::string& root, const std::string& default_namespace,
                  const std::string& only_namespace, std::vector<SourceFile>* files,
                  std::vector<Refusal>* refused) {
  if (!fs::IsDirectory(root)) return NotFound("source folder " + root + " does not exist");
  DL_ASSIGN_OR_RETURN(auto entries, fs::ListDir(root));
  for (const auto& e : entries) {
    if (e.name.empty() || e.name[0] == '.') continue;
    std::string path = fs::Join(root, e.name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (!only_namespace.empty() && e.name != only_namespace) continue;
      DL_RETURN_IF_ERROR(Walk(path, "", e.name, files, refused));
    } else {
      if (!only_namespace.empty() && default_namespace != only_namespace) continue;
      if (S_ISLNK(st.st_mode)) {
        refused->push_back({path, "symbolic link: not followed"});
      } else if (S_ISREG(st.st_mode)) {
        files->push_back(MakeSourceFile(path, e.name, default_namespace, st));
      }
    }
  }
  std::sort(files->begin(), files->end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  return Status::Ok();
}

}  // namespace dicomlake::scan
