#include "fhir/imaging_study.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "common/percent_encoding.h"
#include "common/sha256.h"
#include "common/time_util.h"
#include "dicom/body_part.h"
#include "dicom/tags.h"
#include "dicom/values.h"

namespace dicomlake::fhir {
namespace {

using json = nlohmann::ordered_json;
using dicom::TagKey;
namespace tag = dicom::tag;

// --- Reading DICOM JSON -------------------------------------------------------------------

const json* Element(const json& ds, const TagKey& tag) {
  if (!ds.is_object()) return nullptr;
  auto it = ds.find(tag.json_key());
  return it == ds.end() ? nullptr : &*it;
}

const json* Values(const json& ds, const TagKey& tag) {
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
std::string Str(const json& ds, const TagKey& tag) {
  const json* v = Values(ds, tag);
  return v == nullptr ? "" : ValueText((*v)[0]);
}

// The first value of a text element exactly as stored ("" when absent, empty or not text): for
// the DICOM value parsers, which apply the padding rules of PS3.5 themselves.
std::string RawStr(const json& ds, const TagKey& tag) {
  const json* v = Values(ds, tag);
  return v == nullptr || !(*v)[0].is_string() ? "" : (*v)[0].get<std::string>();
}

// Every non-empty value of an element as text.
std::vector<std::string> Strs(const json& ds, const TagKey& tag) {
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
// DICOM JSON holds a valid IS as a number and an invalid one as text; both are read as IS text
// (dicom::ParseIntegerString), as bronze reads them.
bool UnsignedInt(const json& ds, const TagKey& tag, int64_t* out, bool* invalid) {
  const json* v = Values(ds, tag);
  *invalid = false;
  if (v == nullptr) return false;
  const json& x = (*v)[0];
  std::string text = x.is_number_float() ? x.dump() : ValueText(x);
  if (text.empty()) return false;
  std::optional<int64_t> n = dicom::ParseIntegerString(text);
  if (!n && x.is_number_float()) {  // "12.0" written by a DS-minded writer
    double d = x.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 2147483648.0)
      n = static_cast<int64_t>(d);
  }
  if (!n || *n < 0) {
    *invalid = true;
    return false;
  }
  *out = *n;
  return true;
}

const json* FirstItem(const json& ds, const TagKey& tag) {
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
  std::string code = Str(item, tag::kCodeValue);
  if (code.empty()) code = Str(item, tag::kLongCodeValue);  // Long Code Value
  if (code.empty()) code = Str(item, tag::kURNCodeValue);   // URN Code Value
  std::string meaning = Str(item, tag::kCodeMeaning);
  std::string system = CodingSchemeUri(Str(item, tag::kCodingSchemeDesignator));
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
  const TagKey& date_tag;
  const TagKey& time_tag;
};

// DA + TM (+ TimezoneOffsetFromUTC) as a FHIR dateTime; "" when there is no usable date. The
// values are read by the DICOM value layer, so `started` agrees with bronze's date and time
// columns of the same instance.
std::string MakeDateTime(const json& ds, const DateTimeParts& parts, const MappingOptions& options,
                         const std::string& where, std::vector<Issue>* issues,
                         bool* used_default_zone) {
  std::string da = RawStr(ds, parts.date_tag);
  std::string tm = RawStr(ds, parts.time_tag);
  if (dicom::TrimPadding(da).empty()) return "";
  std::optional<dicom::Date> date = dicom::ParseDate(da);
  if (!date) {
    issues->push_back({"Error", where + ": " + parts.date_tag.keyword() + " '" + da +
                                    "' is not a valid DICOM date; started left out"});
    return "";
  }
  std::string iso_date = dicom::FormatIsoDate(*date);
  if (dicom::TrimPadding(tm).empty()) return iso_date;
  std::optional<dicom::Time> time = dicom::ParseTime(tm);
  if (!time) {
    issues->push_back({"Error", where + ": time '" + tm +
                                    "' is not a valid DICOM time; only the "
                                    "date is kept"});
    return iso_date;
  }
  std::string prefix = iso_date + "T" + dicom::FormatIsoTime(*time);
  std::string offset = RawStr(ds, tag::kTimezoneOffsetFromUTC);
  if (std::optional<int> minutes = dicom::ParseUtcOffset(offset))
    return prefix + dicom::FormatIsoOffset(*minutes);
  if (!dicom::TrimPadding(offset).empty()) {
    issues->push_back({"Error", where + ": TimezoneOffsetFromUTC '" + offset +
                                    "' is not a valid offset; the default zone is used"});
  }
  *used_default_zone = true;
  return prefix + options.default_timezone;
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

std::string IssuerSystem(const std::string& raw) {
  std::string issuer = Trim(raw);
  if (dicom::IsValidUid(issuer)) return "urn:oid:" + issuer;
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

namespace {

// What the element groups of one study's mapping share.
struct Mapping {
  const StudyInput& input;
  const MappingOptions& options;
  std::string where;  // "study <uid> (namespace <ns>)", for messages
  MappedStudy* out;
  bool default_zone = false;  // a time without offset got the default zone

  void Error(const std::string& message) { out->issues.push_back({"Error", message}); }
};

// Parses every instance; an unreadable metadata document drops only that instance.
std::vector<Instance> ParseInstances(Mapping& m) {
  std::vector<Instance> instances;
  for (const auto& in : m.input.instances) {
    Instance inst;
    inst.ds = json::parse(in.metadata_json, nullptr, false);
    if (inst.ds.is_discarded() || !inst.ds.is_object()) {
      m.Error(m.where + ": the DICOM JSON of " + in.file_path +
              " cannot be read; the instance is left out");
      continue;
    }
    inst.source_modified_us = in.source_modified_us;
    inst.created_us = in.created_us;
    inst.sop_uid = Str(inst.ds, tag::kSOPInstanceUID);
    inst.series_uid = Str(inst.ds, tag::kSeriesInstanceUID);
    bool invalid = false;
    if (!UnsignedInt(inst.ds, tag::kInstanceNumber, &inst.number, &invalid)) inst.number = -1;
    m.out->last_updated_us =
        std::max({m.out->last_updated_us, in.source_modified_us, in.created_us});
    instances.push_back(std::move(inst));
  }
  return instances;
}

// identifier: the Study Instance UID and the accession number (with its issuer).
json Identifiers(Mapping& m, const json& study) {
  json identifiers = json::array();
  const std::string& uid = m.input.study_uid;
  if (uid.empty()) {
    m.Error(m.where + ": no StudyInstanceUID; the study has no DICOM identifier");
  } else if (!dicom::IsValidUid(uid)) {
    m.Error(m.where + ": StudyInstanceUID '" + uid + "' is not a valid UID; identifier left out");
  } else {
    identifiers.push_back({{"system", kDicomUidSystem}, {"value", "urn:oid:" + uid}});
  }
  std::string accession = Str(study, tag::kAccessionNumber);
  if (accession.empty()) return identifiers;
  json acsn = json::object();
  acsn["type"] = {
      {"coding", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/v2-0203"},
                               {"code", "ACSN"}}})}};
  if (const json* issuer = FirstItem(study, tag::kIssuerOfAccessionNumberSequence)) {
    std::string universal = Str(*issuer, tag::kUniversalEntityID);
    std::string local = Str(*issuer, tag::kLocalNamespaceEntityID);
    if (!universal.empty()) {
      acsn["system"] = IssuerSystem(universal);
    } else if (!local.empty()) {
      acsn["system"] = IssuerSystem(local);
    }
  }
  acsn["value"] = accession;
  identifiers.push_back(acsn);
  return identifiers;
}

// The instances by SeriesInstanceUID; instances without the UIDs FHIR requires are left out.
std::map<std::string, std::vector<const Instance*>> GroupBySeries(
    Mapping& m, const std::vector<Instance>& instances) {
  std::map<std::string, std::vector<const Instance*>> by_series;
  int64_t missing_series = 0, missing_sop = 0, bad_uid = 0;
  for (const auto& i : instances) {
    if (i.series_uid.empty()) {
      ++missing_series;
    } else if (i.sop_uid.empty()) {
      ++missing_sop;
    } else if (!dicom::IsValidUid(i.series_uid) || !dicom::IsValidUid(i.sop_uid)) {
      ++bad_uid;
    } else {
      by_series[i.series_uid].push_back(&i);
    }
  }
  auto count = [](int64_t n) { return std::to_string(n) + " instance(s) "; };
  if (missing_series > 0)
    m.Error(m.where + ": " + count(missing_series) + "without SeriesInstanceUID left out");
  if (missing_sop > 0)
    m.Error(m.where + ": " + count(missing_sop) + "without SOPInstanceUID left out");
  if (bad_uid > 0)
    m.Error(m.where + ": " + count(bad_uid) +
            "whose series or SOP instance UID is not a valid UID left out");
  return by_series;
}

// series.instance[]: uid, sopClass, number, title.
json MapInstance(Mapping& m, const Instance& i, const std::string& swhere) {
  json ji = json::object();
  ji["uid"] = i.sop_uid;
  std::string sop_class = Str(i.ds, tag::kSOPClassUID);
  if (dicom::IsValidUid(sop_class)) {
    ji["sopClass"] = {{"system", "urn:ietf:rfc:3986"}, {"code", "urn:oid:" + sop_class}};
  } else {
    ji["sopClass"] = {{"extension", DataAbsent()}};
    m.Error(swhere + " instance " + i.sop_uid +
            ": no valid SOPClassUID; sopClass carries data-absent-reason 'unknown'");
  }
  if (i.number >= 0) ji["number"] = i.number;
  // The title: Document Title, else the Concept Name of an SR, else the Image Type.
  std::string title = Str(i.ds, tag::kDocumentTitle);
  if (title.empty()) {
    if (const json* concept_name = FirstItem(i.ds, tag::kConceptNameCodeSequence))
      title = Str(*concept_name, tag::kCodeMeaning);
  }
  if (title.empty()) {
    for (const auto& t : Strs(i.ds, tag::kImageType)) title += (title.empty() ? "" : "\\") + t;
  }
  if (!title.empty()) ji["title"] = title;
  return ji;
}

// series.bodySite (SNOMED CT via PS3.16 Table L-1) and series.laterality.
void MapSeriesAnatomy(const json& sd, json* js) {
  std::string body_part = Str(sd, tag::kBodyPartExamined);
  if (!body_part.empty()) {
    if (auto site = dicom::BodyPartToSnomed(body_part)) {
      (*js)["bodySite"] = {
          {"system", kSnomedSystem}, {"code", site->code}, {"display", site->display}};
    } else {
      (*js)["bodySite"] = {{"display", body_part}};
    }
  }
  std::string laterality = Str(sd, tag::kLaterality);
  if (laterality.empty()) laterality = Str(sd, tag::kImageLaterality);
  static const std::map<std::string, std::pair<const char*, const char*>> kLaterality = {
      {"L", {"419161000", "Unilateral left"}},
      {"R", {"419465000", "Unilateral right"}},
      {"B", {"51440002", "Bilateral"}}};
  auto it = kLaterality.find(laterality);
  if (it != kLaterality.end()) {
    (*js)["laterality"] = {
        {"system", kSnomedSystem}, {"code", it->second.first}, {"display", it->second.second}};
  }
}

struct SeriesOut {
  json resource;
  int64_t number = -1;
  std::string uid;
};

// One series element from its instances (series-level values from the newest instance).
SeriesOut MapSeries(Mapping& m, const std::string& uid, std::vector<const Instance*> members,
                    std::set<std::string>* modalities) {
  std::sort(members.begin(), members.end(), [](const Instance* a, const Instance* b) {
    return ByNumberThenUid(*a, *b, a->sop_uid, b->sop_uid);
  });
  const Instance* latest = members.front();
  for (const Instance* i : members)
    if (Newer(*i, *latest)) latest = i;
  const json& sd = latest->ds;
  std::string swhere = m.where + " series " + uid;
  SeriesOut s;
  s.uid = uid;
  json& js = s.resource;
  js = json::object();
  js["uid"] = uid;
  bool invalid = false;
  if (UnsignedInt(sd, tag::kSeriesNumber, &s.number, &invalid)) {
    js["number"] = s.number;
  } else {
    s.number = -1;
    if (invalid)
      m.Error(swhere + ": SeriesNumber '" + Str(sd, tag::kSeriesNumber) +
              "' is not an unsigned integer; left out");
  }
  std::string modality = Str(sd, tag::kModality);
  if (IsFhirCode(modality)) {
    js["modality"] = {{"system", kDcmSystem}, {"code", modality}};
    modalities->insert(modality);
  } else {
    js["modality"] = {{"extension", DataAbsent()}};
    m.Error(swhere + ": no Modality; series.modality carries data-absent-reason 'unknown'");
  }
  std::string description = Str(sd, tag::kSeriesDescription);
  if (!description.empty()) js["description"] = description;
  js["numberOfInstances"] = static_cast<int64_t>(members.size());
  MapSeriesAnatomy(sd, &js);
  std::string started = MakeDateTime(sd, {tag::kSeriesDate, tag::kSeriesTime}, m.options, swhere,
                                     &m.out->issues, &m.default_zone);
  if (!started.empty()) js["started"] = started;
  json insts = json::array();
  for (const Instance* i : members) insts.push_back(MapInstance(m, *i, swhere));
  js["instance"] = std::move(insts);
  return s;
}

// subject: the patient identifier (IssuerOfPatientID, else the configured system, else the
// namespace) and PatientID.
json Subject(Mapping& m, const json& study) {
  std::string patient_id = Str(study, tag::kPatientID);
  if (patient_id.empty()) {
    m.Error(m.where + ": no PatientID; subject carries data-absent-reason 'unknown'");
    return {{"extension", DataAbsent()}};
  }
  std::string issuer = Str(study, tag::kIssuerOfPatientID);
  if (!issuer.empty()) {
    m.out->subject_system = IssuerSystem(issuer);
  } else if (!m.options.patient_identifier_system.empty()) {
    m.out->subject_system = m.options.patient_identifier_system;
  } else {
    m.out->subject_system = "urn:dicomlake:namespace:" + PercentEncode(m.input.namespace_name);
  }
  m.out->subject_value = patient_id;
  return {{"identifier", {{"system", m.out->subject_system}, {"value", patient_id}}}};
}

// The study-level elements after subject and started: referrer, interpreter, the counts,
// procedureCode, location, reasonCode, description.
void MapStudyDetails(const json& study, json* r) {
  std::string referrer = dicom::PersonNameDisplay(Str(study, tag::kReferringPhysicianName));
  if (!referrer.empty()) (*r)["referrer"] = {{"display", referrer}};
  json interpreters = json::array();
  for (const auto& pn : Strs(study, tag::kNameOfPhysiciansReadingStudy)) {
    std::string name = dicom::PersonNameDisplay(pn);
    if (!name.empty()) interpreters.push_back({{"display", name}});
  }
  if (!interpreters.empty()) (*r)["interpreter"] = interpreters;
}

void MapStudyContext(const json& study, json* r) {
  json procedures = json::array();
  if (const json* seq = Values(study, tag::kProcedureCodeSequence)) {
    for (const auto& item : *seq) {
      json cc = CodeItemToConcept(item);
      if (!cc.is_null()) procedures.push_back(cc);
    }
  }
  if (!procedures.empty()) (*r)["procedureCode"] = procedures;
  std::string department = Str(study, tag::kInstitutionalDepartmentName);
  if (!department.empty()) (*r)["location"] = {{"display", department}};
  std::string reason = Str(study, tag::kReasonForTheRequestedProcedure);
  if (!reason.empty()) (*r)["reasonCode"] = json::array({{{"text", reason}}});
  std::string description = Str(study, tag::kStudyDescription);
  if (!description.empty()) (*r)["description"] = description;
}

}  // namespace

MappedStudy MapStudy(const StudyInput& all, const MappingOptions& options) {
  MappedStudy out;
  // Deleted instances leave the resource, unless nothing else is left: then they give the
  // identity of a study marked entered-in-error.
  StudyInput kept;
  bool every_one_deleted = !all.instances.empty();
  for (const auto& in : all.instances) {
    out.last_updated_us = std::max(out.last_updated_us, in.operated_us);
    if (in.deleted) {
      out.last_updated_us = std::max({out.last_updated_us, in.source_modified_us, in.created_us});
    } else {
      every_one_deleted = false;
    }
  }
  bool some_deleted = false;
  for (const auto& in : all.instances) some_deleted = some_deleted || in.deleted;
  if (some_deleted && !every_one_deleted) {
    kept.namespace_name = all.namespace_name;
    kept.study_uid = all.study_uid;
    kept.group_key = all.group_key;
    for (const auto& in : all.instances)
      if (!in.deleted) kept.instances.push_back(in);
  }
  const StudyInput& input = some_deleted && !every_one_deleted ? kept : all;
  out.id = ResourceId(input.namespace_name, input.group_key);
  Mapping m{input, options,
            "study " + (input.study_uid.empty() ? input.group_key : input.study_uid) +
                " (namespace " + input.namespace_name + ")",
            &out};
  std::vector<Instance> instances = ParseInstances(m);
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
  json identifiers = Identifiers(m, study);
  if (!identifiers.empty()) r["identifier"] = identifiers;
  r["status"] = "available";

  std::vector<SeriesOut> series_list;
  std::set<std::string> modalities;
  int64_t total_instances = 0;
  for (auto& [uid, members] : GroupBySeries(m, instances)) {
    total_instances += static_cast<int64_t>(members.size());
    series_list.push_back(MapSeries(m, uid, members, &modalities));
  }
  std::sort(series_list.begin(), series_list.end(), [](const SeriesOut& a, const SeriesOut& b) {
    return ByNumberThenUid(a, b, a.uid, b.uid);
  });
  if (!modalities.empty()) {
    json mods = json::array();
    for (const auto& mod : modalities) mods.push_back({{"system", kDcmSystem}, {"code", mod}});
    r["modality"] = mods;
  }
  r["subject"] = Subject(m, study);
  std::string started = MakeDateTime(study, {tag::kStudyDate, tag::kStudyTime}, options, m.where,
                                     &out.issues, &m.default_zone);
  if (!started.empty()) r["started"] = started;
  if (m.default_zone) {
    out.issues.push_back({"Warning", m.where +
                                         ": a time without TimezoneOffsetFromUTC; the default "
                                         "zone " +
                                         options.default_timezone + " was assumed"});
  }
  MapStudyDetails(study, &r);
  r["numberOfSeries"] = static_cast<int64_t>(series_list.size());
  r["numberOfInstances"] = total_instances;
  MapStudyContext(study, &r);
  if (!series_list.empty()) {
    json series = json::array();
    for (auto& s : series_list) series.push_back(std::move(s.resource));
    r["series"] = std::move(series);
  }
  if (every_one_deleted) {
    r["status"] = "entered-in-error";
    r["extension"] = json::array({{{"url", kDeletedStateUrl}, {"valueString", "soft-deleted"}}});
    r.erase("modality");
    r.erase("series");
    r["numberOfSeries"] = 0;
    r["numberOfInstances"] = 0;
  }
  r["meta"] = {{"lastUpdated", FormatTimestampIso(out.last_updated_us, 3)}};
  out.resource = std::move(r);
  return out;
}

}  // namespace dicomlake::fhir
