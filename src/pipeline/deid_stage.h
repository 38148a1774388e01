// The research lake (`dicomlake deid`, issue 14; ARCHITECTURE section 10; docs/deid.md): a
// cohort of the identified lake de-identified into a second, complete lake. Per run:
//   1. the cohort (pipeline/cohort.h) is selected; each stored original is de-identified
//      (deid/deidentifier.h) with the research key into the research lake's Ingest drop zone,
//      as bronze/Files/Ingest/Imaging/DICOM/<namespace>/<study>/<series>/<sop>.dcm (new UIDs);
//   2. the clinical FHIR resources of the cohort's patients (bronze ClinicalFhir: Patient
//      resources with an identifier equal to a cohort PatientID, and every resource that
//      references one of them) are de-identified with the same key (deid/fhir_deid.h) into the
//      research lake's clinical drop zone;
//   3. the old -> new map (UIDs, PatientIDs, Patient resource ids; MIDI-B's `id_old,id_new`) is
//      merged into the identified lake's admin/Files/Deid/<research lake>/id_map.csv;
//   4. the research lake's pipeline runs (ingest, fhir, silver, gold: pipeline.h);
//   5. every box of burned-in text blacked out (Clean Pixel Data) is a row of the research lake's
//      admin.PixelRedactions (where, not what: the text is never kept);
//   6. file-system access is set: the research lake group-readable by deid.research_group only,
//      the id map by deid.identified_group only (file_access.h).
// The key is never written into either lake (a key file inside one is refused). A re-run with the
// same key writes byte-identical files; the research lake's ingest adds only what is new.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "deid/profile.h"
#include "lake/schema.h"
#include "pipeline/cohort.h"
#include "pipeline/pipeline.h"
#include "pipeline/stage.h"

namespace dicomlake::pipeline {

inline constexpr const char* kDeidActivity = "imaging_deidentification";

struct DeidRequest : CohortRequest {
  std::string to;        // the research lake (created when it is not a lake yet)
  std::string key_file;  // created when absent (deid/keyed.h)
  deid::Options options;
  // With clean-pixel-data: look for burned-in text in every image, not only in those that may
  // carry it (Burned In Annotation YES, ultrasound, secondary capture).
  bool clean_all_images = false;
  std::string research_namespace = "research";  // the source system the research lake sees
  int threads = 0;                              // instances at once; 0: one per core
  // Called after each series with (instances done, instances in all), from one thread at a time.
  std::function<void(int64_t, int64_t)> progress;
  PipelineOptions research_pipeline;  // progress of the research lake's stages
};

struct DeidSummary : StageSummary {
  std::string research_lake, id_map_path, key_file;
  bool key_created = false;
  int64_t instances = 0;  // selected
  int64_t written = 0;    // de-identified files written
  int64_t failed = 0;     // originals missing, unreadable or refused (BusinessEvents)
  int64_t patients = 0, studies = 0, series = 0;
  int64_t clinical_resources = 0;  // clinical FHIR resources de-identified
  int64_t pixels_searched = 0;     // instances whose frames were searched for burned-in text
  int64_t redacted_boxes = 0;      // boxes of burned-in text blacked out (admin.PixelRedactions)
  int64_t id_map_rows = 0;
  PipelineSummary research;  // what the research lake's pipeline did
  std::string ToJson() const;
};

// The research lake's admin.PixelRedactions: one row per box of burned-in text blacked out.
lake::Schema PixelRedactionsSchema();

// The folder of the identified lake holding what deid keeps about the research lake at
// `research_root` (its id_map.csv): admin/Files/Deid/<research folder name>-<8 hex of its path>.
std::string ResearchRecordFolder(const lake::Lake& identified, const std::string& research_root);

// The rows of an id_map.csv (`id_old,id_new`), old -> new; a missing file gives none.
Result<std::map<std::string, std::string>> ReadIdMap(const std::string& path);

// kInvalidArgument for an empty cohort request, a research lake that is (inside) the identified
// lake or holds it, a key file inside either lake, or invalid options; kNotFound when the cohort
// holds no instance.
Result<DeidSummary> RunDeid(const lake::Lake& lake, lake::Engine& engine,
                            const config::Config& config, const DeidRequest& request);

}  // namespace dicomlake::pipeline
