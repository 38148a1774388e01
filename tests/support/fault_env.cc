#include "support/fault_env.h"

namespace dicomlake::testing {
namespace {

class FaultyWritableFile : public WritableFile {
 public:
  FaultyWritableFile(FaultInjectionEnv* env, std::unique_ptr<WritableFile> base, std::string path)
      : env_(env), base_(std::move(base)), path_(std::move(path)) {}

  Status Append(std::string_view data) override {
    DL_RETURN_IF_ERROR(env_->Tick("write " + path_));
    return base_->Append(data);
  }
  Status Sync() override {
    DL_RETURN_IF_ERROR(env_->Tick("fsync " + path_));
    return base_->Sync();
  }
  Status Close() override {
    Status injected = env_->Tick("close " + path_);
    Status closed = base_->Close();  // the descriptor is released either way
    return injected.ok() ? closed : injected;
  }

 private:
  FaultInjectionEnv* env_;
  std::unique_ptr<WritableFile> base_;
  std::string path_;
};

}  // namespace

void FaultInjectionEnv::FailAt(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  count_ = 0;
  fail_at_ = n;
  failed_.clear();
}

std::string FaultInjectionEnv::failed_operation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failed_;
}

Status FaultInjectionEnv::Tick(const std::string& what) {
  int64_t n = ++count_;
  if (n != fail_at_.load()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mutex_);
  failed_ = what;
  return IoError("injected fault: " + what);
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path,
                                                                         bool exclusive) {
  DL_RETURN_IF_ERROR(Tick("create " + path));
  DL_ASSIGN_OR_RETURN(auto file, base_->NewWritableFile(path, exclusive));
  return std::unique_ptr<WritableFile>(new FaultyWritableFile(this, std::move(file), path));
}

Status FaultInjectionEnv::Rename(const std::string& from, const std::string& to) {
  DL_RETURN_IF_ERROR(Tick("rename " + from + " -> " + to));
  return base_->Rename(from, to);
}

Status FaultInjectionEnv::Link(const std::string& from, const std::string& to) {
  DL_RETURN_IF_ERROR(Tick("link " + from + " -> " + to));
  return base_->Link(from, to);
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  DL_RETURN_IF_ERROR(Tick("remove " + path));
  return base_->RemoveFile(path);
}

Status FaultInjectionEnv::RemoveAll(const std::string& path) {
  DL_RETURN_IF_ERROR(Tick("remove tree " + path));
  return base_->RemoveAll(path);
}

Status FaultInjectionEnv::MakeDirs(const std::string& path) {
  DL_RETURN_IF_ERROR(Tick("mkdir " + path));
  return base_->MakeDirs(path);
}

Status FaultInjectionEnv::SyncPath(const std::string& path) {
  DL_RETURN_IF_ERROR(Tick("fsync " + path));
  return base_->SyncPath(path);
}

Status FaultInjectionEnv::SyncFileSystem(const std::string& path) {
  DL_RETURN_IF_ERROR(Tick("syncfs " + path));
  return base_->SyncFileSystem(path);
}

}  // namespace dicomlake::testing
