// `dicomlake sample <dir>`: writes the sample dataset. Into a lake, the DICOM goes to the Ingest
// drop zone (bronze/Files/Ingest/Imaging/DICOM/<namespace>/sample-<seed>/) and the clinical
// Patient NDJSON to bronze/Files/Ingest/Clinical/FHIR-NDJSON/<namespace>/; into any other folder,
// to <dir>/Imaging/DICOM/<namespace>/sample-<seed>/ and <dir>/Clinical/FHIR-NDJSON/<namespace>/.
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "common/fs.h"
#include "sample/deid_test_set.h"
#include "sample/sample.h"

namespace dicomlake::cli {

namespace {

struct SampleArgs {
  std::string dir, pixels = "small", name_space = "sample", manifest, deid_answer_key;
  int deid_patients = 8;
  uint64_t seed = 1;
  double scale = 1.0;
  int threads = 0;
  bool no_archives = false;
};

Result<int> Sample(const SampleArgs& args, const GlobalOptions& global) {
  lake::Lake lake(args.dir);
  std::string dicom_dir, fhir_dir;
  const bool deid = !args.deid_answer_key.empty();
  std::string batch = (deid ? "deid-test-" : "sample-") + std::to_string(args.seed);
  if (lake.Exists()) {
    dicom_dir = fs::Join(fs::Join(lake.FilesPath("bronze"), "Ingest/Imaging/DICOM"),
                         args.name_space + "/" + batch);
    fhir_dir = fs::Join(lake.FilesPath("bronze"), "Ingest/Clinical/FHIR-NDJSON/" + args.name_space);
  } else {
    std::string root = fs::Absolute(args.dir);
    dicom_dir = fs::Join(root, "Imaging/DICOM/" + args.name_space + "/" + batch);
    fhir_dir = fs::Join(root, "Clinical/FHIR-NDJSON/" + args.name_space);
  }
  if (deid) {
    sample::DeidTestSetOptions o;
    o.seed = args.seed;
    o.patients = args.deid_patients;
    DL_ASSIGN_OR_RETURN(sample::DeidTestSetCounts c,
                        sample::WriteDeidTestSet(dicom_dir, fhir_dir, args.deid_answer_key, o));
    if (!global.quiet) {
      std::printf(
          "de-identification test set (seed %llu): %lld patients, %lld studies, %lld instances "
          "with planted identity; answer key: %s (%lld rows; it holds the identity: keep it on "
          "the identified side)\n  DICOM: %s\n  FHIR:  %s\n",
          static_cast<unsigned long long>(args.seed), static_cast<long long>(c.patients),
          static_cast<long long>(c.studies), static_cast<long long>(c.instances),
          args.deid_answer_key.c_str(), static_cast<long long>(c.key_rows), dicom_dir.c_str(),
          fhir_dir.c_str());
    }
    return kExitOk;
  }
  sample::SampleOptions options;
  options.seed = args.seed;
  options.scale = args.scale;
  options.pixels =
      args.pixels == "realistic" ? sample::PixelSize::kRealistic : sample::PixelSize::kSmall;
  options.threads = args.threads;
  options.manifest_path = args.manifest;
  options.archives = !args.no_archives;
  DL_ASSIGN_OR_RETURN(sample::SampleCounts counts,
                      sample::WriteSample(dicom_dir, fhir_dir, options));
  if (!global.quiet) {
    std::printf(
        "sample (seed %llu, scale %g): %lld patients (+%lld only in the clinical data), "
        "%lld studies, %lld series, %lld instances (%lld studies in ZIP archives), 1 "
        "file that is not DICOM; %.1f MB\n  DICOM: %s\n  FHIR:  %s\n",
        static_cast<unsigned long long>(args.seed), args.scale,
        static_cast<long long>(counts.patients), static_cast<long long>(counts.clinical_only),
        static_cast<long long>(counts.studies), static_cast<long long>(counts.series),
        static_cast<long long>(counts.instances), static_cast<long long>(counts.archives),
        counts.bytes / 1e6, dicom_dir.c_str(), fhir_dir.c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterSample(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<SampleArgs>();
  auto* cmd = AddCommand(app, "sample",
                         "Write a realistic, deterministic sample dataset (DICOM + clinical FHIR "
                         "Patient NDJSON); at scale 1 the shape of the Fabric sample (7,739 "
                         "instances)",
                         exit_code, [&global, args] { return Sample(*args, global); });
  cmd->add_option("dir", args->dir, "A lake (writes into its Ingest drop zones) or any folder")
      ->required();
  cmd->add_option("--seed", args->seed, "Seed: same seed, same files")->capture_default_str();
  cmd->add_option("--scale", args->scale, "Multiplies every count (0.01 .. 1000)")
      ->capture_default_str();
  cmd->add_option("--pixels", args->pixels,
                  "small: tiny matrices; realistic: 512x512 16-bit CT/MR and full-size X-ray "
                  "images (for benchmarks)")
      ->check(CLI::IsMember({"small", "realistic"}))
      ->capture_default_str();
  cmd->add_option("--namespace", args->name_space, "Namespace (source system) of the sample")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Writer threads (0: every core)");
  cmd->add_flag("--no-archives", args->no_archives,
                "Write every study as plain files (no ZIP archives), e.g. for benchmarks");
  cmd->add_option("--deid-answer-key", args->deid_answer_key,
                  "Instead of the sample: the de-identification test set (identity planted where "
                  "de-identifiers miss it, burned-in text in ultrasound frames) and its answer key "
                  "written to this file (docs/deid.md)");
  cmd->add_option("--deid-patients", args->deid_patients, "Patients in the test set")
      ->capture_default_str();
  cmd->add_option("--manifest", args->manifest,
                  "Also write one JSON line per instance (UIDs, modality, patient) to this file");
}

}  // namespace dicomlake::cli
