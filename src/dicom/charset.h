// Decoding DICOM text to UTF-8 from its Specific Character Set (PS3.5 6.1.2.5, Annexes H-K), for
// the character sets DCMTK's conversion (through glibc iconv) cannot handle: the ISO 2022 code
// extensions with escape sequences (Japanese ISO 2022 IR 87/159/13, Korean IR 149, Chinese
// IR 58) mixed with single-byte sets. DCMTK-free; uses iconv for the byte-to-code-point step.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dicomlake::dicom {

// True when `charsets` (the values of (0008,0005)) use ISO 2022 code extensions that need
// DecodeIso2022 (a multi-byte set switched in by escape sequences).
bool NeedsIso2022Decoder(const std::vector<std::string>& charsets);

// Decodes `bytes` (a whole element value, backslashes included) to UTF-8. Escape sequences
// switch the G0/G1 sets; the initial sets come from the first charset value and are restored
// at value and PN component delimiters (PS3.5 6.1.2.5.3). Bytes that cannot be decoded become
// U+FFFD.
std::string DecodeIso2022(std::string_view bytes, const std::vector<std::string>& charsets);

}  // namespace dicomlake::dicom
