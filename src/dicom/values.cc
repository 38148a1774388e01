#include "dicom/values.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "common/time_util.h"

namespace dicomlake::dicom {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

// The number of `n` digits at `pos` (the caller checked they are digits).
int Num(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[m - 1] + (m == 2 && IsLeap(y) ? 1 : 0);
}

// Checks the calendar parts that are given (month and day may be 0 = not given).
bool ValidCalendar(int y, int m, int d) {
  if (y < 1) return false;
  if (m == 0) return d == 0;
  if (m > 12) return false;
  return d == 0 || d <= DaysInMonth(y, m);
}

// "HHMMSS.F" digits only (colons already removed): the time, or nullopt.
std::optional<Time> ParseCompactTime(std::string_view s) {
  std::string_view whole = s, fraction;
  size_t dot = s.find('.');
  if (dot != std::string_view::npos) {
    whole = s.substr(0, dot);
    fraction = s.substr(dot + 1);
    if (whole.size() != 6 || fraction.empty() || fraction.size() > 6 ||
        !Digits(fraction, 0, fraction.size()))
      return std::nullopt;
  }
  if (whole.size() != 2 && whole.size() != 4 && whole.size() != 6) return std::nullopt;
  if (!Digits(whole, 0, whole.size())) return std::nullopt;
  Time t;
  t.hour = Num(whole, 0, 2);
  t.minute = whole.size() >= 4 ? Num(whole, 2, 2) : 0;
  t.second = whole.size() >= 6 ? Num(whole, 4, 2) : 0;
  t.fraction = std::string(fraction);
  if (t.hour > 23 || t.minute > 59 || t.second > 60) return std::nullopt;
  return t;
}

}  // namespace

std::string_view TrimPadding(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '\0')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\0')) --e;
  return text.substr(b, e - b);
}

std::optional<Date> ParseDate(std::string_view raw) {
  std::string_view da = TrimPadding(raw);
  std::string digits;
  if (da.size() == 8 && Digits(da, 0, 8)) {
    digits = std::string(da);
  } else if (da.size() == 10 && da[4] == '.' && da[7] == '.' && Digits(da, 0, 4) &&
             Digits(da, 5, 2) && Digits(da, 8, 2)) {
    digits =
        std::string(da.substr(0, 4)) + std::string(da.substr(5, 2)) + std::string(da.substr(8, 2));
  } else {
    return std::nullopt;
  }
  Date d{Num(digits, 0, 4), Num(digits, 4, 2), Num(digits, 6, 2)};
  if (d.month < 1 || d.day < 1 || !ValidCalendar(d.year, d.month, d.day)) return std::nullopt;
  return d;
}

int64_t DaysSinceEpoch(const Date& date) {
  return DaysFromCivil(date.year, static_cast<unsigned>(date.month),
                       static_cast<unsigned>(date.day));
}

std::string FormatIsoDate(const Date& d) {
  return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
}

std::optional<Time> ParseTime(std::string_view raw) {
  std::string_view tm = TrimPadding(raw);
  // ACR-NEMA "HH:MM" and "HH:MM:SS[.F]": colons exactly after the hour and the minute.
  if (tm.size() >= 5 && tm[2] == ':') {
    if (tm.size() > 5 && tm[5] != ':') return std::nullopt;
    if (tm.size() == 6) return std::nullopt;  // "HH:MM:"
    std::string compact;
    compact.append(tm.substr(0, 2)).append(tm.substr(3, 2));
    if (tm.size() > 5) compact.append(tm.substr(6));
    if (compact.find(':') != std::string::npos) return std::nullopt;
    return ParseCompactTime(compact);
  }
  return ParseCompactTime(tm);
}

std::string FormatTimeMicros(const Time& t) {
  std::string frac = t.fraction;
  frac.resize(6, '0');
  return fmt::format("{:02}:{:02}:{:02}.{}", t.hour, t.minute, t.second, frac);
}

