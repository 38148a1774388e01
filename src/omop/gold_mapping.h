// The OMOP mapping driver (docs/omop.md): silver ImagingStudy, Patient and ImagingMetastore ->
// OMOP CDM 5.4 person and procedure_occurrence and MI-CDM image_occurrence, with stable integer
// ids (gold.omop_id_mapping). The mapping itself is SQL, one file per target table
// (src/omop/sql, gold_sql.h); this driver stages its inputs, assigns ids between the steps and
// writes each table, dropping every temporary table it made on every path.
//
// Incremental: only the silver rows written since the versions the last update consumed (Delta
// `txn` actions in gold.person and gold.image_occurrence) are mapped, and a gold row is
// rewritten only when one of its values changed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"

namespace dicomlake::lake {
class Engine;
class Lake;
}  // namespace dicomlake::lake

namespace dicomlake::omop {

struct GoldOptions {
  std::string dicomweb_base_url;       // wadors_uri base; empty: no wadors_uri
  std::string athena_vocabulary_path;  // an Athena download; empty: the shipped concept maps
  int64_t now_us = 0;                  // msftModifiedDatetime of the rows written
};

struct GoldCounts {
  int64_t studies_read = 0;   // changed silver ImagingStudy rows
  int64_t patients_read = 0;  // changed silver Patient rows
  int64_t persons = 0;        // person rows written (new or changed)
  int64_t procedures = 0;     // procedure_occurrence rows written
  int64_t images = 0;         // image_occurrence rows written
  int64_t skipped = 0;        // records OMOP cannot take (no birth year, no date, no UID)
  int64_t removed = 0;        // procedure/image rows of changed studies the mapping no longer gives
  int64_t athena_overrides = 0;
};

// A record OMOP cannot take, and why (for BusinessEvents).
using SkipRecorder = std::function<void(const std::string& target_table, const std::string& record,
                                        const std::string& reason)>;

// Brings gold up to date with silver. Errors are the engine's or the lake's (a bad Athena
// folder is kInvalidArgument naming the file).
Result<GoldCounts> UpdateGold(const lake::Lake& lake, lake::Engine& engine,
                              const GoldOptions& options, const SkipRecorder& skip);

}  // namespace dicomlake::omop
