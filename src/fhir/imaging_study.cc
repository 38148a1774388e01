#include "fhir/imaging_study.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include "common/sha256.h"
#include "common/time_util.h"

namespace dicomlake::fhir {
namespace {

using json = nlohmann::ordered_json;

// --- Reading DICOM JSON -------------------------------------------------------------------

const json* Element(const json& ds, const char* tag) {
  if (!ds.is_object()) return nullptr;
  auto it = ds.find(tag);
  return it == ds.end() ? nullptr : &*it;
}

const json* Values(const json& ds, const char* tag) {
  const json* e = Element(ds, tag);
  if (e == nullptr || !e->is_object()) return nullptr;
  auto it = e->find("Value");
  if (it == e->end() || !it->is_array() || it->empty()) return nullptr;
  return &*it;
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (std::isspace(static_cast<unsigned char>(s[b])) || s[b] == '\0')) ++b;
  while (e > b && (std::isspace(static_cast<unsigned char>(s[e - 1])) || s[e - 1] == '\0')) --e;
  return s.substr(b, e - b);
}

// A value as text: strings as they are, numbers printed, PN by its alphabetic group.
std::string ValueText(const json& v) {
  if (v.is_string()) return Trim(v.get<std::string>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return v.dump();
  if (v.is_object()) {
    auto it = v.find("Alphabetic");
    if (it != v.end() && it->is_string()) return Trim(it->get<std::string>());
  }
  return "";
}

// The first value of an element as text, "" when absent or empty.
std::string Str(const json& ds, const char* tag) {
  const json* v = Values(ds, tag);
  return v == nullptr ? "" : ValueText((*v)[0]);
}

// Every non-empty value of an element as text.
std::vector<std::string> Strs(const json& ds, const char* tag) {
  std::vector<std::string> out;
  const json* v = Values(ds, tag);
  if (v == nullptr) return out;
  for (const auto& x : *v) {
    std::string s = ValueText(x);
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

// An IS/US value as a non-negative integer (FHIR unsignedInt); false when absent or invalid.
bool UnsignedInt(const json& ds, const char* tag, int64_t* out, bool* invalid) {
  const json* v = Values(ds, tag);
  *invalid = false;
  if (v == nullptr) return false;
  const json& x = (*v)[0];
  int64_t n = 0;
  if (x.is_number_integer()) {
    n = x.get<int64_t>();
  } else if (x.is_number_float()) {
    double d = x.get<double>();
    if (d != static_cast<double>(static_cast<int64_t>(d))) {
      *invalid = true;
      return false;
    }
    n = static_cast<int64_t>(d);
  } else {
    std::string s = ValueText(x);
    if (s.empty()) return false;
    size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
    if (i == s.size() || s.size() > 12) {
      *invalid = true;
      return false;
    }
    for (size_t k = i; k < s.size(); ++k) {
      if (!std::isdigit(static_cast<unsigned char>(s[k]))) {
        *invalid = true;
        return false;
      }
    }
    n = std::stoll(s);
  }
  if (n < 0 || n > 2147483647) {
    *invalid = true;
    return false;
  }
  *out = n;
  return true;
}

const json* FirstItem(const json& ds, const char* tag) {
  const json* v = Values(ds, tag);
  return (v == nullptr || !(*v)[0].is_object()) ? nullptr : &(*v)[0];
}

// --- FHIR pieces -------------------------------------------------------------------------

json DataAbsent() {
  return json::array({{{"url", kDataAbsentReasonUrl}, {"valueCode", "unknown"}}});
}

// FHIR `code`: no leading/trailing whitespace, single inner spaces only.
bool IsFhirCode(const std::string& s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front())) ||
      std::isspace(static_cast<unsigned char>(s.back())))
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20) return false;
    if (std::isspace(c) && (c != ' ' || std::isspace(static_cast<unsigned char>(s[i + 1]))))
      return false;
  }
  return true;
}

