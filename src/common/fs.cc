#include "common/fs.h"

#include <filesystem>

#include "common/uuid.h"

namespace dicomlake::fs {
namespace {

std::string ParentOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes `data` into a new hidden temporary file next to `path`, fsynced; returns its name.
Result<std::string> WriteTempBeside(const std::string& path, const std::string& data) {
  auto slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = Join(ParentOf(path), "." + base + "." + NewUuid() + ".tmp");
  Env* env = CurrentEnv();
  DL_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(tmp, /*exclusive=*/true));
  Status st = file->Append(data);
  if (st.ok()) st = file->Sync();
  Status closed = file->Close();
  if (st.ok()) st = closed;
  if (!st.ok()) {
    (void)env->RemoveFile(tmp);
    return st;
  }
  return tmp;
}

}  // namespace

bool Exists(const std::string& path) { return CurrentEnv()->Stat(path).ok(); }

bool IsDirectory(const std::string& path) {
  auto info = CurrentEnv()->Stat(path);
  return info.ok() && info->is_dir;
}

Result<FileInfo> Stat(const std::string& path) { return CurrentEnv()->Stat(path); }

Status MakeDirs(const std::string& path) { return CurrentEnv()->MakeDirs(path); }

Result<std::vector<FileInfo>> ListDir(const std::string& path) {
  return CurrentEnv()->ListDir(path);
}

Result<std::string> ReadFile(const std::string& path) { return CurrentEnv()->ReadFile(path); }

Status WriteFile(const std::string& path, std::initializer_list<std::string_view> parts) {
  DL_ASSIGN_OR_RETURN(auto file, CurrentEnv()->NewWritableFile(path, /*exclusive=*/false));
  for (std::string_view part : parts) DL_RETURN_IF_ERROR(file->Append(part));
  return file->Close();
}

Status WriteFileAtomic(const std::string& path, const std::string& data) {
  DL_ASSIGN_OR_RETURN(std::string tmp, WriteTempBeside(path, data));
  Env* env = CurrentEnv();
  if (Status st = env->Rename(tmp, path); !st.ok()) {
    (void)env->RemoveFile(tmp);
    return st;
  }
  return SyncDir(ParentOf(path));
}

Status CreateFileExclusive(const std::string& path, const std::string& data) {
  DL_ASSIGN_OR_RETURN(std::string tmp, WriteTempBeside(path, data));
  Env* env = CurrentEnv();
  Status linked = env->Link(tmp, path);
  (void)env->RemoveFile(tmp);
  DL_RETURN_IF_ERROR(linked);
  return SyncDir(ParentOf(path));
}

Status Rename(const std::string& from, const std::string& to) {
  return CurrentEnv()->Rename(from, to);
}

Status RemoveFile(const std::string& path) { return CurrentEnv()->RemoveFile(path); }

Status RemoveAll(const std::string& path) { return CurrentEnv()->RemoveAll(path); }

Status SyncDir(const std::string& path) { return CurrentEnv()->SyncPath(path); }

Status SyncFile(const std::string& path) { return CurrentEnv()->SyncPath(path); }

std::string Join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  bool a_slash = a.back() == '/';
  bool b_slash = b.front() == '/';
  if (a_slash && b_slash) return a + b.substr(1);
  if (a_slash || b_slash) return a + b;
  return a + "/" + b;
}

std::string Absolute(const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  if (ec) return path;
  std::string s = abs.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace dicomlake::fs
