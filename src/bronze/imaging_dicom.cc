#include "bronze/imaging_dicom.h"

#include <fmt/format.h>

#include "dicom/tags.h"
#include "dicom/values.h"

namespace dicomlake::bronze {
namespace {

using lake::DataType;
using lake::Value;

enum class Kind { kString, kPersonName, kDate, kTime, kInteger, kList };

struct PromotedSpec {
  const char* column;
  const dicom::TagKey& tag;
  Kind kind;
};

// Fabric's promoted tags (reference/hds-imaging-facts.md section 3.1), the three UIDs first.
const PromotedSpec kPromoted[] = {
    {"studyInstanceUid", dicom::tag::kStudyInstanceUID, Kind::kString},
    {"seriesInstanceUid", dicom::tag::kSeriesInstanceUID, Kind::kString},
    {"sopInstanceUid", dicom::tag::kSOPInstanceUID, Kind::kString},
    {"patientName", dicom::tag::kPatientName, Kind::kPersonName},
    {"patientSex", dicom::tag::kPatientSex, Kind::kString},
    {"patientId", dicom::tag::kPatientID, Kind::kString},
    {"patientBirthDate", dicom::tag::kPatientBirthDate, Kind::kDate},
    {"accessionNumber", dicom::tag::kAccessionNumber, Kind::kString},
    {"referringPhysicianName", dicom::tag::kReferringPhysicianName, Kind::kPersonName},
    {"studyDate", dicom::tag::kStudyDate, Kind::kDate},
    {"studyDescription", dicom::tag::kStudyDescription, Kind::kString},
    {"modality", dicom::tag::kModality, Kind::kString},
    {"modalitiesInStudy", dicom::tag::kModalitiesInStudy, Kind::kList},
    {"performedProcedureStepStartDate", dicom::tag::kPerformedProcedureStepStartDate, Kind::kDate},
    {"manufacturerModelName", dicom::tag::kManufacturerModelName, Kind::kString},
    {"studyTime", dicom::tag::kStudyTime, Kind::kTime},
    {"timezoneOffsetFromUtc", dicom::tag::kTimezoneOffsetFromUTC, Kind::kString},
    {"numberOfStudyRelatedSeries", dicom::tag::kNumberOfStudyRelatedSeries, Kind::kInteger},
    {"numberOfStudyRelatedInstances", dicom::tag::kNumberOfStudyRelatedInstances, Kind::kInteger},
    {"seriesNumber", dicom::tag::kSeriesNumber, Kind::kInteger},
    {"seriesDescription", dicom::tag::kSeriesDescription, Kind::kString},
    {"numberOfSeriesRelatedInstances", dicom::tag::kNumberOfSeriesRelatedInstances, Kind::kInteger},
    {"bodyPartExamined", dicom::tag::kBodyPartExamined, Kind::kString},
    {"laterality", dicom::tag::kLaterality, Kind::kString},
    {"seriesDate", dicom::tag::kSeriesDate, Kind::kDate},
    {"seriesTime", dicom::tag::kSeriesTime, Kind::kTime},
    {"sopClassUid", dicom::tag::kSOPClassUID, Kind::kString},
    {"instanceNumber", dicom::tag::kInstanceNumber, Kind::kInteger},
    {"documentTitle", dicom::tag::kDocumentTitle, Kind::kString},
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

std::string Invalid(const PromotedSpec& spec, const std::string& value, const char* what) {
  return fmt::format("{} {} \"{}\" is not a valid {}", spec.tag.keyword(), spec.tag.Display(),
                     value, what);
}

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
      std::string alphabetic = dicom::SplitPersonName(*first).alphabetic;
      return alphabetic.empty() ? Value::Null() : Value::String(alphabetic);
    }
    case Kind::kDate: {
      if (!first) return Value::Null();
      if (auto date = dicom::ParseDate(*first)) return Value::Date(dicom::DaysSinceEpoch(*date));
      warnings->push_back(Invalid(spec, *first, "date"));
      return Value::Null();
    }
    case Kind::kTime: {
      if (!first) return Value::Null();
      if (auto time = dicom::ParseTime(*first))
        return Value::String(dicom::FormatTimeMicros(*time));
      warnings->push_back(Invalid(spec, *first, "time"));
      return Value::Null();
    }
    case Kind::kInteger: {
      if (!first) return Value::Null();
      if (auto v = dicom::ParseIntegerString(*first)) return Value::Int(*v);
      warnings->push_back(Invalid(spec, *first, "integer"));
      return Value::Null();
    }
    case Kind::kString:
      return first ? Value::String(*first) : Value::Null();
  }
  return Value::Null();
}

// One element of frameIndex (dicom::FrameRange).
DataType FrameRangeType() {
  return DataType::Struct({lake::IntField("frameNumber", false), lake::LongField("offset", false),
                           lake::LongField("length", false)});
}

}  // namespace

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
                 lake::StringField("operation"),
                 lake::MakeField("frameIndex", DataType::Array(FrameRangeType())),
                 // Added after frameIndex: at the end, so older tables widen to it.
                 lake::StringField("datasetHash")}) {
    s.fields.push_back(std::move(f));
  }
  return s;
}

Promoted PromoteTags(const dicom::Dataset& data, std::vector<std::string>* warnings) {
  Promoted p;
  for (const auto& spec : kPromoted) {
    p.values.push_back(Promote(spec, data, warnings));
    bool is_uid = &spec.tag == &dicom::tag::kStudyInstanceUID ||
                  &spec.tag == &dicom::tag::kSeriesInstanceUID ||
                  &spec.tag == &dicom::tag::kSOPInstanceUID;
    if (is_uid && p.values.back().is_null()) {
      warnings->push_back(fmt::format("{} {} is missing", spec.tag.keyword(), spec.tag.Display()));
    }
  }
  return p;
}

lake::Row MakeImagingDicomRow(const dicom::Dataset& data, const std::string& metadata_json,
                              const std::string& transfer_syntax_uid,
                              std::vector<std::string> warnings, const FileFacts& f,
                              const std::optional<dicom::FrameIndex>& frame_index) {
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
  if (!frame_index) {
    row.push_back(Value::Null());
  } else {
    std::vector<Value> ranges;
    ranges.reserve(frame_index->size());
    for (const dicom::FrameRange& r : *frame_index) {
      ranges.push_back(
          Value::Struct({"frameNumber", "offset", "length"},
                        {Value::Int(r.frame_number), Value::Int(r.offset), Value::Int(r.length)}));
    }
    row.push_back(Value::List(std::move(ranges)));
  }
  row.push_back(text(f.dataset_hash));
  return row;
}

}  // namespace dicomlake::bronze
