#include "pipeline/admin_tables.h"

#include "common/fs.h"
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

Result<InitReport> InitLake(const lake::Lake& lake, lake::Engine& engine) {
  InitReport report;
  DL_RETURN_IF_ERROR(lake.CreateLayout());
  if (!fs::Exists(lake.ConfigPath())) {
    DL_RETURN_IF_ERROR(fs::WriteFileAtomic(lake.ConfigPath(), config::Config::DefaultFileJson()));
    report.created_config = true;
  }
  struct Spec {
    const char* name;
    Schema schema;
    const char* description;
  };
  const Spec specs[] = {
      {"BusinessEvents", BusinessEventsSchema(), "dicomlake: one row per failure or notable event"},
      {"ExecutionSummary", ExecutionSummarySchema(), "dicomlake: one row per run and activity"},
      {"FileManifest", FileManifestSchema(), "dicomlake: every source file seen"},
  };
  for (const auto& spec : specs) {
    lake::DeltaTable table(lake.TablePath("admin", spec.name), std::string("admin/") + spec.name);
    bool existed = table.Exists();
    DL_RETURN_IF_ERROR(table.Create(engine, spec.schema, spec.description));
    if (!existed) ++report.tables_created;
  }
  return report;
}

}  // namespace dicomlake::pipeline
