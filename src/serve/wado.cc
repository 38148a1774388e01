#include "serve/wado.h"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>

#include "common/uuid.h"
#include "net/multipart.h"

namespace dicomlake::serve {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The header split at commas outside quoted strings.
std::vector<std::string> SplitRanges(const std::string& header) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  for (size_t i = 0; i < header.size(); ++i) {
    const char c = header[i];
    if (c == '"') quoted = !quoted;
    if (c == '\\' && quoted && i + 1 < header.size()) {
      current += c;
      current += header[++i];
      continue;
    }
    if (c == ',' && !quoted) {
      out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  out.push_back(current);
  return out;
}

bool IsNative(const std::string& uid) { return !IsEncapsulatedSyntax(uid); }

}  // namespace

std::vector<AcceptedType> ParseAccept(const std::string& header) {
  std::vector<AcceptedType> out;
  bool blank = true;
  for (char c : header)
    if (c != ' ' && c != '\t') blank = false;
  if (blank) return {AcceptedType{"*/*", "", "", 1}};
  for (const std::string& range : SplitRanges(header)) {
    auto media = net::ParseMediaType(range);
    if (!media.ok()) continue;
    AcceptedType a;
    a.type = Lower(media->type);
    a.part_type = Lower(media->Param("type"));
    a.transfer_syntax = media->Param("transfer-syntax");
    const std::string q = media->Param("q");
    if (!q.empty()) a.q = std::strtod(q.c_str(), nullptr);
    if (a.q <= 0) continue;
    out.push_back(std::move(a));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const AcceptedType& x, const AcceptedType& y) { return x.q > y.q; });
  return out;
}

bool AcceptsPart(const AcceptedType& a, const std::string& part) {
  if (a.type == "*/*") return true;
  if (a.type == "multipart/related" || a.type == "multipart/*")
    return a.part_type.empty() || a.part_type == part || a.part_type == "*/*";
  return a.type == part;
}

Result<std::string> ChooseInstanceSyntax(const std::string& accept, const std::string& stored) {
  for (const AcceptedType& a : ParseAccept(accept)) {
    if (!AcceptsPart(a, "application/dicom")) continue;
    if (a.transfer_syntax == "*" || a.transfer_syntax == stored) return stored;
    if (a.transfer_syntax.empty()) {
      // The default is Explicit VR Little Endian; Implicit VR Little Endian files differ from
      // it only in their encoding, which a reader of either takes, so they are sent as stored
      // only when asked: transcoded otherwise.
      return std::string(kExplicitVrLittleEndian);
    }
    return a.transfer_syntax;
  }
  return Unsupported("the Accept header takes no multipart/related; type=\"application/dicom\"");
}

bool IsEncapsulatedSyntax(const std::string& uid) {
  // Native: Implicit/Explicit VR Little Endian, Explicit VR Big Endian, Deflated, and the
  // "encapsulated uncompressed" syntax 1.2.840.10008.1.2.1.98 which is encapsulated.
  return !(uid == "1.2.840.10008.1.2" || uid == "1.2.840.10008.1.2.1" ||
           uid == "1.2.840.10008.1.2.2" || uid == "1.2.840.10008.1.2.1.99" || uid.empty());
}

std::string FrameMediaType(const std::string& uid) {
  auto starts = [&](const char* prefix) { return uid.rfind(prefix, 0) == 0; };
  if (IsNative(uid)) return "application/octet-stream";
  if (uid == "1.2.840.10008.1.2.4.50" || uid == "1.2.840.10008.1.2.4.51" ||
      uid == "1.2.840.10008.1.2.4.57" || uid == "1.2.840.10008.1.2.4.70")
    return "image/jpeg";
  if (uid == "1.2.840.10008.1.2.4.80" || uid == "1.2.840.10008.1.2.4.81") return "image/jls";
  if (uid == "1.2.840.10008.1.2.4.90" || uid == "1.2.840.10008.1.2.4.91") return "image/jp2";
  if (starts("1.2.840.10008.1.2.4.20")) return "image/jphc";
  if (uid == "1.2.840.10008.1.2.5") return "image/dicom-rle";
  if (uid == "1.2.840.10008.1.2.4.100" || uid == "1.2.840.10008.1.2.4.101") return "video/mpeg";
  if (starts("1.2.840.10008.1.2.4.10")) return "video/mp4";
  if (uid == "1.2.840.10008.1.2.1.98") return "application/octet-stream";
  return "application/octet-stream";
}

