#include "serve/qido.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "dicom/dcmtk_dictionary.h"

namespace dicomlake::serve {
namespace {

// What each level keeps. Values of computed attributes are made by the catalog; the others are
// read from each instance's stored DICOM JSON (a study's and a series' from their first
// instance).
const std::vector<LevelAttribute> kAttributes = {
    // Study (PS3.18 Table 10.6.3-3) and the patient attributes it carries
    {"00080020", "DA", Level::kStudy, false},  // StudyDate
    {"00080030", "TM", Level::kStudy, false},  // StudyTime
    {"00080050", "SH", Level::kStudy, false},  // AccessionNumber
    {"00080056", "CS", Level::kStudy, true},   // InstanceAvailability
    {"00080061", "CS", Level::kStudy, true},   // ModalitiesInStudy
    {"00080062", "UI", Level::kStudy, true},   // SOPClassesInStudy
    {"00080090", "PN", Level::kStudy, false},  // ReferringPhysicianName
    {"00080201", "SH", Level::kStudy, false},  // TimezoneOffsetFromUTC
    {"00081030", "LO", Level::kStudy, false},  // StudyDescription
    {"00081190", "UR", Level::kStudy, true},   // RetrieveURL
    {"00100010", "PN", Level::kStudy, false},  // PatientName
    {"00100020", "LO", Level::kStudy, false},  // PatientID
    {"00100021", "LO", Level::kStudy, false},  // IssuerOfPatientID
    {"00100030", "DA", Level::kStudy, false},  // PatientBirthDate
    {"00100040", "CS", Level::kStudy, false},  // PatientSex
    {"0020000D", "UI", Level::kStudy, false},  // StudyInstanceUID
    {"00200010", "SH", Level::kStudy, false},  // StudyID
    {"00201206", "IS", Level::kStudy, true},   // NumberOfStudyRelatedSeries
    {"00201208", "IS", Level::kStudy, true},   // NumberOfStudyRelatedInstances
    // Series (Table 10.6.3-4)
    {"00080021", "DA", Level::kSeries, false},  // SeriesDate
    {"00080031", "TM", Level::kSeries, false},  // SeriesTime
    {"00080060", "CS", Level::kSeries, false},  // Modality
    {"0008103E", "LO", Level::kSeries, false},  // SeriesDescription
    {"00180015", "CS", Level::kSeries, false},  // BodyPartExamined
    {"0020000E", "UI", Level::kSeries, false},  // SeriesInstanceUID
    {"00200011", "IS", Level::kSeries, false},  // SeriesNumber
    {"00200060", "CS", Level::kSeries, false},  // Laterality
    {"00201209", "IS", Level::kSeries, true},   // NumberOfSeriesRelatedInstances
    {"00400244", "DA", Level::kSeries, false},  // PerformedProcedureStepStartDate
    {"00400245", "TM", Level::kSeries, false},  // PerformedProcedureStepStartTime
    // Instance (Table 10.6.3-5)
    {"00080008", "CS", Level::kInstance, false},  // ImageType
    {"00080016", "UI", Level::kInstance, false},  // SOPClassUID
    {"00080018", "UI", Level::kInstance, false},  // SOPInstanceUID
    {"00080023", "DA", Level::kInstance, false},  // ContentDate
    {"00080033", "TM", Level::kInstance, false},  // ContentTime
    {"00200013", "IS", Level::kInstance, false},  // InstanceNumber
    {"00280008", "IS", Level::kInstance, false},  // NumberOfFrames
    {"00280010", "US", Level::kInstance, false},  // Rows
    {"00280011", "US", Level::kInstance, false},  // Columns
    {"00280100", "US", Level::kInstance, false},  // BitsAllocated
};

// A UTF-8 string as code points (invalid bytes stand for themselves).
std::u32string CodePoints(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + n > s.size()) n = 1;
    char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

char32_t FoldCodePoint(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;     // Latin-1
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;  // Greek
  if (c >= 0x410 && c <= 0x42F) return c + 32;                // Cyrillic А..Я
  if (c >= 0x400 && c <= 0x40F) return c + 80;                // Cyrillic Ѐ..Џ
  return c;
}

// `*` any run of characters, `?` exactly one.
bool Wildcard(const std::u32string& pattern, const std::u32string& text) {
  size_t p = 0, t = 0, star = std::u32string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == U'?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == U'*') {
      star = p++;
      mark = t;
    } else if (star != std::u32string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == U'*') ++p;
  return p == pattern.size();
}

std::vector<std::string> Split(const std::string& s, const std::string& separators) {
  std::vector<std::string> out;
  std::string current;
  for (char c : s) {
    if (separators.find(c) != std::string::npos) {
      out.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  out.push_back(current);
  return out;
}

// A DA/TM/DT value or bound in a form that sorts as time does. `upper` fills what the bound
// leaves out with its largest value, so that "-1200" includes 12:00:59.
std::string Normalised(const std::string& vr, const std::string& value, bool upper) {
  std::string v = value;
  v.erase(std::remove(v.begin(), v.end(), ' '), v.end());
  if (vr == "DA") {
    v.erase(std::remove(v.begin(), v.end(), '.'), v.end());  // ACR-NEMA 2020.01.31
    const std::string fill = upper ? "99991231" : "00000101";
    return v.size() >= 8 ? v.substr(0, 8) : v + fill.substr(v.size());
  }
  std::string frac;
  if (vr == "DT") {
    const size_t zone = v.find_first_of("+-", 4);
    if (zone != std::string::npos) v.resize(zone);  // offsets are not compared
  }
  const size_t dot = v.find('.');
  if (dot != std::string::npos) {
    frac = v.substr(dot + 1);
    v.resize(dot);
  }
  v.erase(std::remove(v.begin(), v.end(), ':'), v.end());
  const std::string fill =
      vr == "TM" ? (upper ? "235959" : "000000") : (upper ? "99991231235959" : "00000101000000");
  if (v.size() < fill.size()) v += fill.substr(v.size());
  const bool had_fraction = dot != std::string::npos;
  if (!had_fraction) frac.clear();
  frac.resize(6, upper ? '9' : '0');
  return v.substr(0, fill.size()) + "." + frac;
}

bool MatchDateTime(const std::string& vr, const std::string& query, const std::string& value) {
  const size_t dash = query.find('-');
  if (dash == std::string::npos) {
    return Normalised(vr, value, false) >= Normalised(vr, query, false) &&
           Normalised(vr, value, false) <= Normalised(vr, query, true);
  }
  const std::string lo = query.substr(0, dash), hi = query.substr(dash + 1);
  const std::string v = Normalised(vr, value, false);
  if (!lo.empty() && v < Normalised(vr, lo, false)) return false;
  if (!hi.empty() && v > Normalised(vr, hi, true)) return false;
  return true;
}

bool FuzzyName(const std::u32string& query, const std::u32string& name) {
  auto words = [](const std::u32string& s) {
    std::vector<std::u32string> out;
    std::u32string w;
    for (char32_t c : s) {
      if (c == U'^' || c == U' ' || c == U'=' || c == U',' || c == U'*') {
        if (!w.empty()) out.push_back(w);
        w.clear();
      } else {
        w.push_back(c);
      }
    }
    if (!w.empty()) out.push_back(w);
    return out;
  };
  const auto name_words = words(name);
  for (const auto& q : words(query)) {
    bool found = false;
    for (const auto& n : name_words)
      if (n.compare(0, q.size(), q) == 0) found = true;
    if (!found) return false;
  }
  return true;
}

bool MatchOne(const std::string& vr, const std::string& query, const std::string& value,
              bool fuzzy) {
  if (vr == "DA" || vr == "TM" || vr == "DT") return MatchDateTime(vr, query, value);
  const bool person = vr == "PN";
  const bool wildcard = query.find_first_of("*?") != std::string::npos;
  // Names are matched without regard to case, and so is any value against a wildcard pattern
  // (what users type in a viewer's search box; Orthanc does the same). Exact matching of other
  // values is case-sensitive, as PS3.4 C.2.2.2.1 says.
  const bool fold = person || wildcard;
  const std::u32string q = CodePoints(fold ? FoldCase(query) : query);
  const std::u32string v = CodePoints(fold ? FoldCase(value) : value);
  if (person && fuzzy && FuzzyName(q, v)) return true;
  // Trailing `^` of empty name components are not part of the name.
  std::u32string trimmed = v;
  while (person && !trimmed.empty() && trimmed.back() == U'^') trimmed.pop_back();
  if (wildcard) return Wildcard(q, trimmed);
  std::u32string qt = q;
  while (person && !qt.empty() && qt.back() == U'^') qt.pop_back();
  return qt == trimmed;
}

// VRs whose values never hold a comma: a comma in their query separates values, as `\` does
// (PS3.18 8.3.4.1 lists; what Orthanc takes). In text VRs a comma is part of the value.
bool CommaSeparates(const std::string& vr) {
  return vr == "UI" || vr == "CS" || vr == "DA" || vr == "TM" || vr == "DT" || vr == "IS" ||
         vr == "DS" || vr == "AE" || vr == "US" || vr == "UL" || vr == "SS" || vr == "SL";
}

}  // namespace

const std::vector<LevelAttribute>& CatalogAttributes() { return kAttributes; }

const LevelAttribute* FindCatalogAttribute(const std::string& key) {
  for (const auto& a : kAttributes)
    if (key == a.key) return &a;
  return nullptr;
}

std::string FoldCase(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : CodePoints(text)) AppendUtf8(FoldCodePoint(c), &out);
  return out;
}

bool MatchValues(const std::string& vr, const std::string& query,
                 const std::vector<std::string>& values, bool fuzzy) {
  if (query.empty() || query == "*") return true;
  const std::vector<std::string> alternatives = Split(query, CommaSeparates(vr) ? "\\," : "\\");
  for (const auto& value : values) {
    if (value.empty()) continue;
    for (const auto& q : alternatives) {
      if (q.empty()) continue;
      if (vr == "UI" ? q == value : MatchOne(vr, q, value, fuzzy)) return true;
    }
  }
  return false;
}

Result<QidoQuery> ParseQidoQuery(Level level,
                                 const std::vector<std::pair<std::string, std::string>>& params) {
  QidoQuery q;
  q.level = level;
  auto number = [](const std::string& name, const std::string& text) -> Result<int64_t> {
    char* end = nullptr;
    const long long n = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || n < 0)
      return InvalidArgument(name + " must be a whole number of 0 or more, not '" + text + "'");
    return static_cast<int64_t>(n);
  };
  for (const auto& [name, value] : params) {
    if (name == "limit") {
      DL_ASSIGN_OR_RETURN(q.limit, number(name, value));
    } else if (name == "offset") {
      DL_ASSIGN_OR_RETURN(q.offset, number(name, value));
    } else if (name == "fuzzymatching") {
      if (value != "true" && value != "false")
        return InvalidArgument("fuzzymatching must be true or false, not '" + value + "'");
      q.fuzzy = value == "true";
    } else if (name == "includefield") {
      for (const std::string& field : Split(value, ",")) {
        if (field == "all") {
          q.include_all = true;
          continue;
        }
        if (field.empty()) continue;
        auto a = dicom::LookupAttribute(field);
        if (!a.ok()) {
          // Private tags and attributes the dictionary lacks, by their eight hex digits.
          const bool hex = field.size() == 8 && std::all_of(field.begin(), field.end(), [](char c) {
                             return std::isxdigit(static_cast<unsigned char>(c)) != 0;
                           });
          if (!hex) return InvalidArgument("includefield: unknown attribute '" + field + "'");
          std::string key = field;
          for (char& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          q.include.push_back(key);
          continue;
        }
        q.include.push_back(a->json_key);
      }
    } else if (name.find('.') != std::string::npos) {
      q.ignored.push_back(name);  // sequence matching (PS3.18 8.3.4.1) is not supported
    } else {
      auto a = dicom::LookupAttribute(name);
      if (!a.ok()) return InvalidArgument("unknown query parameter '" + name + "'");
      MatchKey key{a->json_key, a->vr, value};
      if (const LevelAttribute* known = FindCatalogAttribute(a->json_key)) key.vr = known->vr;
      if (key.vr.empty()) key.vr = "LO";
      q.keys.push_back(std::move(key));
    }
  }
  return q;
}

}  // namespace dicomlake::serve
