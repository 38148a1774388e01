#include "bronze/file_store.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/fs.h"
#include "common/time_util.h"
#include "common/uuid.h"

namespace dicomlake::bronze {
namespace {

std::string Parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

Status FsyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open " + path + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("cannot fsync " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Status Publish(const std::string& tmp, const std::string& dest, Durability durability) {
  Status st = durability == Durability::kNow ? FsyncPath(tmp) : Status::Ok();
  if (st.ok() && std::rename(tmp.c_str(), dest.c_str()) != 0) {
    st = IoError("cannot rename to " + dest + ": " + std::strerror(errno));
  }
  if (!st.ok()) {
    (void)fs::RemoveFile(tmp);
    return st;
  }
  return durability == Durability::kNow ? fs::SyncDir(Parent(dest)) : Status::Ok();
}

}  // namespace

std::string DatePath(int64_t micros) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(micros / (86400LL * 1000000), &y, &m, &d);
  return fmt::format("{:04}/{:02}/{:02}", y, m, d);
}

Status WriteSingleEntryZip(const std::string& source, const std::string& entry_name,
                           const std::string& dest, int level, Durability durability) {
  DL_RETURN_IF_ERROR(fs::MakeDirs(Parent(dest)));
  DL_ASSIGN_OR_RETURN(fs::FileInfo info, fs::Stat(source));
  std::string tmp = Parent(dest) + "/." + NewUuid() + ".zip.tmp";
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  std::string options =
      level <= 0 ? "zip:compression=store"
                 : fmt::format("zip:compression=deflate,zip:compression-level={}", level);
  Status st;
  if (archive_write_set_options(a, options.c_str()) != ARCHIVE_OK ||
      archive_write_open_filename(a, tmp.c_str()) != ARCHIVE_OK) {
    st = IoError("cannot create " + tmp + ": " + archive_error_string(a));
  }
  if (st.ok()) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, entry_name.c_str());
    archive_entry_set_size(entry, static_cast<la_int64_t>(info.size));
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_mtime(entry, info.mtime_ms / 1000, 0);
    if (archive_write_header(a, entry) != ARCHIVE_OK)
      st = IoError(std::string("zip header: ") + archive_error_string(a));
    archive_entry_free(entry);
  }
  if (st.ok()) {
    std::FILE* in = std::fopen(source.c_str(), "rb");
    if (in == nullptr) {
      st = IoError("cannot read " + source + ": " + std::strerror(errno));
    } else {
      std::vector<char> buf(1 << 20);
      size_t n;
      while (st.ok() && (n = std::fread(buf.data(), 1, buf.size(), in)) > 0) {
        if (archive_write_data(a, buf.data(), n) != static_cast<la_ssize_t>(n)) {
          st = IoError(std::string("zip write: ") + archive_error_string(a));
        }
      }
      std::fclose(in);
    }
  }
  if (archive_write_close(a) != ARCHIVE_OK && st.ok())
    st = IoError(std::string("zip close: ") + archive_error_string(a));
  archive_write_free(a);
  if (!st.ok()) {
    (void)fs::RemoveFile(tmp);
    return st;
  }
  return Publish(tmp, dest, durability);
}

Status CopyFileDurable(const std::string& source, const std::string& dest, Durability durability) {
  DL_RETURN_IF_ERROR(fs::MakeDirs(Parent(dest)));
  std::string tmp = Parent(dest) + "/." + NewUuid() + ".copy.tmp";
  std::FILE* in = std::fopen(source.c_str(), "rb");
  if (in == nullptr) return IoError("cannot read " + source + ": " + std::strerror(errno));
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  if (out == nullptr) {
    std::fclose(in);
    return IoError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  std::vector<char> buf(1 << 20);
  size_t n;
  Status st;
  while ((n = std::fread(buf.data(), 1, buf.size(), in)) > 0) {
    if (std::fwrite(buf.data(), 1, n, out) != n) {
      st = IoError("cannot write " + tmp + ": " + std::strerror(errno));
      break;
    }
  }
  std::fclose(in);
  if (std::fclose(out) != 0 && st.ok()) st = IoError("cannot write " + tmp);
  if (!st.ok()) {
    (void)fs::RemoveFile(tmp);
    return st;
  }
  return Publish(tmp, dest, durability);
}

Status SyncFileSystem(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open " + path + ": " + std::strerror(errno));
  int rc = ::syncfs(fd);
  ::close(fd);
  if (rc != 0)
    return IoError("cannot flush the file system of " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Status MoveFile(const std::string& source, const std::string& dest) {
  DL_RETURN_IF_ERROR(fs::MakeDirs(Parent(dest)));
  if (std::rename(source.c_str(), dest.c_str()) == 0) return fs::SyncDir(Parent(dest));
  if (errno != EXDEV)
    return IoError("cannot move " + source + " to " + dest + ": " + std::strerror(errno));
  DL_RETURN_IF_ERROR(CopyFileDurable(source, dest));
  return fs::RemoveFile(source);
}

std::string UniquePath(const std::string& path, const std::string& tag) {
  if (!fs::Exists(path)) return path;
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return path + "." + tag;
  return path.substr(0, dot) + "." + tag + path.substr(dot);
}

}  // namespace dicomlake::bronze
