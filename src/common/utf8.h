// UTF-8 validity. Every string the lake stores is valid UTF-8 (Parquet STRING, JSON); text that
// is not (a file whose character set could not be converted) has each malformed byte replaced
// by U+FFFD.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dicomlake {

// Length of the well-formed UTF-8 sequence starting at s[i] (1 to 4), or 0 when it is malformed
// (bad lead byte, missing continuation, overlong form, surrogate, beyond U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i);

bool IsValidUtf8(std::string_view s);

// `s` with every malformed byte replaced by U+FFFD ("\xEF\xBF\xBD").
std::string ToValidUtf8(std::string_view s);

}  // namespace dicomlake
