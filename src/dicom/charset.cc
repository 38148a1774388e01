#include "dicom/charset.h"

#include <iconv.h>

#include <cstdint>

namespace dicomlake::dicom {
namespace {

// The sets escape sequences switch between; `iconv` names the decoder of their bytes.
enum class Set {
  kAscii,
  kJisRoman,
  kJisKatakana,
  kJisX0208,
  kJisX0212,
  kKsX1001,
  kGb2312,
  kSingleByte,
  kNone
};

struct State {
  Set g0 = Set::kAscii;
  Set g1 = Set::kNone;
  std::string g1_iconv;  // for kSingleByte: e.g. "ISO-8859-1"
};

const char* SingleByteName(const std::string& term) {
  struct Term {
    const char* dicom;
    const char* iconv;
  };
  static const Term kTerms[] = {
      {"IR 100", "ISO-8859-1"},  {"IR 101", "ISO-8859-2"}, {"IR 109", "ISO-8859-3"},
      {"IR 110", "ISO-8859-4"},  {"IR 144", "ISO-8859-5"}, {"IR 127", "ISO-8859-6"},
      {"IR 126", "ISO-8859-7"},  {"IR 138", "ISO-8859-8"}, {"IR 148", "ISO-8859-9"},
      {"IR 203", "ISO-8859-15"}, {"IR 166", "TIS-620"},
  };
  for (const auto& t : kTerms) {
    if (term.size() >= std::char_traits<char>::length(t.dicom) &&
        term.compare(term.size() - std::char_traits<char>::length(t.dicom), std::string::npos,
                     t.dicom) == 0) {
      return t.iconv;
    }
  }
  return nullptr;
}

State InitialState(const std::vector<std::string>& charsets) {
  State s;
  std::string first = charsets.empty() ? "" : charsets[0];
  if (first == "ISO 2022 IR 13" || first == "ISO_IR 13") {
    s.g0 = Set::kJisRoman;
    s.g1 = Set::kJisKatakana;
  } else if (first == "ISO 2022 IR 149") {
    s.g1 = Set::kKsX1001;
  } else if (const char* name = SingleByteName(first)) {
    s.g1 = Set::kSingleByte;
    s.g1_iconv = name;
  }
  return s;
}

void AppendReplacement(std::string* out) { out->append("\xEF\xBF\xBD"); }

// Converts `in` from `from` to UTF-8 with iconv; U+FFFD when it fails.
void AppendIconv(const char* from, const std::string& in, std::string* out) {
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    AppendReplacement(out);
    return;
  }
  std::string src = in;
  std::string dst(src.size() * 4 + 16, '\0');
  char* inp = src.data();
  size_t inleft = src.size();
  char* outp = dst.data();
  size_t outleft = dst.size();
  size_t rc = iconv(cd, &inp, &inleft, &outp, &outleft);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1)) {
    AppendReplacement(out);
    return;
  }
  out->append(dst.data(), dst.size() - outleft);
}

