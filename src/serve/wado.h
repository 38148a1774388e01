// WADO-RS (PS3.18 §10.4) without the lake: what an Accept header asks for, which transfer
// syntax and media type an answer takes, frame lists, multipart/related bodies. The server
// (serve/dicomweb_server.cc) applies them to the stored originals.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::serve {

inline constexpr const char* kExplicitVrLittleEndian = "1.2.840.10008.1.2.1";
inline constexpr const char* kImplicitVrLittleEndian = "1.2.840.10008.1.2";

// One media range of an Accept header: type, the `type` and `transfer-syntax` parameters, q.
struct AcceptedType {
  std::string type;             // "multipart/related", lower case
  std::string part_type;        // its `type` parameter, lower case, quotes removed ("" if none)
  std::string transfer_syntax;  // "*", a UID, or "" (not given)
  double q = 1;
};

// The media ranges of an Accept header, best first (by q, then in order). An empty header is
// one range "*/*". Malformed ranges are skipped.
std::vector<AcceptedType> ParseAccept(const std::string& header);

// Whether a range accepts the multipart part type `part` ("application/dicom") or the single
// type `single`: "*/*", "multipart/related" with that part type (or none given), `single`.
bool AcceptsPart(const AcceptedType& a, const std::string& part);

// The transfer syntax to send an instance in (WADO-RS retrieve, application/dicom): the stored
// one for "*" or when it is the one asked; else the one asked (PS3.18 8.7.3.5.2: Explicit VR
// Little Endian when none is). kUnsupported (answered 406) when the Accept header takes no
// application/dicom.
Result<std::string> ChooseInstanceSyntax(const std::string& accept, const std::string& stored);

// The media type of a frame in transfer syntax `uid` (PS3.18 Table 8.7.3-5): image/jpeg,
// image/jls, image/jp2, image/jphc, image/dicom-rle, video/mpeg, video/mp4, video/H265; for a
// native transfer syntax application/octet-stream.
std::string FrameMediaType(const std::string& uid);
// True for transfer syntaxes whose pixel data is encapsulated.
bool IsEncapsulatedSyntax(const std::string& uid);

// How to send frames: as stored (`decode` false, parts of `media_type` in `transfer_syntax`), or
// decoded to native little endian (`decode` true, application/octet-stream, Explicit VR Little
// Endian). kUnsupported (406) when the Accept header takes neither.
struct FrameEncoding {
  bool decode = false;
  std::string media_type;
  std::string transfer_syntax;
};
Result<FrameEncoding> ChooseFrameEncoding(const std::string& accept, const std::string& stored);

// "1,3,2" -> {1, 3, 2}. InvalidArgument for anything but positive whole numbers (at most
// `max_count` of them).
Result<std::vector<uint32_t>> ParseFrameList(const std::string& text, size_t max_count = 10000);

// A multipart/related body being written: Part() for each part, then Close().
class MultipartWriter {
 public:
  MultipartWriter();  // a fresh random boundary
  const std::string& boundary() const { return boundary_; }
  // `root_type` as in Content-Type's `type` parameter ("application/dicom").
  std::string ContentType(const std::string& root_type) const;
  // The text before a part's bytes (the delimiter and the part's headers).
  std::string PartHeader(const std::string& content_type, const std::string& location = "") const;
  // The closing delimiter.
  std::string Close() const;

 private:
  std::string boundary_;
};

// `text` compressed as gzip (RFC 1952).
Result<std::string> Gzip(const std::string& text);

}  // namespace dicomlake::serve