std::string FormatIsoTime(const Time& t) {
  std::string out = fmt::format("{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
  if (!t.fraction.empty()) out += "." + t.fraction;
  return out;
}

std::optional<int> ParseUtcOffset(std::string_view raw) {
  std::string_view o = TrimPadding(raw);
  if (o.size() != 5 || (o[0] != '+' && o[0] != '-') || !Digits(o, 1, 4)) return std::nullopt;
  int h = Num(o, 1, 2), m = Num(o, 3, 2);
  if (m > 59) return std::nullopt;
  int minutes = (h * 60 + m) * (o[0] == '-' ? -1 : 1);
  if (minutes < -12 * 60 || minutes > 14 * 60) return std::nullopt;
  return minutes;
}

std::string FormatIsoOffset(int minutes) {
  int a = std::abs(minutes);
  return fmt::format("{}{:02}:{:02}", minutes < 0 ? '-' : '+', a / 60, a % 60);
}

std::optional<DateTime> ParseDateTime(std::string_view raw) {
  std::string_view dt = TrimPadding(raw);
  DateTime out;
  size_t sign = dt.find_first_of("+-");
  if (sign != std::string_view::npos) {
    out.offset_minutes = ParseUtcOffset(dt.substr(sign));
    if (!out.offset_minutes) return std::nullopt;
    dt = dt.substr(0, sign);
  }
  std::string_view whole = dt.substr(0, dt.find('.'));
  static const size_t kLengths[] = {4, 6, 8, 10, 12, 14};
  for (int p = 0; p < 6; ++p)
    if (whole.size() == kLengths[p]) out.precision = p + 1;
  if (out.precision == 0 || !Digits(whole, 0, whole.size())) return std::nullopt;
  if (whole.size() != dt.size() && out.precision != 6) return std::nullopt;  // fraction: seconds
  out.year = Num(dt, 0, 4);
  out.month = out.precision >= 2 ? Num(dt, 4, 2) : 0;
  out.day = out.precision >= 3 ? Num(dt, 6, 2) : 0;
  if ((out.precision >= 2 && out.month == 0) || (out.precision >= 3 && out.day == 0) ||
      !ValidCalendar(out.year, out.month, out.day))
    return std::nullopt;
  if (out.precision >= 4) {
    auto t = ParseCompactTime(dt.substr(8));
    if (!t) return std::nullopt;
    out.time = *t;
  }
  return out;
}

std::string FormatIsoDateTime(const DateTime& dt, const std::string& default_offset) {
  std::string out = fmt::format("{:04}", dt.year);
  if (dt.precision >= 2) out += fmt::format("-{:02}", dt.month);
  if (dt.precision >= 3) out += fmt::format("-{:02}", dt.day);
  if (dt.precision < 4) return out;
  out += "T" + FormatIsoTime(dt.time);
  if (dt.offset_minutes) return out + FormatIsoOffset(*dt.offset_minutes);
  return out + default_offset;
}

std::optional<Age> ParseAge(std::string_view raw) {
  std::string_view as = TrimPadding(raw);
  if (as.size() != 4 || !Digits(as, 0, 3)) return std::nullopt;
  char unit = as[3];
  if (unit != 'D' && unit != 'W' && unit != 'M' && unit != 'Y') return std::nullopt;
  return Age{Num(as, 0, 3), unit};
}

int AgeInYears(const Age& age) {
  switch (age.unit) {
    case 'Y':
      return age.number;
    case 'M':
      return age.number / 12;
    case 'W':
      return age.number * 7 / 365;
    default:
      return age.number / 365;
  }
}

PersonNameGroups SplitPersonName(std::string_view pn) {
  PersonNameGroups g;
  std::string* groups[] = {&g.alphabetic, &g.ideographic, &g.phonetic};
  size_t start = 0;
  for (std::string* group : groups) {
    size_t end = pn.find('=', start);
    *group = std::string(pn.substr(start, end == std::string_view::npos ? pn.npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return g;
}

PersonNameComponents SplitNameComponents(std::string_view group) {
  PersonNameComponents c;
  std::string* parts[] = {&c.family, &c.given, &c.middle, &c.prefix, &c.suffix};
  size_t start = 0;
  for (std::string* part : parts) {
    size_t caret = group.find('^', start);
    std::string_view piece =
        group.substr(start, caret == std::string_view::npos ? group.npos : caret - start);
    size_t b = piece.find_first_not_of(" \t");
    size_t e = piece.find_last_not_of(" \t");
    *part = b == std::string_view::npos ? "" : std::string(piece.substr(b, e - b + 1));
    if (caret == std::string_view::npos) break;
    start = caret + 1;
  }
  return c;
}

std::string PersonNameDisplay(std::string_view group) {
  PersonNameComponents c = SplitNameComponents(group);
  std::string out;
  for (const std::string* p : {&c.prefix, &c.given, &c.middle, &c.family, &c.suffix}) {
    if (p->empty()) continue;
    if (!out.empty()) out += ' ';
    out += *p;
  }
  return out;
}

bool IsValidUid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64) return false;
  bool component_start = true;
  for (char c : uid) {
    if (c == '.') {
      if (component_start) return false;
      component_start = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      component_start = false;
    } else {
      return false;
    }
  }
  return !component_start;
}

std::optional<int64_t> ParseIntegerString(std::string_view raw) {
  std::string_view s = TrimPadding(raw);
  if (s.empty() || s.size() > 12) return std::nullopt;
  size_t k = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  if (k >= s.size() || !Digits(s, k, s.size() - k)) return std::nullopt;
  int64_t v = 0;
  for (size_t i = k; i < s.size(); ++i) v = v * 10 + (s[i] - '0');
  if (s[0] == '-') v = -v;
  if (v < INT32_MIN || v > INT32_MAX) return std::nullopt;  // IS is a 32-bit integer
  return v;
}

bool IsDecimalString(std::string_view text, bool integer_only) {
  std::string_view t = TrimPadding(text);
  size_t i = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  size_t digits = 0, frac = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++digits;
  if (integer_only) return digits > 0 && i == t.size();
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++frac;
  }
  if (digits + frac == 0) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    size_t exp = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++exp;
    if (exp == 0) return false;
  }
  if (i != t.size()) return false;
  return std::isfinite(std::strtod(std::string(t).c_str(), nullptr));
}

std::string DecimalStringToJson(std::string_view text, bool integer) {
  std::string t(TrimPadding(text));
  if (integer) return fmt::format("{}", std::strtoll(t.c_str(), nullptr, 10));
  return fmt::format("{}", std::strtod(t.c_str(), nullptr));
}

}  // namespace dicomlake::dicom