// The system URI of a DICOM Coding Scheme Designator (PS3.16 Section 8), "" when unknown.
std::string CodingSchemeUri(const std::string& designator) {
  static const std::map<std::string, std::string> kSchemes = {
      {"DCM", kDcmSystem},
      {"SCT", kSnomedSystem},
      {"SRT", kSnomedSystem},
      {"SNM3", kSnomedSystem},
      {"LN", "http://loinc.org"},
      {"UCUM", "http://unitsofmeasure.org"},
      {"RADLEX", "http://www.radlex.org"},
      {"RADLEX PLAYBOOK", "http://www.radlex.org"},
      {"I10", "http://hl7.org/fhir/sid/icd-10"},
      {"ICD10", "http://hl7.org/fhir/sid/icd-10"},
      {"I9C", "http://hl7.org/fhir/sid/icd-9-cm"},
      {"CPT4", "http://www.ama-assn.org/go/cpt"},
      {"C4", "http://www.ama-assn.org/go/cpt"},
  };
  auto it = kSchemes.find(designator);
  return it == kSchemes.end() ? "" : it->second;
}

// A DICOM code sequence item (Code Value, Coding Scheme Designator, Code Meaning) as a
// CodeableConcept; null when the item has neither code nor meaning.
json CodeItemToConcept(const json& item) {
  std::string code = Str(item, "00080100");
  if (code.empty()) code = Str(item, "00080119");  // Long Code Value
  if (code.empty()) code = Str(item, "00080120");  // URN Code Value
  std::string meaning = Str(item, "00080104");
  std::string system = CodingSchemeUri(Str(item, "00080102"));
  if (code.empty() && meaning.empty()) return nullptr;
  json cc = json::object();
  if (!code.empty() && IsFhirCode(code)) {
    json coding = json::object();
    if (!system.empty()) coding["system"] = system;
    coding["code"] = code;
    if (!meaning.empty()) coding["display"] = meaning;
    cc["coding"] = json::array({coding});
  }
  if (!meaning.empty()) cc["text"] = meaning;
  return cc.empty() ? json(nullptr) : cc;
}

struct DateTimeParts {
  const char* date_tag;
  const char* time_tag;
  const char* what;  // "StudyDate" / "SeriesDate" for messages
};

// DA + TM (+ TimezoneOffsetFromUTC) as a FHIR dateTime; "" when there is no usable date.
std::string MakeDateTime(const json& ds, const DateTimeParts& parts, const MappingOptions& options,
                         const std::string& where, std::vector<Issue>* issues,
                         bool* used_default_zone) {
  std::string da = Str(ds, parts.date_tag);
  std::string tm = Str(ds, parts.time_tag);
  if (da.empty()) return "";
  std::string date, time;
  if (!DicomDateToFhir(da, &date)) {
    issues->push_back({"Error", where + ": " + parts.what + " '" + da +
                                    "' is not a valid DICOM date; started left out"});
    return "";
  }
  if (tm.empty()) return date;
  if (!DicomTimeToFhir(tm, &time)) {
    issues->push_back({"Error", where + ": time '" + tm +
                                    "' is not a valid DICOM time; only the "
                                    "date is kept"});
    return date;
  }
  std::string zone;
  std::string offset = Str(ds, "00080201");
  if (!offset.empty() && DicomOffsetToFhir(offset, &zone)) return date + "T" + time + zone;
  if (!offset.empty()) {
    issues->push_back({"Error", where + ": TimezoneOffsetFromUTC '" + offset +
                                    "' is not a valid offset; the default zone is used"});
  }
  *used_default_zone = true;
  return date + "T" + time + options.default_timezone;
}

bool Digits(const std::string& s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

int Num(const std::string& s, size_t pos, size_t n) { return std::stoi(s.substr(pos, n)); }

std::string PercentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct Instance {
  json ds;
  int64_t source_modified_us = 0;
  int64_t created_us = 0;
  std::string sop_uid;
  std::string series_uid;
  int64_t number = -1;
};

// Orders by (number, uid) with absent numbers last: the order a viewer shows.
template <typename T>
bool ByNumberThenUid(const T& a, const T& b, const std::string& ua, const std::string& ub) {
  int64_t na = a.number < 0 ? INT64_MAX : a.number, nb = b.number < 0 ? INT64_MAX : b.number;
  return na != nb ? na < nb : ua < ub;
}

bool Newer(const Instance& a, const Instance& b) {
  return std::make_pair(a.source_modified_us, a.created_us) >
         std::make_pair(b.source_modified_us, b.created_us);
}

}  // namespace

