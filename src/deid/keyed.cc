#include "deid/keyed.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "common/fs.h"
#include "common/sha256.h"
#include "common/time_util.h"

namespace dicomlake::deid {
namespace {

constexpr size_t kKeyBytes = 32;
__extension__ using Uint128 = unsigned __int128;  // GCC and Clang; -Wpedantic asks to say so

std::string ToHex(const std::string& bytes, bool upper = false) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 0xF];
  }
  return out;
}

// The bytes of `hex` (an even number of hex digits), or "" when it is not that.
std::string FromHex(const std::string& hex) {
  if (hex.size() % 2 != 0) return "";
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto digit = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

uint64_t BigEndian64(const std::string& bytes, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::getrandom(out.data() + done, n - done, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoError(errno, "cannot draw random bytes for a key");
    done += static_cast<size_t>(got);
  }
  return out;
}

Result<Key> ReadKey(const std::string& path) {
  DL_ASSIGN_OR_RETURN(std::string text, fs::ReadFile(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  std::string bytes = FromHex(text);
  if (bytes.size() != kKeyBytes) {
    return InvalidArgument(fmt::format(
        "{} is not a de-identification key (64 hex digits, as dicomlake creates it)", path));
  }
  return Key::FromBytes(std::move(bytes));
}

}  // namespace

Result<Key> Key::LoadOrCreate(const std::string& path, bool* created) {
  if (created != nullptr) *created = false;
  if (fs::Exists(path)) return ReadKey(path);
  DL_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(kKeyBytes));
  // A missing folder is made for the owner alone.
  size_t slash = path.find_last_of('/');
  std::string folder = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  if (!fs::Exists(folder)) {
    DL_RETURN_IF_ERROR(fs::MakeDirs(folder));
    if (::chmod(folder.c_str(), 0700) != 0) {
      return ErrnoError(errno, "cannot make the key's folder " + folder + " private");
    }
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno == EEXIST) return ReadKey(path);  // another process made it first
  if (fd < 0) return ErrnoError(errno, "cannot create the key file " + path);
  std::string text = ToHex(bytes) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return ErrnoError(err, "cannot write the key file " + path);
  }
  DL_RETURN_IF_ERROR(fs::SyncDir(folder));
  if (created != nullptr) *created = true;
  return Key(std::move(bytes));
}

std::string Key::Mac(const std::string& message) const { return HmacSha256(bytes_, message); }

std::string Key::NewUid(const std::string& uid) const {
  std::string mac = Mac(uid);
  Uint128 v = (static_cast<Uint128>(BigEndian64(mac, 0)) << 64) | BigEndian64(mac, 8);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return "2.25." + digits;
}

std::string Key::PatientPseudonym(const std::string& patient_id) const {
  return ToHex(Mac(std::string("PatientID") + '\0' + patient_id).substr(0, 8), /*upper=*/true);
}

int Key::DateShiftDays(const std::string& patient_id, int min_days, int max_days) const {
  // The values of the range other than 0, counted; the MAC picks one of them.
  const int64_t span = int64_t{max_days} - min_days + 1;
  const bool has_zero = min_days <= 0 && max_days >= 0;
  const int64_t choices = span - (has_zero ? 1 : 0);
  if (choices <= 0) return 0;  // precondition violated; callers validate the range
  uint64_t r = BigEndian64(Mac(std::string("DateShift") + '\0' + patient_id), 0);
  int64_t k = static_cast<int64_t>(r % static_cast<uint64_t>(choices));
  int64_t days = min_days + k;
  if (has_zero && days >= 0) ++days;  // skip 0
  return static_cast<int>(days);
}

std::string ShiftDicomDate(const std::string& date, int days) {
  if (date.size() != 8 || date.find_first_not_of("0123456789") != std::string::npos) return "";
  int64_t y = std::atoi(date.substr(0, 4).c_str());
  unsigned m = static_cast<unsigned>(std::atoi(date.substr(4, 2).c_str()));
  unsigned d = static_cast<unsigned>(std::atoi(date.substr(6, 2).c_str()));
  if (m < 1 || m > 12 || d < 1 || d > 31) return "";
  int64_t shifted = DaysFromCivil(y, m, d) + days;
  CivilFromDays(shifted, &y, &m, &d);
  return fmt::format("{:04}{:02}{:02}", y, m, d);
}

}  // namespace dicomlake::deid
