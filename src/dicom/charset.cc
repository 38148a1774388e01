#include "dicom/charset.h"

#include <iconv.h>

#include <cctype>
#include <cstdint>
#include <unordered_map>

#include "common/utf8.h"

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

// Appends U+FFFD for bytes that could not be decoded, and says so in *ok.
void AppendReplacement(std::string* out, bool* ok) {
  out->append("\xEF\xBF\xBD");
  *ok = false;
}

// The iconv converters to UTF-8 one thread has opened, by source set; closed with the thread.
class IconvCache {
 public:
  IconvCache() = default;
  IconvCache(const IconvCache&) = delete;
  IconvCache& operator=(const IconvCache&) = delete;
  ~IconvCache() {
    for (auto& [name, cd] : converters_) {
      if (cd != nullptr) iconv_close(cd);
    }
  }
  // nullptr when iconv does not know `from`.
  iconv_t Get(const std::string& from) {
    auto it = converters_.find(from);
    if (it == converters_.end()) {
      iconv_t cd = iconv_open("UTF-8", from.c_str());
      it = converters_.emplace(from, cd == reinterpret_cast<iconv_t>(-1) ? nullptr : cd).first;
    }
    return it->second;
  }

 private:
  std::unordered_map<std::string, iconv_t> converters_;
};

// An iconv converter from `from` to UTF-8, opened once per thread and kept (iconv_t is not
// thread-safe; opening one per value is slow). nullptr when iconv does not know `from`.
iconv_t IconvToUtf8(const std::string& from) {
  thread_local IconvCache cache;
  return cache.Get(from);
}

// Converts all of `in` from `from` to UTF-8 into *out; false when iconv cannot (an invalid or
// cut-off sequence, an unknown set), leaving *out as it was.
bool ConvertWithIconv(const std::string& from, std::string_view in, std::string* out) {
  iconv_t cd = IconvToUtf8(from);
  if (cd == nullptr) return false;
  iconv(cd, nullptr, nullptr, nullptr, nullptr);  // back to the initial shift state
  std::string src(in);
  std::string dst(src.size() * 4 + 16, '\0');
  char* inp = src.data();
  size_t inleft = src.size();
  char* outp = dst.data();
  size_t outleft = dst.size();
  size_t rc = iconv(cd, &inp, &inleft, &outp, &outleft);
  if (rc == static_cast<size_t>(-1) || inleft != 0) return false;
  out->append(dst.data(), dst.size() - outleft);
  return true;
}

// Converts `in` from `from` to UTF-8; U+FFFD (and *ok = false) when it fails.
void AppendIconv(const std::string& from, std::string_view in, std::string* out, bool* ok) {
  if (!ConvertWithIconv(from, in, out)) AppendReplacement(out, ok);
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

std::string DecodeIso2022(std::string_view b, const std::vector<std::string>& charsets,
                          bool* complete) {
  bool ok_storage = true;
  bool* ok = complete != nullptr ? complete : &ok_storage;
  *ok = true;
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
        AppendReplacement(&out, ok);
        break;
      }
      std::string euc;
      if (s.g0 == Set::kJisX0212) euc.push_back(static_cast<char>(0x8F));
      euc.push_back(static_cast<char>(b[i] | 0x80));
      euc.push_back(static_cast<char>(b[i + 1] | 0x80));
      AppendIconv("EUC-JP", euc, &out, ok);
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
          AppendReplacement(&out, ok);
        ++i;
        break;
      case Set::kKsX1001:
      case Set::kGb2312:
        if (i + 1 >= b.size()) {
          AppendReplacement(&out, ok);
          ++i;
        } else {
          AppendIconv(s.g1 == Set::kKsX1001 ? "EUC-KR" : "GB2312", b.substr(i, 2), &out, ok);
          i += 2;
        }
        break;
      case Set::kSingleByte:
        AppendIconv(s.g1_iconv, b.substr(i, 1), &out, ok);
        ++i;
        break;
      default:
        AppendReplacement(&out, ok);
        ++i;
    }
  }
  return out;
}

}  // namespace dicomlake::dicom

namespace dicomlake::dicom {
namespace {

std::string Latin1ToUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2);
  for (char ch : bytes) {
    auto c = static_cast<uint8_t>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool IsAscii(std::string_view bytes) {
  for (char c : bytes) {
    if (static_cast<uint8_t>(c) >= 0x80) return false;
  }
  return true;
}

// A defined term with the usual misspellings corrected ("ISO_IR100", "ISO-IR 100", "ISO IR 100"
// are "ISO_IR 100"; "ISO-2022-IR 87" is "ISO 2022 IR 87"), as pydicom corrects them.
std::string CorrectTerm(const std::string& term) {
  std::string upper;
  for (char c : term) upper.push_back(static_cast<char>(std::toupper(static_cast<uint8_t>(c))));
  auto is_sep = [](char c) { return c == ' ' || c == '_' || c == '-'; };
  size_t i = 0;
  auto skip_sep = [&] {
    while (i < upper.size() && is_sep(upper[i])) ++i;
  };
  auto take = [&](const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (upper.compare(i, n, word) != 0) return false;
    i += n;
    return true;
  };
  if (!take("ISO")) return term;
  skip_sep();
  bool extension = take("2022");
  skip_sep();
  if (!take("IR")) return term;
  skip_sep();
  std::string number = upper.substr(i);
  if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) return term;
  return (extension ? "ISO 2022 IR " : "ISO_IR ") + number;
}

}  // namespace