bool DicomDateToFhir(const std::string& raw, std::string* out) {
  std::string da = Trim(raw);
  std::string digits;
  if (da.size() == 8 && Digits(da, 0, 8)) {
    digits = da;
  } else if (da.size() == 10 && da[4] == '.' && da[7] == '.' && Digits(da, 0, 4) &&
             Digits(da, 5, 2) && Digits(da, 8, 2)) {
    digits = da.substr(0, 4) + da.substr(5, 2) + da.substr(8, 2);
  } else {
    return false;
  }
  int y = Num(digits, 0, 4), m = Num(digits, 4, 2), d = Num(digits, 6, 2);
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int max_day = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  if (d > max_day) return false;
  *out = digits.substr(0, 4) + "-" + digits.substr(4, 2) + "-" + digits.substr(6, 2);
  return true;
}

bool DicomTimeToFhir(const std::string& raw, std::string* out) {
  std::string tm = Trim(raw);
  // The old ACR-NEMA form "HH:MM:SS[.F]".
  if (tm.size() >= 5 && tm[2] == ':') {
    std::string compact;
    for (char c : tm)
      if (c != ':') compact += c;
    tm = compact;
  }
  std::string whole = tm, fraction;
  size_t dot = tm.find('.');
  if (dot != std::string::npos) {
    whole = tm.substr(0, dot);
    fraction = tm.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 6 || !Digits(fraction, 0, fraction.size()))
      return false;
    if (whole.size() != 6) return false;  // a fraction needs seconds
  }
  if (whole.size() != 2 && whole.size() != 4 && whole.size() != 6) return false;
  if (!Digits(whole, 0, whole.size())) return false;
  int h = Num(whole, 0, 2);
  int m = whole.size() >= 4 ? Num(whole, 2, 2) : 0;
  int s = whole.size() >= 6 ? Num(whole, 4, 2) : 0;
  if (h > 23 || m > 59 || s > 60) return false;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", h, m, s);
  *out = buf;
  if (!fraction.empty()) *out += "." + fraction;
  return true;
}

bool DicomOffsetToFhir(const std::string& raw, std::string* out) {
  std::string o = Trim(raw);
  if (o.size() != 5 || (o[0] != '+' && o[0] != '-') || !Digits(o, 1, 4)) return false;
  int h = Num(o, 1, 2), m = Num(o, 3, 2);
  if (m > 59) return false;
  int minutes = (h * 60 + m) * (o[0] == '-' ? -1 : 1);
  if (minutes < -12 * 60 || minutes > 14 * 60) return false;
  if (h > 13 && !(h == 14 && m == 0)) return false;  // FHIR allows up to 13:59, then 14:00
  *out = o.substr(0, 3) + ":" + o.substr(3, 2);
  return true;
}

bool IsValidUid(const std::string& uid) {
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

std::string PersonNameDisplay(const std::string& pn) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t caret = pn.find('^', start);
    parts.push_back(
        Trim(pn.substr(start, caret == std::string::npos ? std::string::npos : caret - start)));
    if (caret == std::string::npos) break;
    start = caret + 1;
  }
  parts.resize(5);
  std::string out;
  for (const std::string* p : {&parts[3], &parts[1], &parts[2], &parts[0], &parts[4]}) {
    if (p->empty()) continue;
    if (!out.empty()) out += ' ';
    out += *p;
  }
  return out;
}

std::string IssuerSystem(const std::string& raw) {
  std::string issuer = Trim(raw);
  if (IsValidUid(issuer)) return "urn:oid:" + issuer;
  // An absolute URI: scheme ":" rest, no whitespace.
  size_t colon = issuer.find(':');
  bool uri = colon != std::string::npos && colon > 0 &&
             std::isalpha(static_cast<unsigned char>(issuer[0])) && colon + 1 < issuer.size();
  for (size_t i = 0; uri && i < issuer.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(issuer[i]);
    if (std::isspace(c) || c < 0x21 || c > 0x7e) uri = false;
    if (i < colon && !(std::isalnum(c) || c == '+' || c == '-' || c == '.')) uri = false;
  }
  if (uri) return issuer;
  return "urn:dicomlake:issuer:" + PercentEncode(issuer);
}

