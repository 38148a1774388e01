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

}  // namespace dicomlake
