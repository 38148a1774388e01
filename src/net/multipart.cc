#include "net/multipart.h"

#include <algorithm>
#include <cctype>

namespace dicomlake::net {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 2045 §5.1 token characters.
bool IsTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 32 && u < 127 && std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string::npos;
}

PartHeaders ParseHeaderBlock(std::string_view block) {
  PartHeaders headers;
  size_t start = 0;
  while (start < block.size()) {
    size_t end = block.find("\r\n", start);
    if (end == std::string_view::npos) end = block.size();
    std::string_view line = block.substr(start, end - start);
    start = end + 2;
    if (line.empty()) continue;
    if ((line.front() == ' ' || line.front() == '\t') && !headers.empty()) {  // folded (RFC 5322)
      headers.back().second += " " + std::string(Trim(line));
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // not a header field: ignored
    headers.emplace_back(Lower(Trim(line.substr(0, colon))),
                         std::string(Trim(line.substr(colon + 1))));
  }
  return headers;
}

}  // namespace

Result<MediaType> ParseMediaType(std::string_view text) {
  MediaType out;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  auto token = [&] {
    const size_t from = i;
    while (i < text.size() && IsTokenChar(text[i])) ++i;
    return text.substr(from, i - from);
  };
  skip_space();
  std::string_view type = token();
  if (type.empty() || i >= text.size() || text[i] != '/')
    return InvalidArgument("not a media type: '" + std::string(text) + "'");
  ++i;
  std::string_view subtype = token();
  if (subtype.empty()) return InvalidArgument("not a media type: '" + std::string(text) + "'");
  out.type = Lower(type) + "/" + Lower(subtype);
  for (;;) {
    skip_space();
    if (i >= text.size()) break;
    if (text[i] != ';')
      return InvalidArgument("unexpected '" + std::string(1, text[i]) + "' in media type '" +
                             std::string(text) + "'");
    ++i;
    skip_space();
    if (i >= text.size()) break;  // a trailing ';' is tolerated
    std::string name = Lower(token());
    skip_space();
    if (name.empty() || i >= text.size() || text[i] != '=')
      return InvalidArgument("malformed parameter in media type '" + std::string(text) + "'");
    ++i;
    skip_space();
    std::string value;
    if (i < text.size() && text[i] == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char c = text[i++];
        if (c == '\\' && i < text.size()) {
          value += text[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed)
        return InvalidArgument("unterminated quoted string in media type '" + std::string(text) +
                               "'");
    } else {
      // Unquoted: a token, but '/' is let through too (clients send type=application/dicom).
      const size_t from = i;
      while (i < text.size() && (IsTokenChar(text[i]) || text[i] == '/')) ++i;
      value = std::string(text.substr(from, i - from));
    }
    out.params[name] = value;
  }
  return out;
}

std::string HeaderValue(const PartHeaders& headers, const std::string& lower_name) {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

MultipartReader::MultipartReader(std::string boundary, Callbacks callbacks)
    : delimiter_("\r\n--" + std::move(boundary)), callbacks_(std::move(callbacks)) {
  // The first delimiter may open the body without a line break before it (RFC 2046 §5.1.1).
  pending_ = "\r\n";
}

Status MultipartReader::Feed(std::string_view bytes) {
  if (state_ == State::kFailed) return InvalidArgument("the multipart body was already rejected");
  if (state_ == State::kDone) return Status::Ok();  // the epilogue
  pending_.append(bytes.data(), bytes.size());
  bool progressed = true;
  while (progressed && state_ != State::kDone) {
    progressed = false;
    Status st = Step(&progressed);
    if (!st.ok()) {
      state_ = State::kFailed;
      pending_.clear();
      return st;
    }
  }
  if (state_ == State::kDone) pending_.clear();
  return Status::Ok();
}

// One transition of the state machine when `pending_` holds enough for it; otherwise keeps the
// bytes that may still be the start of a delimiter and waits for more.
Status MultipartReader::Step(bool* progressed) {
  const size_t keep = delimiter_.size() - 1;  // a delimiter split across two pieces
  switch (state_) {
    case State::kPreamble: {
      const size_t at = pending_.find(delimiter_);
      if (at == std::string::npos) {
        if (pending_.size() > keep) pending_.erase(0, pending_.size() - keep);
        return Status::Ok();
      }
      pending_.erase(0, at + delimiter_.size());
      state_ = State::kAfterDelimiter;
      *progressed = true;
      return Status::Ok();
    }
    case State::kAfterDelimiter: {
      if (pending_.size() < 2) return Status::Ok();
      if (pending_.compare(0, 2, "--") == 0) {  // the close delimiter
        state_ = State::kDone;
        *progressed = true;
        return Status::Ok();
      }
      const size_t eol = pending_.find("\r\n");
      if (eol == std::string::npos) {
        if (pending_.size() > 1024) return InvalidArgument("no line break after a boundary");
        return Status::Ok();
      }
      for (size_t k = 0; k < eol; ++k) {
        if (pending_[k] != ' ' && pending_[k] != '\t')
          return InvalidArgument("unexpected bytes after a boundary (is the boundary right?)");
      }
      pending_.erase(0, eol + 2);
      state_ = State::kHeaders;
      *progressed = true;
      return Status::Ok();
    }
    case State::kHeaders: {
      size_t end = 0, skip = 0;
      if (pending_.compare(0, 2, "\r\n") == 0) {  // a part without header fields
        skip = 2;
      } else if (pending_.size() < 2) {
        return Status::Ok();
      } else {
        end = pending_.find("\r\n\r\n");
        if (end == std::string::npos) {
          if (pending_.size() > kMaxHeaderBytes)
            return InvalidArgument("a part's header fields are longer than 16 KiB");
          return Status::Ok();
        }
        skip = end + 4;
      }
      if (end > kMaxHeaderBytes)
        return InvalidArgument("a part's header fields are longer than 16 KiB");
      PartHeaders headers = ParseHeaderBlock(std::string_view(pending_).substr(0, end));
      pending_.erase(0, skip);
      parts_++;
      state_ = State::kData;
      *progressed = true;
      return callbacks_.begin ? callbacks_.begin(headers) : Status::Ok();
    }
    case State::kData: {
      const size_t at = pending_.find(delimiter_);
      if (at == std::string::npos) {
        if (pending_.size() > keep) {
          const size_t n = pending_.size() - keep;
          if (callbacks_.data)
            DL_RETURN_IF_ERROR(callbacks_.data(std::string_view(pending_).substr(0, n)));
          pending_.erase(0, n);
        }
        return Status::Ok();
      }
      if (at > 0 && callbacks_.data)
        DL_RETURN_IF_ERROR(callbacks_.data(std::string_view(pending_).substr(0, at)));
      pending_.erase(0, at + delimiter_.size());
      state_ = State::kAfterDelimiter;
      *progressed = true;
      return callbacks_.end ? callbacks_.end() : Status::Ok();
    }
    case State::kDone:
    case State::kFailed:
      return Status::Ok();
  }
  return Status::Ok();
}

Status MultipartReader::Finish() {
  if (state_ == State::kDone) return Status::Ok();
  if (state_ == State::kFailed) return InvalidArgument("the multipart body was rejected");
  return InvalidArgument(parts_ == 0
                             ? "the body holds no part with the boundary of its Content-Type"
                             : "the multipart body ended before its closing boundary");
}

}  // namespace dicomlake::net
