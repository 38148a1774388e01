// An Env (common/env.h) for tests that passes every call to a base Env and fails the Nth
// operation that changes the file system (creating a file, each write, fsync, close, rename,
// link, remove, mkdir, syncfs), counting from 1, with an I/O error. Locks and reads are never
// failed. With FailAt(0) it only counts, so a clean run tells how many operations there are to
// fail in turn.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "common/env.h"

namespace dicomlake::testing {

class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base = Env::Posix()) : base_(base) {}

  // Fails operation number `n` (1-based) from now on counted; 0: fails nothing. Resets the count.
  void FailAt(int64_t n);
  // Mutating operations seen since the last FailAt.
  int64_t operations() const { return count_.load(); }
  // What the injected failure hit ("rename /a -> /b"), "" when nothing failed yet.
  std::string failed_operation() const;

  // Counts one operation; the injected failure when it is the one to fail. (For the wrapped
  // WritableFile.)
  Status Tick(const std::string& what);

  Result<FileInfo> Stat(const std::string& path) override { return base_->Stat(path); }
  Result<std::vector<FileInfo>> ListDir(const std::string& path) override {
    return base_->ListDir(path);
  }
  Result<std::string> ReadFile(const std::string& path) override { return base_->ReadFile(path); }
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                        bool exclusive) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Link(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveAll(const std::string& path) override;
  Status MakeDirs(const std::string& path) override;
  Status SyncPath(const std::string& path) override;
  Status SyncFileSystem(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }

 private:
  Env* base_;
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> fail_at_{0};
  mutable std::mutex mutex_;
  std::string failed_;
};

}  // namespace dicomlake::testing
