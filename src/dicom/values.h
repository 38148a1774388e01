// Parsers of DICOM value representations (PS3.5 6.2), one per VR family, with the rules every
// layer shares: bronze's typed columns, FHIR's dateTimes, silver and gold read values through
// these functions, so one value means the same everywhere. DCMTK-free and pure.
//
// Common rules: leading and trailing spaces (the padding of PS3.5 6.2) and NULs (which some
// writers pad with) are ignored; anything else that does not fit the VR's form is refused
// (nullopt), never guessed at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dicomlake::dicom {

// ---- DA ----------------------------------------------------------------------------------

struct Date {
  int year = 0;   // 1..9999
  int month = 0;  // 1..12
  int day = 0;    // 1..last day of the month
};

// DA "YYYYMMDD", or the ACR-NEMA form "YYYY.MM.DD" that PS3.5 6.2 asks readers to accept.
// Refused: partial dates ("YYYYMM" is DT's form, not DA's), year 0000 (no such year; devices
// write 00000000 for "unknown"), days that do not exist (20230229), anything else.
std::optional<Date> ParseDate(std::string_view da);
// Days since 1970-01-01 (negative before).
int64_t DaysSinceEpoch(const Date& date);
// "YYYY-MM-DD" (ISO 8601, FHIR date).
std::string FormatIsoDate(const Date& date);

// ---- TM ----------------------------------------------------------------------------------

struct Time {
  int hour = 0;          // 0..23
  int minute = 0;        // 0..59; 0 when not given
  int second = 0;        // 0..60 (60: a leap second); 0 when not given
  std::string fraction;  // the fractional-second digits as written, 0 to 6 of them
};

// TM "HH", "HHMM", "HHMMSS", "HHMMSS.F{1,6}" (PS3.5 6.2), or the ACR-NEMA forms "HH:MM" and
// "HH:MM:SS[.F{1,6}]". A fraction needs seconds; "HHMMS" or "HH:M" is refused.
std::optional<Time> ParseTime(std::string_view tm);
// "HH:MM:SS.ffffff", the fraction padded to microseconds (bronze's TM columns).
std::string FormatTimeMicros(const Time& time);
// "hh:mm:ss" plus ".<fraction as written>" when there is one (FHIR time).
std::string FormatIsoTime(const Time& time);

// ---- Offsets from UTC --------------------------------------------------------------------

// TimezoneOffsetFromUTC (0008,0201) and the suffix of DT: "+HHMM" / "-HHMM", minutes 00..59,
// within -12:00..+14:00 (PS3.5 6.2 DT, and the range FHIR accepts). Minutes east of UTC.
std::optional<int> ParseUtcOffset(std::string_view offset);
// "+HH:MM" / "-HH:MM" (ISO 8601, FHIR).
std::string FormatIsoOffset(int minutes);

// ---- DT ----------------------------------------------------------------------------------

struct DateTime {
  // How much of the value was given: 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second.
  int precision = 0;
  int year = 0, month = 0, day = 0;  // month and day 0 when not given
  Time time;                         // meaningful when precision >= 4
  std::optional<int> offset_minutes;
};

// DT "YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]" (PS3.5 6.2). The parts given must be valid
// (month 1..12, an existing day, ...); a fraction needs seconds.
std::optional<DateTime> ParseDateTime(std::string_view dt);
// ISO 8601 with the given precision: "2024", "2024-05", "2024-05-06", "2024-05-06T07:08:00+01:00"
// (a time always with seconds, as FHIR dateTime needs). A time without an offset gets
// `default_offset` ("Z", "+01:00") appended when that is not empty.
std::string FormatIsoDateTime(const DateTime& dt, const std::string& default_offset);

// ---- AS ----------------------------------------------------------------------------------

struct Age {
  int number = 0;   // 0..999
  char unit = 'Y';  // 'D' days, 'W' weeks, 'M' months, 'Y' years
};

// AS "nnnD" / "nnnW" / "nnnM" / "nnnY" (PS3.5 6.2): exactly three digits and the unit.
std::optional<Age> ParseAge(std::string_view as);
// Whole years of an age (e.g. 018M -> 1).
int AgeInYears(const Age& age);

// ---- PN ----------------------------------------------------------------------------------

// The three component groups of a PN value, split at '=' (PS3.5 6.2.1.1).
struct PersonNameGroups {
  std::string alphabetic, ideographic, phonetic;
};
PersonNameGroups SplitPersonName(std::string_view pn);

// The five components of one group, split at '^' (PS3.5 6.2.1.1), each trimmed.
struct PersonNameComponents {
  std::string family, given, middle, prefix, suffix;
};
PersonNameComponents SplitNameComponents(std::string_view group);
// A group as people write a name: "Prefix Given Middle Family Suffix", empty parts skipped.
std::string PersonNameDisplay(std::string_view group);

// ---- UI ----------------------------------------------------------------------------------

// UI (PS3.5 9.1): 1..64 characters, digit components separated by dots, no empty component.
// (Leading zeros in a component are tolerated: many real files have them.)
bool IsValidUid(std::string_view uid);

// ---- IS and DS ---------------------------------------------------------------------------

// IS (PS3.5 6.2): an optional sign and digits, at most 12 characters, within the 32-bit range
// (-2^31..2^31-1).
std::optional<int64_t> ParseIntegerString(std::string_view is);
// True when `text` is a valid IS (`integer_only`) or DS value in the written form DICOM JSON can
// turn into a number (PS3.18 F.2.3): an optional sign, digits, a fraction, an exponent; finite.
// Does not check IS's 32-bit range (values beyond it are still numbers in DICOM JSON).
bool IsDecimalString(std::string_view text, bool integer_only);
// The JSON number of a valid IS/DS value (IsDecimalString): JSON forbids '+', leading zeros and
// a bare '.', so the number is written anew ("+01.50" -> "1.5").
std::string DecimalStringToJson(std::string_view text, bool integer);

// The text with leading and trailing spaces and NULs removed.
std::string_view TrimPadding(std::string_view text);

}  // namespace dicomlake::dicom
