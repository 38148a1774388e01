#include "pipeline/file_access.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/fs.h"

namespace dicomlake::pipeline {
namespace {

Status Apply(const std::string& path, gid_t gid, bool change_group) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    return IoError("cannot read the mode of " + path + ": " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) return Status::Ok();
  if (change_group && st.st_gid != gid && lchown(path.c_str(), static_cast<uid_t>(-1), gid) != 0) {
    return IoError("cannot give " + path + " its group: " + std::strerror(errno));
  }
  mode_t mode = S_ISDIR(st.st_mode) ? 02750 : ((st.st_mode & 0077) == 0 ? 0600 : 0640);
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) return Status::Ok();
  if ((st.st_mode & 07777) != mode && chmod(path.c_str(), mode) != 0) {
    return IoError("cannot set the mode of " + path + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return Status::Ok();
  DL_ASSIGN_OR_RETURN(std::vector<fs::FileInfo> entries, fs::ListDir(path));
  for (const auto& e : entries) {
    DL_RETURN_IF_ERROR(Apply(fs::Join(path, e.name), gid, change_group));
  }
  return Status::Ok();
}

}  // namespace

Status ShareWithGroup(const std::string& path, const std::string& group) {
  gid_t gid = 0;
  if (!group.empty()) {
    std::vector<char> buffer(1 << 16);
    struct group g;
    struct group* found = nullptr;
    if (getgrnam_r(group.c_str(), &g, buffer.data(), buffer.size(), &found) != 0 ||
        found == nullptr) {
      return NotFound("no group \"" + group + "\" on this machine");
    }
    gid = found->gr_gid;
  }
  return Apply(path, gid, !group.empty());
}

}  // namespace dicomlake::pipeline