Result<FrameEncoding> ChooseFrameEncoding(const std::string& accept, const std::string& stored) {
  const std::string stored_media = FrameMediaType(stored);
  const bool native = IsNative(stored);
  for (const AcceptedType& a : ParseAccept(accept)) {
    const bool any_type =
        a.type == "*/*" || ((a.type == "multipart/related" || a.type == "multipart/*") &&
                            (a.part_type.empty() || a.part_type == "*/*"));
    const bool octets = any_type || AcceptsPart(a, "application/octet-stream");
    const bool as_stored_type = any_type || AcceptsPart(a, stored_media);
    if (native && octets &&
        (a.transfer_syntax.empty() || a.transfer_syntax == "*" || a.transfer_syntax == stored ||
         (a.transfer_syntax == kExplicitVrLittleEndian && stored == kImplicitVrLittleEndian))) {
      // Native little endian frames are the same bytes in either VR encoding; a deflated
      // data set's frames are sent inflated.
      const std::string syntax = (a.transfer_syntax == "*" || stored == "1.2.840.10008.1.2.2") &&
                                         stored != "1.2.840.10008.1.2.1.99"
                                     ? stored
                                     : std::string(kExplicitVrLittleEndian);
      if (stored == "1.2.840.10008.1.2.2" && a.transfer_syntax != "*" &&
          a.transfer_syntax != stored)
        continue;  // big endian frames only when taken as stored
      return FrameEncoding{false, "application/octet-stream", syntax};
    }
    if (!native && (a.transfer_syntax == "*" || a.transfer_syntax == stored) &&
        (as_stored_type || octets))
      return FrameEncoding{false, stored_media, stored};
    if (!native && as_stored_type && !any_type && a.transfer_syntax.empty())
      return FrameEncoding{false, stored_media, stored};
    if (!native && octets &&
        (a.transfer_syntax.empty() || a.transfer_syntax == kExplicitVrLittleEndian))
      return FrameEncoding{true, "application/octet-stream", kExplicitVrLittleEndian};
  }
  return Unsupported("the Accept header takes neither the stored encoding (" + stored_media +
                     "; transfer-syntax=" + stored + ") nor application/octet-stream");
}

Result<std::vector<uint32_t>> ParseFrameList(const std::string& text, size_t max_count) {
  std::vector<uint32_t> out;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, comma - at);
    if (item.empty() || item.size() > 9 ||
        !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return InvalidArgument("frame numbers are whole numbers from 1, comma-separated: '" + text +
                             "'");
    const auto n = static_cast<uint32_t>(std::strtoul(item.c_str(), nullptr, 10));
    if (n == 0) return InvalidArgument("frame numbers start at 1");
    out.push_back(n);
    if (out.size() > max_count) return InvalidArgument("too many frames in one request");
    at = comma + 1;
  }
  return out;
}

MultipartWriter::MultipartWriter() { boundary_ = "dicomlake-" + NewUuid(); }

std::string MultipartWriter::ContentType(const std::string& root_type) const {
  return "multipart/related; type=\"" + root_type + "\"; boundary=" + boundary_;
}

std::string MultipartWriter::PartHeader(const std::string& content_type,
                                        const std::string& location) const {
  std::string h = "\r\n--" + boundary_ + "\r\nContent-Type: " + content_type + "\r\n";
  if (!location.empty()) h += "Content-Location: " + location + "\r\n";
  return h + "\r\n";
}

std::string MultipartWriter::Close() const { return "\r\n--" + boundary_ + "--\r\n"; }

Result<std::string> Gzip(const std::string& text) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Internal("zlib: cannot start gzip");
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Internal("zlib: gzip did not finish");
  return out;
}

}  // namespace dicomlake::serve
