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
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "dicom/charset.h"
#include "dicom/dicom_reader.h"

namespace dicomlake::dicom {
namespace {

void ConfigureDcmtkOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    // An explicit-VR UN element whose real VR the dictionary knows is read with that VR (as
    // pydicom does), so that e.g. a date stored as UN becomes a DA value.
    dcmEnableUnknownVRConversion.set(OFTrue);
  });
}

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

// Puts the file's own Specific Character Set back into the converted data set, or removes the
// one the conversion added when the file had none.
void RestoreCharacterSet(const std::optional<std::string>& original_value, Dataset* data) {
  auto& elements = data->elements;
  if (!original_value) {
    elements.erase(std::remove_if(elements.begin(), elements.end(),
                                  [](const Element& e) { return e.tag == Tag(0x0008, 0x0005); }),
                   elements.end());
    return;
  }
  const std::string& original = *original_value;
  for (auto& e : elements) {
    if (e.tag != Tag(0x0008, 0x0005)) continue;
    e.strings = SplitValues(original, EVR_CS);
  }
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

// The Specific Character Set of the data set and of every sequence item before conversion:
// DcmItem::convertToUTF8 rewrites them to ISO_IR 192, the JSON keeps the file's own values.
using CharsetMap = std::unordered_map<const DcmItem*, std::optional<std::string>>;

void CollectCharsets(DcmItem& item, CharsetMap* out) {
  OFString value;
  if (item.findAndGetOFStringArray(DCM_SpecificCharacterSet, value, OFFalse).good()) {
    (*out)[&item] = std::string(value.c_str());
  } else {
    (*out)[&item] = std::nullopt;
  }
  for (unsigned long k = 0; k < item.card(); ++k) {
    DcmElement* e = item.getElement(k);
    if (e == nullptr || e->ident() != EVR_SQ) continue;
    auto* seq = static_cast<DcmSequenceOfItems*>(e);
    for (unsigned long i = 0; i < seq->card(); ++i) {
      if (DcmItem* child = seq->getItem(i)) CollectCharsets(*child, out);
    }
  }
}

constexpr Uint32 kMaxNumericBytes = 1 << 20;

class Converter {
 public:
  Converter(const ReadOptions& options, bool encapsulated, const CharsetMap* charsets,
            std::vector<std::string>* warnings)
      : options_(options), encapsulated_(encapsulated), charsets_(charsets), warnings_(warnings) {}

  // Text of files with ISO 2022 code extensions is decoded here (charset.h) instead of by DCMTK.
  void DecodeTextOurselves() { own_decoding_ = true; }

  void ConvertItem(DcmItem& item, Dataset* out) {
    // An item without its own Specific Character Set uses its parent's (PS3.5 7.5.1).
    std::vector<std::string> inherited = current_charsets_;
    auto own = charsets_->find(&item);
    if (own != charsets_->end() && own->second) {
      current_charsets_.clear();
      for (const auto& v : SplitValues(*own->second, EVR_CS))
        current_charsets_.push_back(v.value_or(""));
    }
    unsigned long n = item.card();
    out->elements.reserve(n);
    for (unsigned long k = 0; k < n; ++k) {
      DcmElement* e = item.getElement(k);
      if (e == nullptr) continue;
      Element el;
      if (Convert(*e, &el)) out->elements.push_back(std::move(el));
    }
    if (own != charsets_->end()) RestoreCharacterSet(own->second, out);
    current_charsets_ = std::move(inherited);
  }

 private:
  bool Convert(DcmElement& e, Element* out) {
    const DcmTag& tag = e.getTag();
    out->tag = (static_cast<uint32_t>(tag.getGTag()) << 16) | tag.getETag();
    DcmVR vr(e.getVR());
    DcmEVR evr = vr.getValidEVR();
    out->vr = vr.getValidVRName();
    if (evr == EVR_SQ || e.ident() == EVR_SQ) {
      out->vr = "SQ";
      auto& seq = static_cast<DcmSequenceOfItems&>(e);
      unsigned long items = seq.card();
      out->items.resize(items);
      for (unsigned long k = 0; k < items; ++k) {
        if (DcmItem* item = seq.getItem(k)) ConvertItem(*item, &out->items[k]);
      }
      return true;
    }
    if (e.ident() == EVR_PixelData && encapsulated_) {
      // Encapsulated fragments are not one contiguous value; locate the element by tag.
      out->bulk = BulkLocation{-1, -1};
      return true;
    }
    if ((out->tag & 0xFFFF) == 0) return false;  // group length: not in the JSON model (F.2)
    if (IsTextVr(evr)) return ConvertText(e, evr, out);
    // Numeric values over 1 MiB (no real attribute has them) are located, not read: a lying
    // length must not make the reader loop over millions of values that are not in the file.
    if (e.getLength() > kMaxNumericBytes && evr != EVR_OB && evr != EVR_OW) {
      return ConvertBinary(e, out);
    }
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
      case EVR_AT: {
        for (unsigned long k = 0; k < e.getVM(); ++k) {
          DcmTagKey key;
          if (e.getTagVal(key, k).good())
            out->numbers.push_back(fmt::format("{:04X}{:04X}", key.getGroup(), key.getElement()));
        }
        return true;
      }
      default:
        return ConvertBinary(e, out);
    }
  }

  bool ConvertText(DcmElement& e, DcmEVR evr, Element* out) {
    OFString value;
    if (e.getLength() == 0) return true;
    if (e.getOFStringArray(value, OFFalse).bad()) {
      warnings_->push_back(
          fmt::format("({:04X},{:04X}) value unreadable", e.getGTag(), e.getETag()));
      return true;
    }
    std::string s(value.c_str(), value.length());
    bool charset_applies = evr == EVR_SH || evr == EVR_LO || evr == EVR_ST || evr == EVR_LT ||
                           evr == EVR_UT || evr == EVR_PN || evr == EVR_UC;
    if (own_decoding_ && charset_applies) s = DecodeIso2022(s, current_charsets_);
    if (IsSingleValuedText(evr)) {
      out->strings.push_back(StripPadding(std::move(s), evr));
      return true;
    }
    out->strings = SplitValues(s, evr);
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
      warnings_->push_back(
          fmt::format("({:04X},{:04X}) binary value unreadable", e.getGTag(), e.getETag()));
      out->binary.clear();
    }
    return true;
  }

  const ReadOptions& options_;
  bool encapsulated_;
  const CharsetMap* charsets_;
  std::vector<std::string>* warnings_;
  bool own_decoding_ = false;
  std::vector<std::string> current_charsets_;
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