std::string ResourceId(const std::string& namespace_name, const std::string& group_key) {
  return Sha256Hex(namespace_name + "/" + group_key);
}

void LinkSubject(json* resource, const std::string& patient_id) {
  json& subject = (*resource)["subject"];
  json linked = json::object();
  linked["reference"] = "Patient/" + patient_id;
  for (auto& [k, v] : subject.items())
    if (k != "reference" && k != "extension") linked[k] = v;
  subject = std::move(linked);
}

MappedStudy MapStudy(const StudyInput& input, const MappingOptions& options) {
  MappedStudy out;
  out.id = ResourceId(input.namespace_name, input.group_key);
  std::string where = "study " + (input.study_uid.empty() ? input.group_key : input.study_uid) +
                      " (namespace " + input.namespace_name + ")";
  auto& issues = out.issues;

  // Parse every instance; an unreadable metadata document drops only that instance.
  std::vector<Instance> instances;
  for (const auto& in : input.instances) {
    Instance inst;
    inst.ds = json::parse(in.metadata_json, nullptr, false);
    if (inst.ds.is_discarded() || !inst.ds.is_object()) {
      issues.push_back({"Error", where + ": the DICOM JSON of " + in.file_path +
                                     " cannot be read; the instance is left out"});
      continue;
    }
    inst.source_modified_us = in.source_modified_us;
    inst.created_us = in.created_us;
    inst.sop_uid = Str(inst.ds, "00080018");
    inst.series_uid = Str(inst.ds, "0020000E");
    bool invalid = false;
    if (!UnsignedInt(inst.ds, "00200013", &inst.number, &invalid)) inst.number = -1;
    out.last_updated_us = std::max({out.last_updated_us, in.source_modified_us, in.created_us});
    instances.push_back(std::move(inst));
  }
  // Study-level values come from the newest instance (Fabric takes the max sourceModifiedAt).
  const Instance* newest = nullptr;
  for (const auto& i : instances)
    if (newest == nullptr || Newer(i, *newest)) newest = &i;
  static const json kEmpty = json::object();
  const json& study = newest != nullptr ? newest->ds : kEmpty;

  json r = json::object();
  r["resourceType"] = "ImagingStudy";
  r["id"] = out.id;
  r["meta"] = {{"lastUpdated", FormatTimestampIso(out.last_updated_us, 3)}};

  json identifiers = json::array();
  if (input.study_uid.empty()) {
    issues.push_back({"Error", where + ": no StudyInstanceUID; the study has no DICOM identifier"});
  } else if (!IsValidUid(input.study_uid)) {
    issues.push_back({"Error", where + ": StudyInstanceUID '" + input.study_uid +
                                   "' is not a valid UID; identifier left out"});
  } else {
    identifiers.push_back({{"system", kDicomUidSystem}, {"value", "urn:oid:" + input.study_uid}});
  }
  std::string accession = Str(study, "00080050");
  if (!accession.empty()) {
    json acsn = json::object();
    acsn["type"] = {
        {"coding", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/v2-0203"},
                                 {"code", "ACSN"}}})}};
    const json* issuer = FirstItem(study, "00080051");
    if (issuer != nullptr) {
      std::string uid = Str(*issuer, "00400032");  // Universal Entity ID
      std::string local = Str(*issuer, "00400031");
      if (!uid.empty()) {
        acsn["system"] = IssuerSystem(uid);
      } else if (!local.empty()) {
        acsn["system"] = IssuerSystem(local);
      }
    }
    acsn["value"] = accession;
    identifiers.push_back(acsn);
  }
  if (!identifiers.empty()) r["identifier"] = identifiers;
  r["status"] = "available";

  // Series: grouped by SeriesInstanceUID; instances without the UIDs FHIR requires are left out.
  std::map<std::string, std::vector<const Instance*>> by_series;
  int64_t missing_series = 0, missing_sop = 0, bad_uid = 0;
  for (const auto& i : instances) {
    if (i.series_uid.empty()) {
      ++missing_series;
    } else if (i.sop_uid.empty()) {
      ++missing_sop;
    } else if (!IsValidUid(i.series_uid) || !IsValidUid(i.sop_uid)) {
      ++bad_uid;
    } else {
      by_series[i.series_uid].push_back(&i);
    }
  }
  if (missing_series > 0)
    issues.push_back({"Error", where + ": " + std::to_string(missing_series) +
                                   " instance(s) without SeriesInstanceUID left out"});
  if (missing_sop > 0)
    issues.push_back({"Error", where + ": " + std::to_string(missing_sop) +
                                   " instance(s) without SOPInstanceUID left out"});
  if (bad_uid > 0)
    issues.push_back({"Error", where + ": " + std::to_string(bad_uid) +
                                   " instance(s) whose series or SOP instance UID is not a valid "
                                   "UID left out"});

  struct SeriesOut {
    json resource;
    int64_t number = -1;
    std::string uid;
  };
  std::vector<SeriesOut> series_list;
  std::set<std::string> modalities;
  bool default_zone = false;
  int64_t total_instances = 0;
  for (auto& [uid, members] : by_series) {
    std::sort(members.begin(), members.end(), [](const Instance* a, const Instance* b) {
      return ByNumberThenUid(*a, *b, a->sop_uid, b->sop_uid);
    });
    const Instance* latest = members.front();
    for (const Instance* m : members)
      if (Newer(*m, *latest)) latest = m;
    const json& sd = latest->ds;
    std::string swhere = where + " series " + uid;
    SeriesOut s;
    s.uid = uid;
    json& js = s.resource;
    js = json::object();
    js["uid"] = uid;
    bool invalid = false;
    if (UnsignedInt(sd, "00200011", &s.number, &invalid)) {
      js["number"] = s.number;
    } else {
      s.number = -1;
      if (invalid)
        issues.push_back({"Error", swhere + ": SeriesNumber '" + Str(sd, "00200011") +
                                       "' is not an unsigned integer; left out"});
    }
    std::string modality = Str(sd, "00080060");
    if (IsFhirCode(modality)) {
      js["modality"] = {{"system", kDcmSystem}, {"code", modality}};
      modalities.insert(modality);
    } else {
      js["modality"] = {{"extension", DataAbsent()}};
      issues.push_back({"Error", swhere + ": no Modality; series.modality carries data-absent-"
                                          "reason 'unknown'"});
    }
    std::string description = Str(sd, "0008103E");
    if (!description.empty()) js["description"] = description;
    js["numberOfInstances"] = static_cast<int64_t>(members.size());
    std::string body_part = Str(sd, "00180015");
    if (!body_part.empty()) {
      std::string code, display;
      if (BodyPartToSnomed(body_part, &code, &display)) {
        js["bodySite"] = {{"system", kSnomedSystem}, {"code", code}, {"display", display}};
      } else {
        js["bodySite"] = {{"display", body_part}};
      }
    }
    std::string laterality = Str(sd, "00200060");
    if (laterality.empty()) laterality = Str(sd, "00200062");  // Image Laterality
    if (laterality == "L") {
      js["laterality"] = {
          {"system", kSnomedSystem}, {"code", "419161000"}, {"display", "Unilateral left"}};
    } else if (laterality == "R") {
      js["laterality"] = {
          {"system", kSnomedSystem}, {"code", "419465000"}, {"display", "Unilateral right"}};
    } else if (laterality == "B") {
      js["laterality"] = {
          {"system", kSnomedSystem}, {"code", "51440002"}, {"display", "Bilateral"}};
    }
    std::string started = MakeDateTime(sd, {"00080021", "00080031", "SeriesDate"}, options, swhere,
                                       &issues, &default_zone);
    if (!started.empty()) js["started"] = started;
    json insts = json::array();
    for (const Instance* m : members) {
      json ji = json::object();
      ji["uid"] = m->sop_uid;
      std::string sop_class = Str(m->ds, "00080016");
      if (IsValidUid(sop_class)) {
        ji["sopClass"] = {{"system", "urn:ietf:rfc:3986"}, {"code", "urn:oid:" + sop_class}};
      } else {
        ji["sopClass"] = {{"extension", DataAbsent()}};
        issues.push_back({"Error", swhere + " instance " + m->sop_uid +
                                       ": no valid SOPClassUID; sopClass carries data-absent-"
                                       "reason 'unknown'"});
      }
      if (m->number >= 0) ji["number"] = m->number;
      std::string title = Str(m->ds, "00420010");  // Document Title
      if (title.empty()) {
        const json* concept_name = FirstItem(m->ds, "0040A043");  // Concept Name Code Sequence
        if (concept_name != nullptr) title = Str(*concept_name, "00080104");
      }
      if (title.empty()) {
        std::vector<std::string> type = Strs(m->ds, "00080008");  // Image Type
        for (const auto& t : type) title += (title.empty() ? "" : "\\") + t;
      }
      if (!title.empty()) ji["title"] = title;
      insts.push_back(std::move(ji));
    }
    total_instances += static_cast<int64_t>(members.size());
    js["instance"] = std::move(insts);
    series_list.push_back(std::move(s));
  }
  std::sort(series_list.begin(), series_list.end(), [](const SeriesOut& a, const SeriesOut& b) {
    return ByNumberThenUid(a, b, a.uid, b.uid);
  });

  if (!modalities.empty()) {
    json mods = json::array();
    for (const auto& m : modalities) mods.push_back({{"system", kDcmSystem}, {"code", m}});
    r["modality"] = mods;
  }

  // Subject: the patient identifier (IssuerOfPatientID, else the configured system, else the
  // namespace) and PatientID.
  std::string patient_id = Str(study, "00100020");
  if (!patient_id.empty()) {
    std::string issuer = Str(study, "00100021");
    if (!issuer.empty()) {
      out.subject_system = IssuerSystem(issuer);
    } else if (!options.patient_identifier_system.empty()) {
      out.subject_system = options.patient_identifier_system;
    } else {
      out.subject_system = "urn:dicomlake:namespace:" + PercentEncode(input.namespace_name);
    }
    out.subject_value = patient_id;
    r["subject"] = {{"identifier", {{"system", out.subject_system}, {"value", patient_id}}}};
  } else {
    r["subject"] = {{"extension", DataAbsent()}};
    issues.push_back({"Error", where + ": no PatientID; subject carries data-absent-reason "
                                       "'unknown'"});
  }

  std::string started = MakeDateTime(study, {"00080020", "00080030", "StudyDate"}, options, where,
                                     &issues, &default_zone);
  if (!started.empty()) r["started"] = started;
  if (default_zone) {
    issues.push_back({"Warning", where +
                                     ": a time without TimezoneOffsetFromUTC; the default "
                                     "zone " +
                                     options.default_timezone + " was assumed"});
  }
  std::string referrer = PersonNameDisplay(Str(study, "00080090"));
  if (!referrer.empty()) r["referrer"] = {{"display", referrer}};
  json interpreters = json::array();
  for (const auto& pn : Strs(study, "00081060")) {
    std::string name = PersonNameDisplay(pn);
    if (!name.empty()) interpreters.push_back({{"display", name}});
  }
  if (!interpreters.empty()) r["interpreter"] = interpreters;
  r["numberOfSeries"] = static_cast<int64_t>(series_list.size());
  r["numberOfInstances"] = total_instances;
  json procedures = json::array();
  if (const json* seq = Values(study, "00081032")) {
    for (const auto& item : *seq) {
      json cc = CodeItemToConcept(item);
      if (!cc.is_null()) procedures.push_back(cc);
    }
  }
  if (!procedures.empty()) r["procedureCode"] = procedures;
  std::string department = Str(study, "00081040");
  if (!department.empty()) r["location"] = {{"display", department}};
  std::string reason = Str(study, "00401002");
  if (!reason.empty()) r["reasonCode"] = json::array({{{"text", reason}}});
  std::string description = Str(study, "00081030");
  if (!description.empty()) r["description"] = description;
  if (!series_list.empty()) {
    json series = json::array();
    for (auto& s : series_list) series.push_back(std::move(s.resource));
    r["series"] = std::move(series);
  }
  out.resource = std::move(r);
  return out;
}

}  // namespace dicomlake::fhir
