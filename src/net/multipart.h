// MIME media types and multipart bodies (RFC 2045, RFC 2046 §5.1, RFC 2387 multipart/related), as
// STOW-RS sends them (PS3.18 §8.6.1.2): a streaming reader that hands each part's bytes on as they
// arrive, so a request of any size is read in bounded memory.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace dicomlake::net {

struct MediaType {
  std::string type;                           // "multipart/related", lower case
  std::map<std::string, std::string> params;  // names lower case; values unquoted
  std::string Param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

// Parses a Content-Type / Accept media type with its parameters: `type/subtype *(; name=value)`,
// values as tokens or quoted strings (with backslash escapes). kInvalidArgument when malformed.
Result<MediaType> ParseMediaType(std::string_view text);

// Header fields of one part: names lower case, values trimmed, in order.
using PartHeaders = std::vector<std::pair<std::string, std::string>>;
std::string HeaderValue(const PartHeaders& headers, const std::string& lower_name);

// Reads a multipart body fed in pieces of any size. The callbacks run in order: begin (with the
// part's headers), data (the part's bytes, in pieces), end; a callback's failure stops the reader
// and is returned by Feed. Preamble and epilogue are ignored. Not thread-safe.
class MultipartReader {
 public:
  struct Callbacks {
    std::function<Status(const PartHeaders&)> begin;
    std::function<Status(std::string_view)> data;
    std::function<Status()> end;
  };
  // `boundary` as given in the Content-Type (1 to 70 characters, RFC 2046 §5.1.1).
  MultipartReader(std::string boundary, Callbacks callbacks);

  Status Feed(std::string_view bytes);
  // kInvalidArgument when the body ended before its close delimiter ("--boundary--").
  Status Finish();
  int parts() const { return parts_; }

  static constexpr size_t kMaxHeaderBytes = 16 * 1024;  // one part's header block

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kData, kDone, kFailed };
  Status Step(bool* progressed);

  std::string delimiter_;  // "\r\n--" + boundary
  Callbacks callbacks_;
  std::string pending_;  // bytes not yet consumed
  State state_ = State::kPreamble;
  int parts_ = 0;
};

}  // namespace dicomlake::net