// True when a Specific Character Set of the data set (or of an item) names ISO 2022 code
// extensions, which this project decodes itself.
bool AnyNeedsIso2022Decoder(const CharsetMap& charsets) {
  for (const auto& [item, value] : charsets) {
    if (!value) continue;
    std::vector<std::string> terms;
    for (const auto& v : SplitValues(*value, EVR_CS)) terms.push_back(v.value_or(""));
    if (NeedsIso2022Decoder(terms)) return true;
  }
  return false;
}

}  // namespace

Result<DicomFile> ReadDicomFile(const std::string& path, const ReadOptions& options) {
  ConfigureDcmtkOnce();
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
  DcmDataset* dataset = file.getDataset();
  DcmMetaInfo* meta = file.getMetaInfo();
  E_TransferSyntax xfer = dataset->getOriginalXfer();
  DcmXfer xfer_info(xfer);
  out.transfer_syntax_uid = xfer_info.getXferID();
  if (meta != nullptr) {
    OFString ts;
    if (meta->findAndGetOFString(DCM_TransferSyntaxUID, ts).good() && !ts.empty())
      out.transfer_syntax_uid = ts.c_str();
  }
  CharsetMap charsets;
  CollectCharsets(*dataset, &charsets);
  Converter converter(options, xfer_info.isEncapsulated(), &charsets, &out.warnings);
  if (AnyNeedsIso2022Decoder(charsets)) {
    converter.DecodeTextOurselves();  // glibc iconv through DCMTK cannot do these
  } else {
    cond = file.convertToUTF8();
    if (cond.bad()) {
      out.warnings.push_back(std::string("character set not converted to UTF-8: ") + cond.text());
    }
  }
  if (meta != nullptr) converter.ConvertItem(*meta, &out.meta);
  converter.ConvertItem(*dataset, &out.data);
  return out;
}

}  // namespace dicomlake::dicom
