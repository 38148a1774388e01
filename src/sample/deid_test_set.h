// The de-identification test set (issue 14, the MIDI-B method on our own data): DICOM studies
// and clinical FHIR with known fake identity planted where de-identifiers miss it (nested
// sequence items, private attributes, free text, Other Patient IDs, DT values and dates in text,
// person names with ideographic and phonetic groups, text burned into ultrasound frames), and
// an answer key: one row per required outcome, in MIDI-B's check categories (tag_retained,
// text_notnull, text_retained, text_removed, date_shifted, uid_changed, uid_consistent,
// patid_consistent, pixels_hidden, pixels_retained) plus date_interval (the days between a
// patient's studies are kept). tests/oracle/score_deid.py scores a research lake against it.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace dicomlake::sample {

struct DeidTestSetOptions {
  uint64_t seed = 1;
  int patients = 8;
};

struct DeidTestSetCounts {
  int64_t patients = 0, studies = 0, instances = 0, key_rows = 0;
};

// Writes the DICOM files under `dicom_dir`, `Patient-deid-<seed>.ndjson` (Patients and an
// Observation each) under `fhir_dir`, and the answer key (JSON: the de-identification options it
// expects, then its rows) to `answer_key_path`. The key holds the planted identity: keep it on
// the identified side.
Result<DeidTestSetCounts> WriteDeidTestSet(const std::string& dicom_dir,
                                           const std::string& fhir_dir,
                                           const std::string& answer_key_path,
                                           const DeidTestSetOptions& options);

}  // namespace dicomlake::sample
