#include "common/time_util.h"

#include <chrono>
#include <cstdio>

namespace dicomlake {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t NowMillis() { return NowMicros() / 1000; }

// Howard Hinnant's civil-date algorithms (public domain, "chrono-Compatible Low-Level Date
// Algorithms").
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = y + (*month <= 2);
}

std::string FormatDate(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

namespace {

void SplitMicros(int64_t micros, int64_t* days, int64_t* secs_of_day, int64_t* frac) {
  *days = FloorDiv(micros, 86400LL * 1000000);
  int64_t rest = micros - *days * 86400LL * 1000000;
  *secs_of_day = rest / 1000000;
  *frac = rest % 1000000;
}

}  // namespace

std::string FormatTimestampIso(int64_t micros, int fraction_digits) {
  int64_t days, secs, frac;
  SplitMicros(micros, &days, &secs, &frac);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%sT%02lld:%02lld:%02lld", FormatDate(days).c_str(),
                        static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                        static_cast<long long>(secs % 60));
  if (fraction_digits == 6) {
    std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(frac));
  } else if (fraction_digits == 3) {
    std::snprintf(buf + n, sizeof buf - n, ".%03lldZ", static_cast<long long>(frac / 1000));
  } else {
    std::snprintf(buf + n, sizeof buf - n, "Z");
  }
  return buf;
}

std::string FormatTimestampDisplay(int64_t micros) {
  int64_t days, secs, frac;
  SplitMicros(micros, &days, &secs, &frac);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%s %02lld:%02lld:%02lld", FormatDate(days).c_str(),
                        static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                        static_cast<long long>(secs % 60));
  if (frac != 0) std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(frac));
  return buf;
}

std::optional<int64_t> ParseTimestampIso(const std::string& t) {
  auto digits = [&](size_t at, size_t n, int* out) {
    if (t.size() < at + n) return false;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!digits(0, 4, &y) || t.size() < 10 || t[4] != '-' || !digits(5, 2, &mo) || t[7] != '-' ||
      !digits(8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31) {
    return std::nullopt;
  }
  int64_t micros = 0;
  size_t at = 10;
  if (t.size() > 10) {
    if ((t[10] != 'T' && t[10] != ' ') || !digits(11, 2, &h) || t.size() < 16 || t[13] != ':' ||
        !digits(14, 2, &mi) || h > 23 || mi > 59) {
      return std::nullopt;
    }
    at = 16;
    if (at < t.size() && t[at] == ':') {
      if (!digits(at + 1, 2, &sec) || sec > 60) return std::nullopt;
      at += 3;
      if (at < t.size() && t[at] == '.') {
        int64_t scale = 100000;
        for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at) {
          micros += (t[at] - '0') * scale;
          scale /= 10;
        }
      }
    }
  }
  int64_t offset_minutes = 0;
  if (at < t.size()) {
    if (t[at] == 'Z' && at + 1 == t.size()) {
      ++at;
    } else if ((t[at] == '+' || t[at] == '-') && t.size() == at + 6 && t[at + 3] == ':') {
      int oh, om;
      if (!digits(at + 1, 2, &oh) || !digits(at + 4, 2, &om)) return std::nullopt;
      offset_minutes = (t[at] == '+' ? 1 : -1) * (oh * 60 + om);
      at += 6;
    } else {
      return std::nullopt;
    }
  }
  int64_t seconds = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                    h * 3600 + mi * 60 + sec - offset_minutes * 60;
  return seconds * 1000000 + micros;
}

std::string FormatDateCompact(int64_t micros) {
  const std::string iso = FormatTimestampIso(micros, 0);  // YYYY-MM-DDTHH:MM:SSZ
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2);
}

}  // namespace dicomlake
