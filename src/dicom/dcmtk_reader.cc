// The DCMTK adapter: the only place (with other dcmtk_*.cc files) that includes DCMTK.
// DCMTK's exceptions do not exist (it reports OFCondition); its log output is silenced.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrma.h>
#include <dcmtk/dcmdata/dcistrmf.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/oflog/oflog.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "dicom/charset.h"
#include "dicom/dcmtk_frame_index.h"
#include "dicom/dcmtk_private_dictionary.h"
#include "dicom/dcmtk_setup.h"
#include "dicom/dicom_reader.h"

namespace dicomlake::dicom {
namespace {

bool IsTextVr(DcmEVR vr) {
  switch (vr) {
    case EVR_AE:
    case EVR_AS:
    case EVR_CS:
    case EVR_DA:
    case EVR_DS:
    case EVR_DT:
    case EVR_IS:
    case EVR_LO:
    case EVR_LT:
    case EVR_PN:
    case EVR_SH:
    case EVR_ST:
    case EVR_TM:
    case EVR_UC:
    case EVR_UI:
    case EVR_UR:
    case EVR_UT:
      return true;
    default:
      return false;
  }
}

// VRs whose value is one string that may contain backslashes (PS3.5 6.2).
bool IsSingleValuedText(DcmEVR vr) {
  return vr == EVR_LT || vr == EVR_ST || vr == EVR_UT || vr == EVR_UR;
}

// Padding that is not part of the value (PS3.5 6.2): trailing spaces everywhere (NUL for UI);
// leading spaces too where the standard calls them insignificant.
std::string StripPadding(std::string s, DcmEVR vr) {
  // NUL padding is only legal for UI, but writers use it elsewhere too; it is never content.
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  bool strip_leading = vr == EVR_AE || vr == EVR_CS || vr == EVR_DA || vr == EVR_DS ||
                       vr == EVR_DT || vr == EVR_IS || vr == EVR_TM || vr == EVR_UI || vr == EVR_AS;
  if (strip_leading) {
    size_t b = s.find_first_not_of(' ');
    s = b == std::string::npos ? "" : s.substr(b);
  }
  return s;
}

// The values of a multi-valued text element (separated by backslashes, PS3.5 6.4), padding
// removed; an empty value is std::nullopt.
std::vector<std::optional<std::string>> SplitValues(const std::string& text, DcmEVR vr) {
  std::vector<std::optional<std::string>> out;
  size_t start = 0;
  for (;;) {
    size_t end = text.find('\\', start);
    std::string part = StripPadding(
        text.substr(start, end == std::string::npos ? std::string::npos : end - start), vr);
    out.push_back(part.empty() ? std::nullopt : std::optional<std::string>(std::move(part)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string FloatText(double v) {
  if (std::isnan(v)) return "\"NaN\"";
  if (std::isinf(v)) return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  return fmt::format("{}", v);
}

// Removes the element DCMTK was reading when the stream broke: the last element in stream order
// (descending into the last item of a trailing sequence). Its value buffer was allocated with
// the declared length but only partly filled, so the rest is uninitialised memory. Returns the
// tag as "(gggg,eeee)", or "" when there is nothing to remove.
std::string DropLastReadElement(DcmItem& item) {
  unsigned long n = item.card();
  if (n == 0) return "";
  DcmElement* last = item.getElement(n - 1);
  if (last == nullptr) return "";
  if (last->ident() == EVR_SQ) {
    auto* seq = static_cast<DcmSequenceOfItems*>(last);
    if (seq->card() > 0) {
      if (DcmItem* child = seq->getItem(seq->card() - 1)) {
        std::string inner = DropLastReadElement(*child);
        if (!inner.empty()) return inner;
      }
    }
  }
  // A value DCMTK deferred (large, not read) has no buffer; it stays, located in the file.
  if (!last->valueLoaded()) return "";
  std::string tag = fmt::format("({:04X},{:04X})", last->getGTag(), last->getETag());
  delete item.remove(last);
  return tag;
}

constexpr Uint32 kMaxNumericBytes = 1 << 20;

// The attributes whose VR depends on other attributes (PS3.6 lists them as "US or SS",
// "OB or OW", "US or OW"), and how PS3.5 resolves each. Only implicit VR data sets (and values
// DCMTK left with an internal VR) need it: explicit VR data sets state the VR.
enum class ContextVr {
  kNone,
  kUsOrSsByPixelRepresentation,
  kObOrOwPixels,
  kObOrOwWaveform,
  kUsOrOwLutData
};

ContextVr ContextVrOf(uint32_t tag) {
  const uint16_t group = tag >> 16;
  const uint16_t element = tag & 0xFFFF;
  switch (tag) {
    case Tag(0x0018, 0x9810):  // Zero Velocity Pixel Value
    case Tag(0x0022, 0x1452):  // Mapped Pixel Value
    case Tag(0x0028, 0x0104):  // Smallest / Largest Valid Pixel Value (retired)
    case Tag(0x0028, 0x0105):
    case Tag(0x0028, 0x0106):  // Smallest / Largest Image Pixel Value
    case Tag(0x0028, 0x0107):
    case Tag(0x0028, 0x0108):  // Smallest / Largest Pixel Value in Series
    case Tag(0x0028, 0x0109):
    case Tag(0x0028, 0x0110):  // Smallest / Largest Image Pixel Value in Plane (retired)
    case Tag(0x0028, 0x0111):
    case Tag(0x0028, 0x0120):  // Pixel Padding Value
    case Tag(0x0028, 0x0121):  // Pixel Padding Range Limit
    case Tag(0x0028, 0x1101):  // Red / Green / Blue Palette Color LUT Descriptor
    case Tag(0x0028, 0x1102):
    case Tag(0x0028, 0x1103):
    case Tag(0x0028, 0x1111):  // Large Red / Green / Blue Palette Color LUT Descriptor (retired)
    case Tag(0x0028, 0x1112):
    case Tag(0x0028, 0x1113):
    case Tag(0x0028, 0x3002):  // LUT Descriptor
    case Tag(0x0040, 0x9211):  // Real World Value Last / First Value Mapped
    case Tag(0x0040, 0x9216):
    case Tag(0x0060, 0x3004):  // Histogram First / Last Bin Value
    case Tag(0x0060, 0x3006):
      return ContextVr::kUsOrSsByPixelRepresentation;
    case Tag(0x7FE0, 0x0010):  // Pixel Data
      return ContextVr::kObOrOwPixels;
    case Tag(0x5400, 0x0110):  // Channel Minimum / Maximum Value, Waveform Padding Value, Data
    case Tag(0x5400, 0x0112):
    case Tag(0x5400, 0x100A):
    case Tag(0x5400, 0x1010):
      return ContextVr::kObOrOwWaveform;
    case Tag(0x0028, 0x3006):  // LUT Data
      return ContextVr::kUsOrOwLutData;
    default:
      break;
  }
  // Overlay Data (60xx,3000) of the repeating overlay groups.
  if (group >= 0x6000 && group <= 0x601E && group % 2 == 0 && element == 0x3000)
    return ContextVr::kObOrOwPixels;
  return ContextVr::kNone;
}

// DCMTK's internal VRs for dictionary entries with more than one VR.
bool IsInternalVr(DcmEVR vr) {
  return vr == EVR_xs || vr == EVR_ox || vr == EVR_lt || vr == EVR_px || vr == EVR_up;
}

// The facts about one data set or item that other attributes' VRs depend on.
struct ItemFacts {
  std::optional<int64_t> pixel_representation;
  std::optional<int64_t> bits_allocated;
  std::optional<int64_t> waveform_bits_allocated;
  std::optional<int64_t> lut_entries;  // first value of LUT Descriptor
};

// Bytes per value of a fixed-size numeric VR, 0 for other VRs.
size_t NumericSize(DcmEVR vr) {
  switch (vr) {
    case EVR_US:
    case EVR_SS:
      return 2;
    case EVR_UL:
    case EVR_SL:
    case EVR_FL:
    case EVR_AT:
      return 4;
    case EVR_FD:
    case EVR_SV:
    case EVR_UV:
      return 8;
    default:
      return 0;
  }
}

// True when text read under a private dictionary's VR looks binary: control characters other
// than the ones text may hold (TAB, LF, FF, CR, ESC of ISO 2022) before the trailing padding.
bool LooksBinary(const std::string& s) {
  size_t end = s.size();
  while (end > 0 && (s[end - 1] == '\0' || s[end - 1] == ' ')) --end;
  for (size_t i = 0; i < end; ++i) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r' && c != 0x1B) return true;
  }
  return false;
}

std::string TagText(uint32_t tag) {
  return fmt::format("({:04X},{:04X})", tag >> 16, tag & 0xFFFF);
}

class Converter {
 public:
  Converter(const ReadOptions& options, bool encapsulated, bool implicit_vr,
            std::vector<std::string>* warnings)
      : options_(options),
        encapsulated_(encapsulated),
        implicit_vr_(implicit_vr),
        warnings_(warnings) {}

  void ConvertItem(DcmItem& item, Dataset* out) {
    // An item without its own Specific Character Set uses its parent's (PS3.5 7.5.1).
    OFString charset;
    std::optional<TextDecoder> own;
    if (item.findAndGetOFStringArray(DCM_SpecificCharacterSet, charset, OFFalse).good()) {
      std::vector<std::string> terms;
      for (const auto& v : SplitValues(std::string(charset.c_str(), charset.length()), EVR_CS))
        terms.push_back(v.value_or(""));
      own.emplace(terms);
      for (const auto& note : own->notes()) Warn(Tag(0x0008, 0x0005), note);
    }
    const TextDecoder* inherited = decoder_;
    if (own) decoder_ = &*own;
    facts_.emplace_back();
    unsigned long n = item.card();
    out->elements.reserve(n);
    for (unsigned long k = 0; k < n; ++k) {
      DcmElement* e = item.getElement(k);
      if (e == nullptr) continue;
      Element el;
      if (Convert(*e, &el)) {
        NoteFacts(el);
        out->elements.push_back(std::move(el));
      }
    }
    facts_.pop_back();
    decoder_ = inherited;
  }

 private:
  // Records a warning about the attribute `tag` at the current position (sequence path).
  void Warn(uint32_t tag, const std::string& what) {
    std::string path;
    for (const auto& [sequence, item] : path_)
      path += fmt::format("{}[{}]", TagText(sequence), item);
    warnings_->push_back(path + TagText(tag) + " " + what);
  }

  void NoteFacts(const Element& el) {
    auto first = [&]() -> std::optional<int64_t> {
      if (el.numbers.empty()) return std::nullopt;
      return std::strtoll(el.numbers[0].c_str(), nullptr, 10);
    };
    ItemFacts& f = facts_.back();
    if (el.tag == Tag(0x0028, 0x0103)) f.pixel_representation = first();
    if (el.tag == Tag(0x0028, 0x0100)) f.bits_allocated = first();
    if (el.tag == Tag(0x5400, 0x1004)) f.waveform_bits_allocated = first();
    if (el.tag == Tag(0x0028, 0x3002)) f.lut_entries = first();
  }

  // The innermost value of a fact, from this item outwards (PixelRepresentation usually sits in
  // the root data set).
  std::optional<int64_t> Fact(std::optional<int64_t> ItemFacts::*fact) const {
    for (auto it = facts_.rbegin(); it != facts_.rend(); ++it) {
      if ((*it).*fact) return (*it).*fact;
    }
    return std::nullopt;
  }

  // The VR of `tag` when it depends on other attributes and the data set does not state it.
  std::optional<DcmEVR> ResolveContextVr(uint32_t tag, DcmEVR evr) const {
    if (!implicit_vr_ && !IsInternalVr(evr)) return std::nullopt;
    switch (ContextVrOf(tag)) {
      case ContextVr::kUsOrSsByPixelRepresentation:
        return Fact(&ItemFacts::pixel_representation).value_or(0) == 1 ? EVR_SS : EVR_US;
      case ContextVr::kObOrOwPixels:
        // PS3.5 A.1: OW in implicit VR; else OB for 8 bits or less (A.2).
        if (implicit_vr_) return EVR_OW;
        return Fact(&ItemFacts::bits_allocated).value_or(16) > 8 ? EVR_OW : EVR_OB;
      case ContextVr::kObOrOwWaveform:
        if (implicit_vr_) return EVR_OW;
        return facts_.back().waveform_bits_allocated.value_or(16) > 8 ? EVR_OW : EVR_OB;
      case ContextVr::kUsOrOwLutData:
        // PS3.3 C.11.1.1.1: a LUT of one entry is a US value; longer ones are OW.
        return facts_.back().lut_entries.value_or(0) == 1 ? EVR_US : EVR_OW;
      case ContextVr::kNone:
        break;
    }
    return std::nullopt;
  }

  bool Convert(DcmElement& e, Element* out) {
    const DcmTag& tag = e.getTag();
    out->tag = (static_cast<uint32_t>(tag.getGTag()) << 16) | tag.getETag();
    DcmVR vr(e.getVR());
    DcmEVR evr = vr.getValidEVR();
    out->vr = vr.getValidVRName();
    if (evr == EVR_SQ || e.ident() == EVR_SQ) {
      ConvertSequence(static_cast<DcmSequenceOfItems&>(e), out);
      return true;
    }
    if (e.ident() == EVR_PixelData && encapsulated_) {
      // Encapsulated fragments are not one contiguous value; locate the element by tag.
      out->bulk = BulkLocation{-1, -1};
      return true;
    }
    if ((out->tag & 0xFFFF) == 0) return false;  // group length: not in the JSON model (F.2)
    if (std::optional<DcmEVR> resolved = ResolveContextVr(out->tag, vr.getEVR())) {
      return ConvertAs(e, *resolved, out);
    }
    if (IsTextVr(evr)) return ConvertText(e, evr, out);
    // Numeric values over 1 MiB (no real attribute has them) are located, not read: a lying
    // length must not make the reader loop over millions of values that are not in the file.
    if (e.getLength() > kMaxNumericBytes && evr != EVR_OB && evr != EVR_OW) {
      return ConvertBinary(e, out);
    }
    size_t size = NumericSize(evr);
    if (size != 0 && e.getLength() % size != 0) {
      Warn(out->tag, fmt::format("{} bytes are not a whole number of {} values: kept as UN",
                                 e.getLength(), out->vr));
      out->vr = "UN";
      return ConvertBinary(e, out);
    }
    return size != 0 ? ConvertNumbers(e, evr, out) : ConvertBinary(e, out);
  }

  void ConvertSequence(DcmSequenceOfItems& seq, Element* out) {
    out->vr = "SQ";
    unsigned long items = seq.card();
    out->items.resize(items);
    path_.emplace_back(out->tag, 0);
    for (unsigned long k = 0; k < items; ++k) {
      path_.back().second = k;
      if (DcmItem* item = seq.getItem(k)) ConvertItem(*item, &out->items[k]);
    }
    path_.pop_back();
  }

  // The values of a numeric VR (NumericSize(evr) != 0) as JSON number text; AT as 8 hex digits.
  bool ConvertNumbers(DcmElement& e, DcmEVR evr, Element* out) {
    switch (evr) {
      case EVR_US:
        return Numbers<Uint16>(e, out, &DcmElement::getUint16);
      case EVR_SS:
        return Numbers<Sint16>(e, out, &DcmElement::getSint16);
      case EVR_UL:
        return Numbers<Uint32>(e, out, &DcmElement::getUint32);
      case EVR_SL:
        return Numbers<Sint32>(e, out, &DcmElement::getSint32);
      case EVR_SV:
        return Numbers<Sint64>(e, out, &DcmElement::getSint64);
      case EVR_UV:
        return Numbers<Uint64>(e, out, &DcmElement::getUint64);
      case EVR_FL:
        return Floats<Float32>(e, out, &DcmElement::getFloat32);
      case EVR_FD:
        return Floats<Float64>(e, out, &DcmElement::getFloat64);
      case EVR_AT:
        for (unsigned long k = 0; k < e.getVM(); ++k) {
          DcmTagKey key;
          if (e.getTagVal(key, k).good())
            out->numbers.push_back(fmt::format("{:04X}{:04X}", key.getGroup(), key.getElement()));
        }
        return true;
      default:
        return ConvertBinary(e, out);
    }
  }

  // Converts an attribute whose VR was resolved from its context: US/SS values decoded from the
  // little-endian bytes (DCMTK may hold them as another VR), OB/OW bytes as they are.
  bool ConvertAs(DcmElement& e, DcmEVR resolved, Element* out) {
    out->vr = DcmVR(resolved).getValidVRName();
    if (resolved != EVR_US && resolved != EVR_SS) return ConvertBinary(e, out);
    Uint32 length = e.getLength();
    if (length % 2 != 0 || length > kMaxNumericBytes) {
      Warn(out->tag, fmt::format("{} bytes are not a whole number of {} values: kept as UN", length,
                                 out->vr));
      out->vr = "UN";
      return ConvertBinary(e, out);
    }
    std::string bytes(length, '\0');
    if (length > 0 && e.getPartialValue(bytes.data(), 0, length, nullptr, EBO_LittleEndian).bad()) {
      Warn(out->tag, "value unreadable");
      return true;
    }
    for (Uint32 k = 0; k + 1 < length; k += 2) {
      auto v = static_cast<uint16_t>(static_cast<uint8_t>(bytes[k]) |
                                     (static_cast<uint8_t>(bytes[k + 1]) << 8));
      if (resolved == EVR_SS) {
        out->numbers.push_back(fmt::format("{}", static_cast<int16_t>(v)));
      } else {
        out->numbers.push_back(fmt::format("{}", v));
      }
    }
    return true;
  }

  bool ConvertText(DcmElement& e, DcmEVR evr, Element* out) {
    OFString value;
    if (e.getLength() == 0) return true;
    if (e.getOFStringArray(value, OFFalse).bad()) {
      Warn(out->tag, "value unreadable");
      return true;
    }
    std::string raw(value.c_str(), value.length());
    // A private attribute typed by the private dictionary whose value is not text after all:
    // its bytes are kept as they are.
    if (implicit_vr_ && (out->tag >> 16) % 2 == 1 && (out->tag & 0xFF00) != 0 && LooksBinary(raw)) {
      Warn(out->tag, fmt::format("does not hold {} text as the private dictionary says: kept as UN",
                                 out->vr));
      out->vr = "UN";
      return ConvertBinary(e, out);
    }
    bool charset_applies = evr == EVR_SH || evr == EVR_LO || evr == EVR_ST || evr == EVR_LT ||
                           evr == EVR_UT || evr == EVR_PN || evr == EVR_UC;
    static const TextDecoder kNoCharacterSet;
    DecodedText text = charset_applies ? (decoder_ ? decoder_ : &kNoCharacterSet)->Decode(raw)
                                       : DecodeDefaultRepertoire(raw);
    if (text.fallback_reason) {
      Warn(out->tag, "read as ISO-IR 100 (Latin-1): " + *text.fallback_reason);
    }
    if (IsSingleValuedText(evr)) {
      out->strings.push_back(StripPadding(std::move(text.utf8), evr));
      return true;
    }
    out->strings = SplitValues(text.utf8, evr);
    return true;
  }

  template <typename T>
  bool Numbers(DcmElement& e, Element* out,
               OFCondition (DcmElement::*get)(T&, const unsigned long)) {
    for (unsigned long k = 0; k < e.getVM(); ++k) {
      T v{};
      if ((e.*get)(v, k).good()) out->numbers.push_back(fmt::format("{}", v));
    }
    return true;
  }

  template <typename T>
  bool Floats(DcmElement& e, Element* out,
              OFCondition (DcmElement::*get)(T&, const unsigned long)) {
    for (unsigned long k = 0; k < e.getVM(); ++k) {
      T v{};
      if ((e.*get)(v, k).good()) out->numbers.push_back(FloatText(static_cast<double>(v)));
    }
    return true;
  }

  bool ConvertBinary(DcmElement& e, Element* out) {
    Uint32 length = e.getLength();
    if (length == 0) return true;
    if (length > options_.max_inline_binary) {
      BulkLocation loc{-1, static_cast<int64_t>(length)};
      // A value DCMTK deferred (not read) remembers where it starts in the file.
      const DcmInputStreamFactory* factory = e.getInputStream();
      if (factory != nullptr && factory->ident() == DFT_DcmInputFileStreamFactory) {
        loc.offset = static_cast<int64_t>(
            static_cast<const DcmInputFileStreamFactory*>(factory)->getOffset());
      }
      out->bulk = loc;
      return true;
    }
    out->binary.resize(length);
    if (e.getPartialValue(out->binary.data(), 0, length, nullptr, EBO_LittleEndian).bad()) {
      Warn(out->tag, "binary value unreadable");
      out->binary.clear();
    }
    return true;
  }

  const ReadOptions& options_;
  bool encapsulated_;
  bool implicit_vr_;
  std::vector<std::string>* warnings_;
  const TextDecoder* decoder_ = nullptr;  // of the innermost item that declares a set
  std::vector<ItemFacts> facts_;          // one per item being converted, outermost first
  // The enclosing sequences and item numbers, outermost first; formatted only for a warning.
  std::vector<std::pair<uint32_t, unsigned long>> path_;
};
}  // namespace

bool LooksLikeDicom(const std::string& head) {
  if (head.size() >= 132 && std::memcmp(head.data() + 128, "DICM", 4) == 0) return true;
  if (head.size() < 8) return false;
  // No preamble: the data starts with an element of group 0002 or 0008, with an explicit VR of
  // two upper-case letters or an implicit 4-byte length; little endian, or big endian with an
  // explicit VR (the retired Explicit VR Big Endian written without file meta).
  auto u16 = [&](size_t at) {
    return static_cast<uint16_t>(uint8_t(head[at]) | (uint8_t(head[at + 1]) << 8));
  };
  bool explicit_vr = std::isupper(static_cast<unsigned char>(head[4])) &&
                     std::isupper(static_cast<unsigned char>(head[5]));
  uint16_t big_endian_group = static_cast<uint16_t>((uint8_t(head[0]) << 8) | uint8_t(head[1]));
  if (explicit_vr && (big_endian_group == 0x0002 || big_endian_group == 0x0008)) return true;
  uint16_t group = u16(0);
  if (group != 0x0002 && group != 0x0008) return false;
  uint16_t element = u16(2);
  if (element > 0x0100 && group == 0x0002) return false;
  if (explicit_vr) return true;
  uint32_t length = u16(4) | (static_cast<uint32_t>(u16(6)) << 16);
  return length < 0x10000;
}

namespace {

// Recognises DICOM by content (ARCHITECTURE section 2), not by DCMTK's willingness to parse
// anything: its auto-detection turns arbitrary bytes into odd elements.
Status CheckLooksLikeDicom(const std::string& path) {
  std::string head(132, '\0');
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return ErrnoError(errno, "cannot open " + path);
  head.resize(std::fread(head.data(), 1, head.size(), f));
  std::fclose(f);
  if (LooksLikeDicom(head)) return Status::Ok();
  return InvalidArgument(
      "not DICOM: no \"DICM\" prefix at byte 128 and no plausible group 0002 or 0008 element at "
      "the start");
}

// Where the data set starts in a file with preamble and meta header, or -1.
int64_t DatasetOffset(const std::string& path, DcmMetaInfo* meta) {
  Uint32 group_length = 0;
  if (meta == nullptr ||
      meta->findAndGetUint32(DCM_FileMetaInformationGroupLength, group_length).bad()) {
    return -1;
  }
  std::string head(132, '\0');
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return -1;
  head.resize(std::fread(head.data(), 1, head.size(), f));
  std::fclose(f);
  if (head.size() < 132 || head.compare(128, 4, "DICM") != 0) return -1;
  return 132 + 12 + static_cast<int64_t>(group_length);  // (0002,0000) is 12 bytes itself
}

// True when the element at `offset` has no explicit VR (bytes 4 and 5 are not two letters).
bool LooksImplicitAt(const std::string& path, int64_t offset) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char b[6] = {};
  bool ok = std::fseek(f, static_cast<long>(offset), SEEK_SET) == 0 && std::fread(b, 1, 6, f) == 6;
  std::fclose(f);
  return ok && !(std::isupper(static_cast<unsigned char>(b[4])) &&
                 std::isupper(static_cast<unsigned char>(b[5])));
}

// A data set whose meta header says explicit VR but that is written in implicit VR (a writer
// bug): DCMTK reads its first element wrongly and loses the rest. Re-reads the data set alone as
// Implicit VR Little Endian; nullptr when that is not the case or does not read better.
std::unique_ptr<DcmDataset> RereadAsImplicitVr(const std::string& path, DcmFileFormat& file,
                                               const ReadOptions& options) {
  DcmMetaInfo* meta = file.getMetaInfo();
  int64_t offset = DatasetOffset(path, meta);
  if (offset < 0 || !LooksImplicitAt(path, offset)) return nullptr;
  DcmInputFileStream stream{OFFilename(path.c_str())};
  if (stream.status().bad() || stream.skip(offset) != offset) return nullptr;
  auto dataset = std::make_unique<DcmDataset>();
  dataset->transferInit();
  OFCondition cond =
      dataset->read(stream, EXS_LittleEndianImplicit, EGL_noChange, options.max_inline_binary);
  dataset->transferEnd();
  if (cond.bad() || dataset->card() <= file.getDataset()->card()) return nullptr;
  return dataset;
}

}  // namespace

Result<DicomFile> ReadDicomFile(const std::string& path, const ReadOptions& options) {
  ConfigureDcmtk();
  if (!dcmDataDict.isDictionaryLoaded()) {
    return Internal(
        "the DICOM data dictionary is not loaded: install dcmtk's dictionary "
        "(/usr/share/libdcmtk17/dicom.dic) or set DCMDICTPATH");
  }
  DL_RETURN_IF_ERROR(CheckLooksLikeDicom(path));
  DcmFileFormat file;
  DicomFile out;
  OFCondition cond = file.loadFile(OFFilename(path.c_str()), EXS_Unknown, EGL_noChange,
                                   options.max_inline_binary, ERM_autoDetect);
  std::unique_ptr<DcmDataset> reread;
  if (cond.bad() && file.getDataset() != nullptr) {
    reread = RereadAsImplicitVr(path, file, options);
    if (reread) {
      out.warnings.push_back(
          "the data set is encoded in Implicit VR Little Endian, not in the transfer syntax its "
          "meta header names: read as implicit VR");
      cond = EC_Normal;
    }
  }
  if (cond.bad()) {
    // A damaged file (a truncated download, a broken element) keeps what was read before the
    // damage, as pydicom does; the warning says what is missing.
    if (file.getDataset() == nullptr || file.getDataset()->card() == 0) {
      return InvalidArgument(std::string("not readable as DICOM: ") + cond.text());
    }
    out.warnings.push_back(std::string("file damaged (") + cond.text() +
                           "): the elements after the damage are missing");
    std::string dropped = DropLastReadElement(*file.getDataset());
    if (!dropped.empty()) out.warnings.push_back(dropped + " was cut off by the damage: left out");
  }
  DcmDataset* dataset = reread ? reread.get() : file.getDataset();
  DcmMetaInfo* meta = file.getMetaInfo();
  E_TransferSyntax xfer = file.getDataset()->getOriginalXfer();
  DcmXfer xfer_info(xfer);
  out.transfer_syntax_uid = xfer_info.getXferID();
  if (meta != nullptr) {
    OFString ts;
    if (meta->findAndGetOFString(DCM_TransferSyntaxUID, ts).good() && !ts.empty())
      out.transfer_syntax_uid = ts.c_str();
  }
  // Text is decoded per value by the Converter (charset.h), not by DCMTK's convertToUTF8: that
  // one turns bytes invalid in the declared set into U+FFFD for the whole data set.
  Converter converter(options, xfer_info.isEncapsulated(),
                      reread != nullptr || !xfer_info.isExplicitVR(), &out.warnings);
  if (meta != nullptr) converter.ConvertItem(*meta, &out.meta);
  converter.ConvertItem(*dataset, &out.data);
  // Only a whole file: after damage, the lengths that locate the frames cannot be trusted.
  if (cond.good()) {
    out.frame_index = BuildFrameIndex(path, *dataset, out.transfer_syntax_uid, &out.warnings);
  }
  return out;
}

}  // namespace dicomlake::dicom
