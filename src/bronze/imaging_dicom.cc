#include "bronze/imaging_dicom.h"

#include <fmt/format.h>
#include <cctype>
#include <cstdio>

#include "common/time_util.h"

namespace dicomlake::bronze {
namespace {

using dicom::Tag;
using lake::DataType;
using lake::Value;

enum class Kind { kString, kPersonName, kDate, kTime, kInteger, kList };

struct PromotedSpec {
  const char* column;
  uint32_t tag;
  Kind kind;
  const char* keyword;  // DICOM keyword, for warnings
};

// Fabric's promoted tags (reference/hds-imaging-facts.md section 3.1), the three UIDs first.
const PromotedSpec kPromoted[] = {
    {"studyInstanceUid", Tag(0x0020, 0x000D), Kind::kString, "StudyInstanceUID"},
    {"seriesInstanceUid", Tag(0x0020, 0x000E), Kind::kString, "SeriesInstanceUID"},
    {"sopInstanceUid", Tag(0x0008, 0x0018), Kind::kString, "SOPInstanceUID"},
    {"patientName", Tag(0x0010, 0x0010), Kind::kPersonName, "PatientName"},
    {"patientSex", Tag(0x0010, 0x0040), Kind::kString, "PatientSex"},
    {"patientId", Tag(0x0010, 0x0020), Kind::kString, "PatientID"},
    {"patientBirthDate", Tag(0x0010, 0x0030), Kind::kDate, "PatientBirthDate"},
    {"accessionNumber", Tag(0x0008, 0x0050), Kind::kString, "AccessionNumber"},
    {"referringPhysicianName", Tag(0x0008, 0x0090), Kind::kPersonName, "ReferringPhysicianName"},
    {"studyDate", Tag(0x0008, 0x0020), Kind::kDate, "StudyDate"},
    {"studyDescription", Tag(0x0008, 0x1030), Kind::kString, "StudyDescription"},
    {"modality", Tag(0x0008, 0x0060), Kind::kString, "Modality"},
    {"modalitiesInStudy", Tag(0x0008, 0x0061), Kind::kList, "ModalitiesInStudy"},
    {"performedProcedureStepStartDate", Tag(0x0040, 0x0244), Kind::kDate,
     "PerformedProcedureStepStartDate"},
    {"manufacturerModelName", Tag(0x0008, 0x1090), Kind::kString, "ManufacturerModelName"},
    {"studyTime", Tag(0x0008, 0x0030), Kind::kTime, "StudyTime"},
    {"timezoneOffsetFromUtc", Tag(0x0008, 0x0201), Kind::kString, "TimezoneOffsetFromUTC"},
    {"numberOfStudyRelatedSeries", Tag(0x0020, 0x1206), Kind::kInteger,
     "NumberOfStudyRelatedSeries"},
    {"numberOfStudyRelatedInstances", Tag(0x0020, 0x1208), Kind::kInteger,
     "NumberOfStudyRelatedInstances"},
    {"seriesNumber", Tag(0x0020, 0x0011), Kind::kInteger, "SeriesNumber"},
    {"seriesDescription", Tag(0x0008, 0x103E), Kind::kString, "SeriesDescription"},
    {"numberOfSeriesRelatedInstances", Tag(0x0020, 0x1209), Kind::kInteger,
     "NumberOfSeriesRelatedInstances"},
    {"bodyPartExamined", Tag(0x0018, 0x0015), Kind::kString, "BodyPartExamined"},
    {"laterality", Tag(0x0020, 0x0060), Kind::kString, "Laterality"},
    {"seriesDate", Tag(0x0008, 0x0021), Kind::kDate, "SeriesDate"},
    {"seriesTime", Tag(0x0008, 0x0031), Kind::kTime, "SeriesTime"},
    {"sopClassUid", Tag(0x0008, 0x0016), Kind::kString, "SOPClassUID"},
    {"instanceNumber", Tag(0x0020, 0x0013), Kind::kInteger, "InstanceNumber"},
    {"documentTitle", Tag(0x0042, 0x0010), Kind::kString, "DocumentTitle"},
};

DataType TypeOf(Kind kind) {
  switch (kind) {
    case Kind::kDate:
      return DataType::Primitive(DataType::Kind::kDate);
    case Kind::kInteger:
      return DataType::Primitive(DataType::Kind::kInteger);
    case Kind::kList:
      return DataType::Array(DataType::Primitive(DataType::Kind::kString));
    default:
      return DataType::Primitive(DataType::Kind::kString);
  }
}

bool AllDigits(const std::string& s, size_t from, size_t n) {
  if (from + n > s.size()) return false;
  for (size_t k = from; k < from + n; ++k) {
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return false;
  }
  return true;
}

std::string Tag8(uint32_t tag) { return fmt::format("({:04X},{:04X})", tag >> 16, tag & 0xFFFF); }

Value Promote(const PromotedSpec& spec, const dicom::Dataset& data,
              std::vector<std::string>* warnings) {
  const dicom::Element* e = data.Find(spec.tag);
  if (e == nullptr || e->strings.empty()) return Value::Null();
  const auto& first = e->strings[0];
  switch (spec.kind) {
    case Kind::kList: {
      std::vector<Value> items;
      for (const auto& s : e->strings) items.push_back(s ? Value::String(*s) : Value::Null());
      return Value::List(std::move(items));
    }
    case Kind::kPersonName: {
      if (!first) return Value::Null();
      // The alphabetic component group (ARCHITECTURE section 3).
      std::string alphabetic = first->substr(0, first->find('='));
      return alphabetic.empty() ? Value::Null() : Value::String(alphabetic);
    }
    case Kind::kDate: {
      int64_t days = 0;
      if (!first) return Value::Null();
      if (ParseDicomDate(*first, &days)) return Value::Date(days);
      warnings->push_back(
          fmt::format("{} {} \"{}\" is not a valid date", spec.keyword, Tag8(spec.tag), *first));
      return Value::Null();
    }
    case Kind::kTime: {
      std::string t;
      if (!first) return Value::Null();
      if (ParseDicomTime(*first, &t)) return Value::String(t);
      warnings->push_back(
          fmt::format("{} {} \"{}\" is not a valid time", spec.keyword, Tag8(spec.tag), *first));
      return Value::Null();
    }
    case Kind::kInteger: {
      int64_t v = 0;
      if (!first) return Value::Null();
      if (ParseDicomInteger(*first, &v)) return Value::Int(v);
      warnings->push_back(
          fmt::format("{} {} \"{}\" is not a valid integer", spec.keyword, Tag8(spec.tag), *first));
      return Value::Null();
    }
    case Kind::kString:
      return first ? Value::String(*first) : Value::Null();
  }
  return Value::Null();
}

}  // namespace

bool ParseDicomDate(const std::string& da, int64_t* days) {
  std::string s = da;
  if (s.size() == 10 && s[4] == '.' && s[7] == '.')
    s = s.substr(0, 4) + s.substr(5, 2) + s.substr(8, 2);
  if (s.size() != 8 || !AllDigits(s, 0, 8)) return false;
  int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(4, 2)), d = std::stoi(s.substr(6, 2));
  if (m < 1 || m > 12 || d < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDays[m - 1] + (m == 2 && leap ? 1 : 0)) return false;
  *days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

bool ParseDicomTime(const std::string& tm, std::string* out) {
  std::string s;
  for (char c : tm) {
    if (c != ':') s += c;  // ACR-NEMA "HH:MM:SS"
  }
  if (s.size() < 2 || !AllDigits(s, 0, 2)) return false;
  int h = std::stoi(s.substr(0, 2)), m = 0, sec = 0;
  size_t pos = 2;
  if (s.size() >= 4 && AllDigits(s, 2, 2)) {
    m = std::stoi(s.substr(2, 2));
    pos = 4;
    if (s.size() >= 6 && AllDigits(s, 4, 2)) {
      sec = std::stoi(s.substr(4, 2));
      pos = 6;
    }
  }
  std::string frac;
  if (pos < s.size()) {
    if (s[pos] != '.' || pos != 6) return false;
    frac = s.substr(pos + 1);
    if (frac.empty() || frac.size() > 6 || !AllDigits(frac, 0, frac.size())) return false;
  }
  if (h > 23 || m > 59 || sec > 60) return false;
  frac.resize(6, '0');
  *out = fmt::format("{:02}:{:02}:{:02}.{}", h, m, sec, frac);
  return true;
}

bool ParseDicomInteger(const std::string& is, int64_t* out) {
  size_t b = is.find_first_not_of(' ');
  if (b == std::string::npos) return false;
  size_t e = is.find_last_not_of(' ');
  std::string s = is.substr(b, e - b + 1);
  size_t k = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  if (k >= s.size() || s.size() > 12 || !AllDigits(s, k, s.size() - k)) return false;
  int64_t v = std::stoll(s);
  if (v < INT32_MIN || v > INT32_MAX) return false;  // IS is a 32-bit integer (PS3.5 6.2)
  *out = v;
  return true;
}

lake::Schema ImagingDicomSchema() {
  lake::Schema s;
  for (const auto& p : kPromoted) s.fields.push_back(lake::MakeField(p.column, TypeOf(p.kind)));
  for (auto f : {lake::StringField("metadata_string"), lake::StringField("filePath"),
                 lake::StringField("sourceFilePath"), lake::StringField("archiveMember"),
                 lake::StringField("inventoryFilePath"), lake::TimestampField("sourceModifiedAt"),
                 lake::StringField("sourceSystem"), lake::LongField("fileSize"),
                 lake::StringField("contentHash"), lake::StringField("transferSyntaxUid"),
                 lake::MakeField("parseWarnings",
                                 DataType::Array(DataType::Primitive(DataType::Kind::kString))),
                 lake::StringField("runId"), lake::TimestampField("createdDatetime"),
                 lake::StringField("operation")}) {
    s.fields.push_back(std::move(f));
  }
  return s;
}

Promoted PromoteTags(const dicom::Dataset& data, std::vector<std::string>* warnings) {
  Promoted p;
  for (const auto& spec : kPromoted) {
    p.values.push_back(Promote(spec, data, warnings));
    bool is_uid = spec.column == std::string("studyInstanceUid") ||
                  spec.column == std::string("seriesInstanceUid") ||
                  spec.column == std::string("sopInstanceUid");
    if (is_uid && p.values.back().is_null()) {
      warnings->push_back(fmt::format("{} {} is missing", spec.keyword, Tag8(spec.tag)));
    }
  }
  return p;
}

lake::Row MakeImagingDicomRow(const dicom::Dataset& data, const std::string& metadata_json,
                              const std::string& transfer_syntax_uid,
                              std::vector<std::string> warnings, const FileFacts& f) {
  Promoted p = PromoteTags(data, &warnings);
  lake::Row row = std::move(p.values);
  auto text = [](const std::string& s) { return s.empty() ? Value::Null() : Value::String(s); };
  std::vector<Value> warning_values;
  for (auto& w : warnings) warning_values.push_back(Value::String(std::move(w)));
  row.push_back(Value::String(metadata_json));
  row.push_back(text(f.file_path));
  row.push_back(text(f.source_file_path));
  row.push_back(text(f.archive_member));
  row.push_back(text(f.inventory_file_path));
  row.push_back(Value::Timestamp(f.source_modified_us));
  row.push_back(text(f.source_system));
  row.push_back(Value::Int(f.file_size));
  row.push_back(text(f.content_hash));
  row.push_back(text(transfer_syntax_uid));
  row.push_back(Value::List(std::move(warning_values)));
  row.push_back(text(f.run_id));
  row.push_back(Value::Timestamp(f.created_us));
  row.push_back(Value::Null());  // operation: null for DICOM rows (Fabric: patch/soft-delete)
  return row;
}

}  // namespace dicomlake::bronze