TextDecoder::TextDecoder(const std::vector<std::string>& charsets) : charsets_(charsets) {
  for (auto& term : charsets_) {
    std::string corrected = CorrectTerm(term);
    if (corrected != term) {
      notes_.push_back("Specific Character Set \"" + term + "\" read as \"" + corrected + "\"");
      term = corrected;
    }
  }
  const std::string first = charsets_.empty() ? "" : charsets_[0];
  if (NeedsIso2022Decoder(charsets_) || first == "ISO_IR 13" || first == "ISO 2022 IR 13") {
    kind_ = Kind::kIso2022;
  } else if (first.empty() || first == "ISO_IR 6" || first == "ISO 2022 IR 6") {
    kind_ = charsets_.size() > 1 ? Kind::kIso2022 : Kind::kAscii;
  } else if (first == "ISO_IR 100" || first == "ISO 2022 IR 100") {
    kind_ = charsets_.size() > 1 ? Kind::kIso2022 : Kind::kLatin1;
  } else if (first == "ISO_IR 192") {
    kind_ = Kind::kUtf8;
  } else if (first == "GB18030" || first == "GBK") {
    kind_ = Kind::kIconv;
    iconv_name_ = first;
  } else if (const char* name = SingleByteName(first)) {
    kind_ = first.rfind("ISO 2022", 0) == 0 ? Kind::kIso2022 : Kind::kIconv;
    iconv_name_ = name;
  } else if (IconvToUtf8(first) != nullptr) {
    // Not a DICOM term but a name iconv knows ("UTF-8", "latin1"): read as such, as pydicom
    // reads a Python codec name.
    kind_ = Kind::kIconv;
    iconv_name_ = first;
    notes_.push_back("Specific Character Set \"" + first + "\" is not a DICOM defined term");
  } else {
    kind_ = Kind::kAscii;
    unknown_ = first;
    notes_.push_back("Specific Character Set \"" + first +
                     "\" is unknown: non-ASCII text is read as ISO-IR 100 (Latin-1)");
  }
}

DecodedText TextDecoder::Decode(std::string_view bytes) const {
  DecodedText out;
  if (kind_ != Kind::kIso2022 && IsAscii(bytes)) {
    out.utf8.assign(bytes);
    return out;
  }
  bool ok = true;
  switch (kind_) {
    case Kind::kAscii:
      break;  // non-ASCII (checked above) with no usable declared set
    case Kind::kLatin1:
      out.utf8 = Latin1ToUtf8(bytes);
      return out;
    case Kind::kUtf8:
      if (IsValidUtf8(bytes)) {
        out.utf8.assign(bytes);
        return out;
      }
      ok = false;
      break;
    case Kind::kIconv:
      ok = ConvertWithIconv(iconv_name_, bytes, &out.utf8);
      if (ok) return out;
      break;
    case Kind::kIso2022:
      out.utf8 = DecodeIso2022(bytes, charsets_, &ok);
      if (ok) return out;
      break;
  }
  out.utf8 = Latin1ToUtf8(bytes);
  if (kind_ == Kind::kAscii && unknown_.empty()) {
    out.fallback_reason = charsets_.empty() || charsets_[0].empty()
                              ? "non-ASCII text and no Specific Character Set"
                              : "non-ASCII text in the default repertoire (" + charsets_[0] + ")";
  } else if (kind_ == Kind::kAscii) {
    out.fallback_reason =
        "non-ASCII text in an unknown Specific Character Set \"" + unknown_ + "\"";
  } else {
    std::string declared;
    for (const auto& t : charsets_) declared += (declared.empty() ? "" : "\\") + t;
    out.fallback_reason = "text not valid in the declared Specific Character Set " + declared;
  }
  return out;
}

DecodedText DecodeDefaultRepertoire(std::string_view bytes) {
  DecodedText out;
  if (IsAscii(bytes)) {
    out.utf8.assign(bytes);
    return out;
  }
  out.utf8 = Latin1ToUtf8(bytes);
  out.fallback_reason = "non-ASCII text in a VR of the default repertoire";
  return out;
}

}  // namespace dicomlake::dicom
