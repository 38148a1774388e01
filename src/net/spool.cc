#include "net/spool.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "common/fs.h"
#include "common/time_util.h"
#include "common/uuid.h"

namespace dicomlake::net {
namespace {}  // namespace

std::string PathComponent(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  for (char& c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  }
  if (s.empty() || s == "." || s == "..") s = "_";
  return s;
}

std::string SpoolFolder(const std::string& spool, const std::string& source) {
  return fs::Join(fs::Join(spool, PathComponent(source)), FormatDateCompact(NowMicros()));
}

std::string SpoolTempPath(const std::string& folder) {
  return fs::Join(folder, "." + NewUuid() + ".part");
}

Result<std::string> CommitSpoolFile(const std::string& temp, const std::string& folder,
                                    const std::string& sop_instance_uid) {
  Status st = fs::SyncFile(temp);
  if (!st.ok()) {
    (void)fs::RemoveFile(temp);
    return st;
  }
  // link() never replaces a file (rename() would): two receivers storing the same SOP Instance
  // UID at once each get a name of their own.
  const std::string base = PathComponent(sop_instance_uid);
  std::string final_path;
  for (int n = 0;; ++n) {
    final_path = fs::Join(folder, base + (n == 0 ? "" : "." + std::to_string(n)) + ".dcm");
    if (::link(temp.c_str(), final_path.c_str()) == 0) break;
    if (errno != EEXIST || n > 100000) {
      st = ErrnoError(errno, "cannot name " + final_path);
      (void)fs::RemoveFile(temp);
      return st;
    }
  }
  (void)fs::RemoveFile(temp);
  st = fs::SyncDir(folder);
  if (!st.ok()) {
    (void)fs::RemoveFile(final_path);
    return st;
  }
  return final_path;
}

int RemoveStaleParts(const std::string& spool, int64_t max_age_seconds) {
  namespace stdfs = std::filesystem;
  std::error_code ec;
  if (!stdfs::is_directory(spool, ec)) return 0;
  const auto now = stdfs::file_time_type::clock::now();
  int removed = 0;
  for (auto it = stdfs::recursive_directory_iterator(
           spool, stdfs::directory_options::skip_permission_denied, ec);
       !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() < 6 || name[0] != '.' || name.substr(name.size() - 5) != ".part") continue;
    if (!it->is_regular_file(ec)) continue;
    const auto written = stdfs::last_write_time(it->path(), ec);
    if (ec || now - written < std::chrono::seconds(max_age_seconds)) continue;
    if (stdfs::remove(it->path(), ec)) removed++;
  }
  return removed;
}

}  // namespace dicomlake::net
