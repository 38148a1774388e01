// The sample data generator (`dicomlake sample`, issue 7): a realistic, technically complete,
// deterministic DICOM dataset shaped like the Fabric sample (at scale 1: 302 patients, 340
// studies, 389 series, 7,739 instances, and one file named .dcm that is not DICOM), plus clinical
// FHIR Patient NDJSON for the same patients and a few patients only the clinical data has.
//
// Everything is derived from the seed: the same seed gives the same files, byte for byte;
// different seeds give disjoint UIDs and patient ids, so batches can be added to one lake.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace dicomlake::sample {

enum class PixelSize {
  kSmall,      // small matrices (32x32 to 64x64): a sample of a few tens of MB
  kRealistic,  // full-size matrices (512x512 CT/MR, 16-bit) that compress like real images
};

struct SampleOptions {
  uint64_t seed = 1;
  double scale = 1.0;  // multiplies every count (patients, studies, series, instances)
  PixelSize pixels = PixelSize::kSmall;
  int threads = 0;            // 0: every core
  std::string manifest_path;  // when set: one JSON line per instance written (for tests)
  bool archives = true;       // false: no study goes into a ZIP (plain files only)
};

struct SampleCounts {
  int64_t patients = 0;       // with imaging
  int64_t clinical_only = 0;  // patients only in the clinical NDJSON
  int64_t studies = 0;
  int64_t series = 0;
  int64_t instances = 0;
  int64_t archives = 0;       // ZIP files holding some of the studies
  int64_t invalid_files = 0;  // files that are not DICOM (always 1)
  int64_t bytes = 0;          // bytes written
};

// The counts a scale gives, without writing anything.
SampleCounts PlannedCounts(double scale);

// Writes the DICOM files under `dicom_dir` (folders per patient/study/series, some files
// without the .dcm extension, some studies inside ZIP archives) and `Patient-<seed>.ndjson`
// under `fhir_dir`.
Result<SampleCounts> WriteSample(const std::string& dicom_dir, const std::string& fhir_dir,
                                 const SampleOptions& options);

// The identifier system of the sample's patient ids (IssuerOfPatientID, as FHIR system).
std::string SamplePatientIdentifierSystem();

}  // namespace dicomlake::sample
