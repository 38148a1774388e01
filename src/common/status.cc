#include "common/status.h"

#include <cerrno>
#include <cstring>

namespace dicomlake {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kAlreadyExists:
      return "already exists";
    case StatusCode::kIoError:
      return "I/O error";
    case StatusCode::kNoSpace:
      return "no space";
    case StatusCode::kOutOfMemory:
      return "out of memory";
    case StatusCode::kCorrupt:
      return "corrupt";
    case StatusCode::kConflict:
      return "conflict";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kInvalidQuery:
      return "invalid query";
    case StatusCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

Status ErrnoError(int err, const std::string& what) {
  std::string reason = std::strerror(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return NoSpace(what + ": no space left on the device, the disk (or quota) is full (" +
                     reason + ")");
    case ENOMEM:
      return OutOfMemory(what + ": " + reason);
    case ENOENT:
      return NotFound(what + ": " + reason);
    default:
      return IoError(what + ": " + reason);
  }
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

}  // namespace dicomlake
