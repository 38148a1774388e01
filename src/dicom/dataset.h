// A DCMTK-free model of a parsed DICOM data set (house style: DCMTK types never appear in a
// header; only dicom/dcmtk_*.cc include DCMTK). The DCMTK adapter fills it, the DICOM JSON
// writer (dicom_json.h) and the bronze stage read it. Values are already decoded: text in
// UTF-8, numbers as JSON number text, binary values as little-endian bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dicomlake::dicom {

struct Dataset;

// Where a value too large to inline lives: byte range of the value field in the file.
struct BulkLocation {
  int64_t offset = -1;  // from the start of the file; -1 when not known (encapsulated data)
  int64_t length = 0;   // bytes; -1 for undefined length (encapsulated pixel data)
};

struct Element {
  uint32_t tag = 0;  // (group << 16) | element
  std::string vr;    // the two-letter VR, e.g. "PN", "SQ"

  // Text VRs (AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT): one entry per value, UTF-8,
  // padding removed; std::nullopt for an empty value inside a multi-valued element.
  std::vector<std::optional<std::string>> strings;
  // Numeric binary VRs (US SS UL SL FL FD SV UV) and AT: JSON number text per value ("12",
  // "0.5"), or for AT the tag as 8 hex digits.
  std::vector<std::string> numbers;
  // Binary VRs (OB OD OF OL OV OW UN) at most the inline limit long: the bytes.
  std::string binary;
  std::optional<BulkLocation> bulk;  // binary values over the inline limit
  std::vector<Dataset> items;        // SQ

  uint32_t group() const { return tag >> 16; }
  bool is_private() const { return (group() & 1) != 0; }
};

struct Dataset {
  std::vector<Element> elements;  // ascending tag order
  // The element with `tag`, or nullptr.
  const Element* Find(uint32_t tag) const;
  // The first value of a text element, or "" when absent or empty.
  std::string FirstString(uint32_t tag) const;
};

inline constexpr uint32_t Tag(uint16_t group, uint16_t element) {
  return (static_cast<uint32_t>(group) << 16) | element;
}

}  // namespace dicomlake::dicom
