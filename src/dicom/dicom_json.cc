#include "dicom/dicom_json.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "common/base64.h"
#include "common/utf8.h"
#include "dicom/values.h"

namespace dicomlake::dicom {
namespace {

void AppendEscaped(std::string* out, const std::string& s) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        default:
          if (c < 0x20) {
            out->append(fmt::format("\\u{:04x}", c));
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // Copy a well-formed UTF-8 sequence; replace a malformed byte with U+FFFD so that the
    // output is always valid JSON text (a file whose character set could not be converted).
    size_t len = Utf8SequenceLength(s, i);
    if (len > 0) {
      out->append(s, i, len);
      i += len;
    } else {
      out->append("\xEF\xBF\xBD");
      ++i;
    }
  }
  out->push_back('"');
}

// PS3.18 F.2.2: a PN value as an object of its non-empty component groups.
void AppendPersonName(std::string* out, const std::string& value) {
  PersonNameGroups groups = SplitPersonName(value);
  const std::pair<const char*, const std::string*> kGroups[] = {
      {"Alphabetic", &groups.alphabetic},
      {"Ideographic", &groups.ideographic},
      {"Phonetic", &groups.phonetic}};
  out->push_back('{');
  bool first = true;
  for (const auto& [name, group] : kGroups) {
    if (group->empty()) continue;
    if (!first) out->push_back(',');
    first = false;
    out->append("\"").append(name).append("\":");
    AppendEscaped(out, *group);
  }
  out->push_back('}');
}

class Writer {
 public:
  explicit Writer(const JsonOptions& options) : options_(options) {}

  void WriteMerged(const Dataset& meta, const Dataset& data) {
    out_.push_back('{');
    first_ = true;
    size_t i = 0, j = 0;
    while (i < meta.elements.size() || j < data.elements.size()) {
      bool take_meta = j >= data.elements.size() ||
                       (i < meta.elements.size() && meta.elements[i].tag <= data.elements[j].tag);
      WriteElement(take_meta ? meta.elements[i++] : data.elements[j++]);
    }
    out_.push_back('}');
  }

  std::string Take() { return std::move(out_); }

 private:
  void WriteDataset(const Dataset& ds) {
    out_.push_back('{');
    bool saved = first_;
    first_ = true;
    for (const auto& e : ds.elements) WriteElement(e);
    first_ = saved;
    out_.push_back('}');
  }

  void WriteElement(const Element& e) {
    if ((e.tag & 0xFFFF) == 0) return;  // group length: not part of the JSON model
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.append(fmt::format("\"{:08X}\":{{\"vr\":\"{}\"", e.tag, e.vr));
    if (e.vr == "SQ") {
      if (!e.items.empty()) {
        out_.append(",\"Value\":[");
        for (size_t k = 0; k < e.items.size(); ++k) {
          if (k) out_.push_back(',');
          WriteDataset(e.items[k]);
        }
        out_.push_back(']');
      }
    } else if (e.bulk) {
      std::string base = options_.bulk_uri_base.empty() ? "bulk:" : options_.bulk_uri_base;
      char sep = base.find('?') == std::string::npos ? '?' : '&';
      std::string uri = e.bulk->offset >= 0 ? fmt::format("{}{}offset={}&length={}", base, sep,
                                                          e.bulk->offset, e.bulk->length)
                                            : fmt::format("{}{}tag={:08X}", base, sep, e.tag);
      out_.append(",\"BulkDataURI\":");
      AppendEscaped(&out_, uri);
    } else if (!e.binary.empty()) {
      out_.append(",\"InlineBinary\":");
      out_.push_back('"');
      AppendBase64(&out_, e.binary);
      out_.push_back('"');
    } else if (!e.numbers.empty()) {
      out_.append(",\"Value\":[");
      for (size_t k = 0; k < e.numbers.size(); ++k) {
        if (k) out_.push_back(',');
        if (e.vr == "AT") {
          AppendEscaped(&out_, e.numbers[k]);
        } else {
          out_.append(e.numbers[k]);
        }
      }
      out_.push_back(']');
    } else if (!e.strings.empty()) {
      WriteStrings(e);
    }
    out_.push_back('}');
  }

  void WriteStrings(const Element& e) {
    bool all_empty = true;
    for (const auto& s : e.strings) all_empty = all_empty && (!s || s->empty());
    if (all_empty) return;  // F.2.5: no Value
    bool is_int = e.vr == "IS", is_dec = e.vr == "DS";
    out_.append(",\"Value\":[");
    for (size_t k = 0; k < e.strings.size(); ++k) {
      if (k) out_.push_back(',');
      const auto& s = e.strings[k];
      if (!s || s->empty()) {
        out_.append("null");
      } else if (e.vr == "PN") {
        AppendPersonName(&out_, *s);
      } else if ((is_int || is_dec) && IsDecimalString(*s, is_int)) {
        out_.append(DecimalStringToJson(*s, is_int));
      } else {
        AppendEscaped(&out_, *s);
      }
    }
    out_.push_back(']');
  }

  const JsonOptions& options_;
  std::string out_;
  bool first_ = true;
};

}  // namespace

std::string ToDicomJson(const Dataset& meta, const Dataset& data, const JsonOptions& options) {
  Writer w(options);
  w.WriteMerged(meta, data);
  return w.Take();
}

}  // namespace dicomlake::dicom
