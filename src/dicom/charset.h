// Decoding DICOM text to UTF-8 from its Specific Character Set (PS3.5 6.1, Annexes H-K): the
// single-byte sets, UTF-8, GB18030/GBK, and the ISO 2022 code extensions with escape sequences
// (Japanese ISO 2022 IR 87/159/13, Korean IR 149, Chinese IR 58) mixed with single-byte sets.
// DCMTK-free; uses iconv for the byte-to-code-point step of the multi-byte and non-Latin sets.
//
// The fallback rule (docs/dicom-json.md): text whose bytes are not valid in the declared
// repertoire, or non-ASCII text with none declared (or an unknown one), is decoded as ISO-IR 100
// (Latin-1), as pydicom and dcm4che do. Latin-1 maps every byte to a character, so nothing is
// lost and no U+FFFD is invented; the caller records the reason as a parse warning.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dicomlake::dicom {

struct DecodedText {
  std::string utf8;
  // Set when the fallback rule was used: why the declared repertoire could not decode the bytes.
  std::optional<std::string> fallback_reason;
};

// Decodes the text values of one data set (or item) in the VRs the Specific Character Set
// applies to (SH, LO, ST, LT, UT, PN, UC). Thread-safe to use from one thread at a time.
class TextDecoder {
 public:
  // `charsets`: the values of (0008,0005) in force (empty: none declared). Common misspellings
  // ("ISO_IR100") are corrected.
  explicit TextDecoder(const std::vector<std::string>& charsets = {});

  // Decodes one whole element value (backslashes included).
  DecodedText Decode(std::string_view bytes) const;

  // What was odd about the declared set itself (misspelled, unknown), to report once.
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  enum class Kind { kAscii, kLatin1, kUtf8, kIconv, kIso2022 };
  std::vector<std::string> charsets_;
  Kind kind_ = Kind::kAscii;
  std::string iconv_name_;
  std::string unknown_;  // an unknown declared term
  std::vector<std::string> notes_;
};

// Decodes a value of a VR in the default repertoire (AE, AS, CS, DA, DS, DT, IS, TM, UI, UR):
// ASCII; anything else by the fallback rule.
DecodedText DecodeDefaultRepertoire(std::string_view bytes);

// True when `charsets` (the values of (0008,0005)) use ISO 2022 code extensions that need
// DecodeIso2022 (a multi-byte set switched in by escape sequences).
bool NeedsIso2022Decoder(const std::vector<std::string>& charsets);

// Decodes `bytes` (a whole element value, backslashes included) to UTF-8. Escape sequences
// switch the G0/G1 sets; the initial sets come from the first charset value and are restored
// at value and PN component delimiters (PS3.5 6.1.2.5.3). Bytes that cannot be decoded become
// U+FFFD, and *complete (when given) is set to false.
std::string DecodeIso2022(std::string_view bytes, const std::vector<std::string>& charsets,
                          bool* complete = nullptr);

}  // namespace dicomlake::dicom