void AppendCodePoint(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Applies the escape sequence starting at bytes[i] (ESC); returns its length, 1 if unknown.
size_t ApplyEscape(std::string_view b, size_t i, State* s) {
  auto is = [&](const char* seq) {
    return b.substr(i, std::char_traits<char>::length(seq)) == seq;
  };
  struct Esc {
    const char* seq;
    bool g0;
    Set set;
    const char* iconv;
  };
  static const Esc kEscapes[] = {
      {"\x1b(B", true, Set::kAscii, nullptr},
      {"\x1b(J", true, Set::kJisRoman, nullptr},
      {"\x1b)I", false, Set::kJisKatakana, nullptr},
      {"\x1b$B", true, Set::kJisX0208, nullptr},
      {"\x1b$(D", true, Set::kJisX0212, nullptr},
      {"\x1b$)C", false, Set::kKsX1001, nullptr},
      {"\x1b$)A", false, Set::kGb2312, nullptr},
      {"\x1b-A", false, Set::kSingleByte, "ISO-8859-1"},
      {"\x1b-B", false, Set::kSingleByte, "ISO-8859-2"},
      {"\x1b-C", false, Set::kSingleByte, "ISO-8859-3"},
      {"\x1b-D", false, Set::kSingleByte, "ISO-8859-4"},
      {"\x1b-L", false, Set::kSingleByte, "ISO-8859-5"},
      {"\x1b-G", false, Set::kSingleByte, "ISO-8859-6"},
      {"\x1b-F", false, Set::kSingleByte, "ISO-8859-7"},
      {"\x1b-H", false, Set::kSingleByte, "ISO-8859-8"},
      {"\x1b-M", false, Set::kSingleByte, "ISO-8859-9"},
      {"\x1b-T", false, Set::kSingleByte, "TIS-620"},
  };
  for (const auto& e : kEscapes) {
    if (!is(e.seq)) continue;
    if (e.g0) {
      s->g0 = e.set;
    } else {
      s->g1 = e.set;
      s->g1_iconv = e.iconv ? e.iconv : "";
    }
    return std::char_traits<char>::length(e.seq);
  }
  return 1;
}

}  // namespace

bool NeedsIso2022Decoder(const std::vector<std::string>& charsets) {
  for (const auto& c : charsets) {
    if (c == "ISO 2022 IR 87" || c == "ISO 2022 IR 159" || c == "ISO 2022 IR 149" ||
        c == "ISO 2022 IR 58" || c == "ISO 2022 IR 13") {
      return true;
    }
  }
  return false;
}

std::string DecodeIso2022(std::string_view b, const std::vector<std::string>& charsets) {
  const State initial = InitialState(charsets);
  State s = initial;
  std::string out;
  for (size_t i = 0; i < b.size();) {
    auto c = static_cast<uint8_t>(b[i]);
    if (c == 0x1B) {
      i += ApplyEscape(b, i, &s);
      continue;
    }
    bool single_byte_g0 = s.g0 == Set::kAscii || s.g0 == Set::kJisRoman;
    if (c < 0x80 && !single_byte_g0) {
      const size_t width = 2;  // JIS X 0208 and JIS X 0212 characters are two bytes in G0
      if (i + width > b.size()) {
        AppendReplacement(&out);
        break;
      }
      std::string euc;
      if (s.g0 == Set::kJisX0212) euc.push_back(static_cast<char>(0x8F));
      euc.push_back(static_cast<char>(b[i] | 0x80));
      euc.push_back(static_cast<char>(b[i + 1] | 0x80));
      AppendIconv("EUC-JP", euc, &out);
      i += width;
      continue;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      // Delimiters restore the initial sets (PS3.5 6.1.2.5.3).
      if (c == '\\' || c == '^' || c == '=' || c == '\r' || c == '\n' || c == '\t' || c == '\f')
        s = initial;
      ++i;
      continue;
    }
    switch (s.g1) {
      case Set::kJisKatakana:
        if (c >= 0xA1 && c <= 0xDF)
          AppendCodePoint(0xFF61 + (c - 0xA1), &out);
        else
          AppendReplacement(&out);
        ++i;
        break;
      case Set::kKsX1001:
      case Set::kGb2312:
        if (i + 1 >= b.size()) {
          AppendReplacement(&out);
          ++i;
        } else {
          AppendIconv(s.g1 == Set::kKsX1001 ? "EUC-KR" : "GB2312", std::string(b.substr(i, 2)),
                      &out);
          i += 2;
        }
        break;
      case Set::kSingleByte:
        AppendIconv(s.g1_iconv.c_str(), std::string(1, static_cast<char>(c)), &out);
        ++i;
        break;
      default:
        AppendReplacement(&out);
        ++i;
    }
  }
  return out;
}

}  // namespace dicomlake::dicom
