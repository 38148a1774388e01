// PosixEnv: the Env over POSIX system calls (Linux).
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/env.h"

namespace dicomlake {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path) {
  return ErrnoError(errno, what + " " + path);
}

FileInfo InfoOf(const std::string& name, const struct stat& st) {
  FileInfo info;
  info.name = name;
  info.is_dir = S_ISDIR(st.st_mode);
  info.is_regular = S_ISREG(st.st_mode);
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
  return info;
}

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot write", path_);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fsync(fd_) != 0) return ErrnoStatus("cannot fsync", path_);
    return Status::Ok();
  }
  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return ErrnoStatus("cannot write", path_);
    return Status::Ok();
  }

 private:
  int fd_;
  std::string path_;
};

class PosixFileLock : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }

 private:
  int fd_;
};

class PosixEnv : public Env {
 public:
  Result<FileInfo> Stat(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return NotFound("no such file: " + path);
      return ErrnoStatus("cannot stat", path);
    }
    auto slash = path.rfind('/');
    return InfoOf(slash == std::string::npos ? path : path.substr(slash + 1), st);
  }

  Result<std::vector<FileInfo>> ListDir(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      if (errno == ENOENT) return NotFound("no such directory: " + path);
      return ErrnoStatus("cannot list", path);
    }
    std::vector<FileInfo> out;
    while (struct dirent* e = ::readdir(dir)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      struct stat st;
      if (::fstatat(::dirfd(dir), e->d_name, &st, 0) == 0) {
        out.push_back(InfoOf(e->d_name, st));
      } else {
        FileInfo info;  // vanished or a dangling link: listed without facts
        info.name = e->d_name;
        out.push_back(std::move(info));
      }
    }
    ::closedir(dir);
    std::sort(out.begin(), out.end(),
              [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
    return out;
  }

  Result<std::string> ReadFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return NotFound("no such file: " + path);
      return ErrnoStatus("cannot open", path);
    }
    std::string data;
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        Status st = ErrnoStatus("cannot read", path);
        ::close(fd);
        return st;
      }
      if (n == 0) break;
      data.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return data;
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                        bool exclusive) override {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) {
      if (errno == EEXIST) return AlreadyExists(path);
      return ErrnoStatus("cannot create", path);
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      if (errno == EXDEV)
        return Unsupported("cannot rename " + from + " to " + to +
                           ": they are on different file systems");
      return ErrnoStatus("cannot rename to", to);
    }
    return Status::Ok();
  }

  Status Link(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) != 0) {
      if (errno == EEXIST) return AlreadyExists(to);
      return ErrnoStatus("cannot create", to);
    }
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove", path);
    return Status::Ok();
  }

  Status RemoveAll(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return ErrnoError(ec.value(), "cannot remove " + path);
    return Status::Ok();
  }

  Status MakeDirs(const std::string& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    struct stat st;
    bool is_dir = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (ec && !is_dir) return ErrnoError(ec.value(), "cannot create directory " + path);
    return Status::Ok();
  }

  Status SyncPath(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open", path);
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return ErrnoStatus("cannot fsync", path);
    return Status::Ok();
  }

  Status SyncFileSystem(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open", path);
    int rc = ::syncfs(fd);
    ::close(fd);
    if (rc != 0) return ErrnoStatus("cannot flush the file system of", path);
    return Status::Ok();
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("cannot open the lock file", path);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return Conflict("the lock " + path + " is held");
      return ErrnoError(err, "cannot lock " + path);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }
};

std::atomic<Env*> current_env{nullptr};

}  // namespace

Env* Env::Posix() {
  static PosixEnv* env = new PosixEnv();  // never destroyed: used until the process ends
  return env;
}

Env* CurrentEnv() {
  Env* env = current_env.load(std::memory_order_acquire);
  return env != nullptr ? env : Env::Posix();
}

ScopedEnv::ScopedEnv(Env* env) : previous_(current_env.exchange(env)) {}

ScopedEnv::~ScopedEnv() { current_env.store(previous_); }

}  // namespace dicomlake
