// Clock and calendar helpers. Times are UTC; microsecond and millisecond counts are since the
// Unix epoch. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dicomlake {

int64_t NowMicros();
int64_t NowMillis();

// Days since 1970-01-01 for a proleptic Gregorian date, and back.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

// "YYYY-MM-DD".
std::string FormatDate(int64_t days);
// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (fraction_digits 6) or ".fffZ" (3) or none (0).
std::string FormatTimestampIso(int64_t micros, int fraction_digits = 6);
// The UTC day of `micros` as "YYYYMMDD" (a DICOM DA value; folder names by day).
std::string FormatDateCompact(int64_t micros);
// "YYYY-MM-DD HH:MM:SS[.ffffff]" without zone, trailing zero fraction dropped (for display).
std::string FormatTimestampDisplay(int64_t micros);

// Microseconds since the epoch of "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DD[T ]HH:MM[:SS[.f]]"
// with an optional "Z" or "+HH:MM"/"-HH:MM" (UTC without one); std::nullopt for anything else.
std::optional<int64_t> ParseTimestampIso(const std::string& text);

}  // namespace dicomlake
