#include "pipeline/admin_tables.h"

#include "common/fs.h"
#include "common/uuid.h"
#include "config/config.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"

namespace dicomlake::pipeline {

using lake::DataType;
using lake::Schema;

Schema BusinessEventsSchema() {
  return Schema{{
      lake::StringField("id", false),
      lake::TimestampField("eventDateTime"),
      lake::BoolField("active"),
      lake::StringField("eventType"),
      lake::StringField("activityName"),
      lake::StringField("severity"),
      lake::StringField("sourceTableName"),
      lake::StringField("targetTableName"),
      lake::StringField("runId"),
      lake::StringField("sourceFilePath"),
      lake::StringField("targetFilePath"),
      lake::StringField("recordIdentifier"),
      lake::StringField("recordIdentifierSource"),
      lake::StringField("sourceLakehouseName"),
      lake::StringField("targetLakehouseName"),
      lake::StringField("message"),
      lake::StringField("exception"),
      lake::StringField("customDimensions"),
      lake::TimestampField("createdDatetime"),
  }};
}

Schema ExecutionSummarySchema() {
  DataType counts = DataType::Map(DataType::Primitive(DataType::Kind::kString),
                                  DataType::Primitive(DataType::Kind::kLong));
  DataType attributes = DataType::Map(DataType::Primitive(DataType::Kind::kString),
                                      DataType::Primitive(DataType::Kind::kString));
  return Schema{{
      lake::StringField("id", false),
      lake::StringField("activityName"),
      lake::StringField("runId"),
      lake::StringField("pipelineRunId"),
      lake::StringField("pipelineName"),
      lake::StringField("executionStatus"),
      lake::StringField("executionStatusDetails"),
      lake::StringField("targetType"),
      lake::StringField("targetPath"),
      lake::StringField("targetLakehouseName"),
      lake::LongField("numTargetRecords"),
      lake::MakeField("numTargetRecordsGranular", counts),
      lake::LongField("numTargetFiles"),
      lake::LongField("targetDataSizeBytes"),
      lake::StringField("sourceType"),
      lake::StringField("sourcePath"),
      lake::StringField("sourceLakehouseName"),
      lake::LongField("numSourceRecords"),
      lake::MakeField("numSourceRecordsGranular", counts),
      lake::LongField("numSourceFiles"),
      lake::LongField("sourceDataSizeBytes"),
      lake::LongField("batchesProcessed"),
      lake::DoubleField("elapsedTime"),
      lake::MakeField("activityAttributes", attributes),
      lake::TimestampField("msftModifiedDatetime"),
      lake::TimestampField("msftCreatedDatetime"),
  }};
}

Schema FileManifestSchema() {
  return Schema{{
      lake::StringField("path", false),
      lake::StringField("namespace"),
      lake::StringField("pattern"),
      lake::LongField("size"),
      lake::TimestampField("modifiedAt"),
      lake::StringField("contentHash"),
      lake::StringField("state"),
      lake::StringField("reason"),
      lake::StringField("runId"),
      lake::TimestampField("updatedDatetime"),
  }};
}

namespace {

lake::Value Text(const std::string& s) {
  return s.empty() ? lake::Value::Null() : lake::Value::String(s);
}

}  // namespace

lake::Row BusinessEventRow(const BusinessEvent& e, int64_t now_us) {
  using lake::Value;
  return {Value::String(NewUuid()),
          Value::Timestamp(now_us),
          Value::Bool(true),
          Text(e.event_type),
          Text(e.activity_name),
          Text(e.severity),
          Value::Null(),
          Text(e.target_table_name),
          Text(e.run_id),
          Text(e.source_file_path),
          Text(e.target_file_path),
          Text(e.record_identifier),
          e.record_identifier.empty() ? Value::Null() : Value::String("archiveMember"),
          Value::String("bronze"),
          Value::String("bronze"),
          Text(e.message),
          Value::Null(),
          Text(e.custom_dimensions),
          Value::Timestamp(now_us)};
}

lake::Row ExecutionSummaryRow(const ExecutionSummary& s, int64_t created_us, int64_t now_us) {
  using lake::Value;
  std::vector<Value> granular, attributes;
  for (const auto& [k, v] : s.target_granular) {
    granular.push_back(Value::String(k));
    granular.push_back(Value::Int(v));
  }
  for (const auto& [k, v] : s.attributes) {
    attributes.push_back(Value::String(k));
    attributes.push_back(Value::String(v));
  }
  return {Value::String(NewUuid()),
          Text(s.activity_name),
          Text(s.run_id),
          Text(s.run_id),
          Text(s.pipeline_name),
          Text(s.status),
          Text(s.status_details),
          Value::String("Delta"),
          Text(s.target_path),
          Text(s.target_lakehouse),
          Value::Int(s.target_records),
          Value::Map(std::move(granular)),
          Value::Int(s.target_files),
          Value::Int(s.target_bytes),
          Value::String("Files"),
          Text(s.source_path),
          Text(s.source_lakehouse),
          Value::Int(s.source_records),
          Value::Null(),
          Value::Int(s.source_files),
          Value::Int(s.source_bytes),
          Value::Int(s.batches),
          Value::Double(s.elapsed_seconds),
          Value::Map(std::move(attributes)),
          Value::Timestamp(now_us),
          Value::Timestamp(created_us)};
}

lake::Row ManifestRow(const ManifestEntry& m, int64_t now_us) {
  using lake::Value;
  return {Value::String(m.path),
          Text(m.namespace_name),
          Text(m.pattern),
          Value::Int(m.size),
          Value::Timestamp(m.modified_us),
          Text(m.content_hash),
          Text(m.state),
          Text(m.reason),
          Text(m.run_id),
          Value::Timestamp(now_us)};
}

Result<bool> CreateAdminTable(const lake::Lake& lake, lake::Engine& engine, const lake::TableId& id,
                              bool missing_only) {
  struct Spec {
    const lake::TableId* id;
    Schema schema;
    const char* description;
  };
  static const Spec kSpecs[] = {
      {&lake::table::kBusinessEvents, BusinessEventsSchema(),
       "dicomlake: one row per failure or notable event"},
      {&lake::table::kExecutionSummary, ExecutionSummarySchema(),
       "dicomlake: one row per run and activity"},
      {&lake::table::kFileManifest, FileManifestSchema(), "dicomlake: every source file seen"},
  };
  for (const auto& spec : kSpecs) {
    if (spec.id->display() != id.display()) continue;
    lake::DeltaTable table = lake.OpenTable(id);
    const bool existed = table.Exists();
    if (existed && missing_only) return false;
    DL_RETURN_IF_ERROR(table.Create(engine, spec.schema, spec.description));
    return !existed;
  }
  return InvalidArgument("not an admin table: " + id.display());
}

Result<InitReport> InitLake(const lake::Lake& lake, lake::Engine& engine) {
  InitReport report;
  DL_RETURN_IF_ERROR(lake.CreateLayout());
  if (!fs::Exists(lake.ConfigPath())) {
    DL_RETURN_IF_ERROR(fs::WriteFileAtomic(lake.ConfigPath(), config::Config::DefaultFileJson()));
    report.created_config = true;
  }
  for (const auto& id :
       {lake::table::kBusinessEvents, lake::table::kExecutionSummary, lake::table::kFileManifest}) {
    DL_ASSIGN_OR_RETURN(bool created, CreateAdminTable(lake, engine, id, false));
    report.tables_created += created ? 1 : 0;
  }
  return report;
}

}  // namespace dicomlake::pipeline
