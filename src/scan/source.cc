#include "scan/source.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

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

// The names in `dir` that are not hidden, sorted; no stat calls (the scanner lstats each entry
// when it visits it, and must not follow links).
Result<std::vector<std::string>> VisibleNames(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return NotFound("no such directory: " + dir);
    return ErrnoError(errno, "cannot list " + dir);
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.' || e->d_name[0] == '\0') continue;  // hidden, "." and ".."
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

FolderScanner::FolderScanner(std::string root, std::string default_namespace,
                             std::string only_namespace, std::string label)
    : root_(std::move(root)),
      default_namespace_(std::move(default_namespace)),
      only_namespace_(std::move(only_namespace)),
      label_(std::move(label)) {}

Status FolderScanner::Enter(const std::string& dir, const std::string& rel, const std::string& ns) {
  DL_ASSIGN_OR_RETURN(auto names, VisibleNames(dir));
  stack_.push_back(Level{dir, rel, ns, std::move(names), 0});
  return Status::Ok();
}

Status FolderScanner::Next(size_t max_files, std::vector<SourceFile>* files,
                           std::vector<Refusal>* refused) {
  if (!started_) {
    started_ = true;
    if (!fs::IsDirectory(root_)) return NotFound("source folder " + root_ + " does not exist");
    DL_RETURN_IF_ERROR(Enter(root_, "", label_));
  }
  size_t added = 0;
  while (added < max_files && !stack_.empty()) {
    Level& top = stack_.back();
    if (top.next == top.names.size()) {
      stack_.pop_back();
      continue;
    }
    const std::string name = top.names[top.next++];
    const std::string path = fs::Join(top.dir, name);
    // The first level names the namespaces, unless every file has the label's.
    const bool at_root = stack_.size() == 1 && label_.empty();
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (!at_root) refused->push_back({path, "cannot stat the file"});
      continue;
    }
    if (at_root) {
      // The first level: folders are namespaces, files belong to the default namespace.
      if (S_ISDIR(st.st_mode)) {
        if (!only_namespace_.empty() && name != only_namespace_) continue;
        DL_RETURN_IF_ERROR(Enter(path, "", name));
        continue;
      }
      if (!only_namespace_.empty() && default_namespace_ != only_namespace_) continue;
      if (S_ISLNK(st.st_mode)) {
        refused->push_back({path, "symbolic link: not followed"});
      } else if (S_ISREG(st.st_mode)) {
        files->push_back(MakeSourceFile(path, name, default_namespace_, st));
        ++added;
      }
      continue;
    }
    const std::string rel = top.rel.empty() ? name : top.rel + "/" + name;
    const std::string ns = top.ns;  // `top` is invalid once a level is pushed
    if (S_ISLNK(st.st_mode)) {
      refused->push_back({path, "symbolic link: not followed"});
    } else if (S_ISDIR(st.st_mode)) {
      DL_RETURN_IF_ERROR(Enter(path, rel, ns));
    } else if (S_ISREG(st.st_mode)) {
      files->push_back(MakeSourceFile(path, rel, ns, st));
      ++added;
    } else {
      refused->push_back({path, "not a regular file"});
    }
  }
  return Status::Ok();
}

Result<int64_t> CountFolderEntries(const std::string& root, const std::string& default_namespace,
                                   const std::string& only_namespace, const std::string& label) {
  FolderScanner scanner(root, default_namespace, only_namespace, label);
  int64_t count = 0;
  for (;;) {
    std::vector<SourceFile> files;
    std::vector<Refusal> refused;
    DL_RETURN_IF_ERROR(scanner.Next(4096, &files, &refused));
    if (files.empty() && refused.empty()) return count;
    count += static_cast<int64_t>(files.size() + refused.size());
  }
}

}  // namespace dicomlake::scan
