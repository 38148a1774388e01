// `dicomlake deid LAKE --to RESEARCH_LAKE --key-file KEY (--sql Q | --study UID | --series UID |
// --patient ID)... [--option NAME]...`: a cohort de-identified into a research lake that the
// same stages build (pipeline/deid_stage.h; docs/deid.md). Exit 3 when some originals could not
// be de-identified (the rest are).
#include <unistd.h>

#include <cstdio>

#include "cli.h"
#include "cohort_options.h"
#include "deid/profile.h"
#include "pipeline/deid_stage.h"

namespace dicomlake::cli {

void RegisterDeid(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    pipeline::DeidRequest request;
    std::vector<std::string> options;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    pipeline::DeidRequest& request = args->request;
    for (const auto& name : args->options) {
      DL_ASSIGN_OR_RETURN(deid::Option o, deid::ParseOption(name));
      request.options.applied.insert(o);
    }
    bool terminal = !global.quiet && !args->json && isatty(STDERR_FILENO);
    ProgressBar bar("instances");
    if (terminal) {
      request.progress = [&bar](int64_t d, int64_t n) { bar.Update(d, n); };
      request.research_pipeline.stage_started = [&bar](pipeline::Stage stage) {
        if (stage == pipeline::Stage::kIngest) bar.Finish();
        std::fprintf(stderr, "research %-7s ...", pipeline::StageName(stage));
      };
      request.research_pipeline.stage_finished = [](pipeline::Stage stage,
                                                    const pipeline::PipelineSummary& s) {
        std::fprintf(stderr, "\rresearch %-7s %6.1f s  %s\n", pipeline::StageName(stage),
                     s.Seconds(stage), s.Describe(stage).c_str());
      };
    }
    DL_ASSIGN_OR_RETURN(pipeline::DeidSummary s,
                        pipeline::RunDeid(*session.lake, *session.engine, session.config, request));
    if (args->json) {
      std::printf("%s\n", s.ToJson().c_str());
    } else if (!global.quiet) {
      std::printf(
          "deid run %s: %lld patients, %lld studies, %lld series, %lld instances -> %lld "
          "de-identified files, %lld clinical FHIR resources; %lld file(s) not de-identified "
          "(admin.BusinessEvents); %lld searched for burned-in text, %lld box(es) blacked out; "
          "%.1f s\n  research lake: %s\n  key: %s%s\n  id map "
          "(identified side only): %s (%lld rows)\n",
          s.run_id.c_str(), static_cast<long long>(s.patients), static_cast<long long>(s.studies),
          static_cast<long long>(s.series), static_cast<long long>(s.instances),
          static_cast<long long>(s.written), static_cast<long long>(s.clinical_resources),
          static_cast<long long>(s.failed), static_cast<long long>(s.pixels_searched),
          static_cast<long long>(s.redacted_boxes), s.elapsed_seconds, s.research_lake.c_str(),
          s.key_file.c_str(), s.key_created ? " (new: keep it safe, it makes every pseudonym)" : "",
          s.id_map_path.c_str(), static_cast<long long>(s.id_map_rows));
      for (pipeline::Stage stage : pipeline::AllStages()) {
        std::printf("  research %-7s %s\n", pipeline::StageName(stage),
                    s.research.Describe(stage).c_str());
      }
    }
    return s.failed > 0 ? kExitInputFailures : kExitOk;
  };
  auto* cmd = AddLakeCommand(
      app, "deid",
      "De-identify a cohort (PS3.15 Basic Profile and options, keyed UIDs, pseudonyms and date "
      "shifts) into a research lake built by the same stages, with its patients' clinical FHIR",
      global, exit_code, body);
  cmd->add_option("--to", args->request.to, "The research lake (created when new)")->required();
  cmd->add_option("--key-file", args->request.key_file,
                  "The research key (32 random bytes as hex; created with mode 0600 when absent; "
                  "never inside a lake)")
      ->required();
  AddCohortOptions(cmd, &args->request);
  std::string names;
  for (const auto& info : deid::AllOptions())
    names += (names.empty() ? "" : ", ") + std::string(info.name);
  cmd->add_option("--option", args->options, "A PS3.15 option (repeatable): " + names);
  cmd->add_flag(
      "--clean-all-images", args->request.clean_all_images,
      "With --option clean-pixel-data: search every image for burned-in text, not only "
      "those that may carry it (Burned In Annotation YES, ultrasound, secondary capture)");
  cmd->add_option("--namespace", args->request.research_namespace,
                  "The research lake's namespace (source system) for these files (default "
                  "research)");
  cmd->add_option("--threads", args->request.threads,
                  "Instances de-identified at once (0: one per core)");
  cmd->add_flag("--json", args->json, "Print the run summary as JSON");
}

}  // namespace dicomlake::cli
