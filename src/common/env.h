// The storage seam (after leveldb's Env): every file-system operation dicomlake performs itself
// (listing, reading, writing, renaming, linking, deleting, fsync, locking) goes through an Env.
// PosixEnv is the implementation on local and mounted file systems; tests substitute a
// fault-injecting Env (tests/support/fault_env.h) to fail each write, fsync and rename in turn.
// Object storage will be a second implementation.
//
// The fs:: functions (common/fs.h) are the interface modules call; they use CurrentEnv(), which
// is PosixEnv unless a ScopedEnv installed another. (Not an Env parameter threaded through every
// call: the file system is used from most modules, and a process uses one storage at a time.)
// Data files written by DuckDB (Parquet) do not pass through the Env.
//
// Thread safety: Env methods may be called from several threads at once; a WritableFile is used
// by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace dicomlake {

struct FileInfo {
  std::string name;  // entry name within its directory
  bool is_dir = false;
  bool is_regular = false;
  uint64_t size = 0;
  int64_t mtime_ms = 0;  // modification time, milliseconds since the Unix epoch
};

// A file being written. Close it to learn whether the last write succeeded; the destructor
// closes silently.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes the data written so far durable (fsync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

// Held while it lives: an exclusive advisory lock on a file.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The implementation over POSIX system calls (a process-wide object).
  static Env* Posix();

  // --- reading -----------------------------------------------------------------------------
  // kNotFound when `path` does not exist.
  virtual Result<FileInfo> Stat(const std::string& path) = 0;
  // The entries of a directory (not "." and ".."), sorted by name; kNotFound when missing.
  virtual Result<std::vector<FileInfo>> ListDir(const std::string& path) = 0;
  // kNotFound when `path` does not exist.
  virtual Result<std::string> ReadFile(const std::string& path) = 0;

  // --- writing -----------------------------------------------------------------------------
  // Creates `path` for writing; `exclusive`: fails with kAlreadyExists when it exists, else it
  // is truncated.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                                bool exclusive) = 0;
  // rename(2): replaces `to` atomically. kUnsupported when the two are on different file
  // systems (the caller copies instead).
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // link(2): a second name for `from`; kAlreadyExists when `to` exists (never replaced).
  virtual Status Link(const std::string& from, const std::string& to) = 0;
  // Removes a file; OK when it does not exist.
  virtual Status RemoveFile(const std::string& path) = 0;
  // Removes a directory tree; OK when it does not exist.
  virtual Status RemoveAll(const std::string& path) = 0;
  // mkdir -p; OK when it exists as a directory.
  virtual Status MakeDirs(const std::string& path) = 0;
  // fsync of a file or directory by name (a directory: its entries become durable).
  virtual Status SyncPath(const std::string& path) = 0;
  // syncfs(2): everything written to the file system holding `path` becomes durable.
  virtual Status SyncFileSystem(const std::string& path) = 0;

  // --- locking -----------------------------------------------------------------------------
  // An exclusive lock on `path` (created if missing), without waiting: kConflict when another
  // process or object holds it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// The Env the fs:: functions use now.
Env* CurrentEnv();

// Installs `env` as CurrentEnv() for the object's life (tests). Not for concurrent use with
// other threads that touch the file system while it is installed or removed.
class ScopedEnv {
 public:
  explicit ScopedEnv(Env* env);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  Env* previous_;
};

}  // namespace dicomlake
