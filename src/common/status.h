// Status and Result<T>: the error values of dicomlake (house style: errors are values where they
// are expected). A Status is cheap to copy when OK. Result<T> holds either a T or a non-OK Status.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace dicomlake {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller (user, configuration, flag) asked for something invalid
  kNotFound,         // a file, table or version that should exist does not
  kAlreadyExists,    // something that must be created new exists already
  kIoError,          // the operating system refused a read or write
  kNoSpace,          // a write failed because the file system (or a quota) is full
  kOutOfMemory,      // memory ran out (or the configured memory limit was reached)
  kCorrupt,          // stored data (a Delta log, a Parquet file) is malformed
  kConflict,         // a concurrent writer committed first; the operation may be retried
  kUnsupported,      // valid input this version cannot handle (e.g. a newer Delta protocol)
  kInvalidQuery,     // the SQL engine refused a statement (syntax, unknown name, type mismatch)
  kInternal,         // a failure of a library we call that fits none of the above
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<code name>: <message>", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status NoSpace(std::string m) { return {StatusCode::kNoSpace, std::move(m)}; }
inline Status OutOfMemory(std::string m) { return {StatusCode::kOutOfMemory, std::move(m)}; }
inline Status Corrupt(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }
inline Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
inline Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status InvalidQuery(std::string m) { return {StatusCode::kInvalidQuery, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// The Status of a failed system call: `what` (e.g. "cannot write /lake/x") and the reason for
// `err` (an errno value). ENOSPC and EDQUOT are kNoSpace ("no space left on the device"), ENOMEM
// is kOutOfMemory, ENOENT kNotFound; everything else kIoError.
Status ErrnoError(int err, const std::string& what);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).ok() && "Result built from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  // The error; OK when the Result holds a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace dicomlake

#define DL_CONCAT_INNER(a, b) a##b
#define DL_CONCAT(a, b) DL_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define DL_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::dicomlake::Status dl_status_ = (expr); \
    if (!dl_status_.ok()) return dl_status_; \
  } while (false)

// `DL_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result, or returns its Status.
#define DL_ASSIGN_OR_RETURN(lhs, rexpr) \
  DL_ASSIGN_OR_RETURN_IMPL(DL_CONCAT(dl_result_, __LINE__), lhs, rexpr)
#define DL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                             \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
