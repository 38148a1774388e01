// `dicomlake run <lake>`: the whole pipeline in order (ingest, fhir, silver, gold), each stage
// only doing work when its input changed, then a summary: rows per table, failed files with
// their reasons, time per stage. Exit 3 when some input files failed.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "pipeline/fhir_stage.h"
#include "pipeline/gold_stage.h"
#include "pipeline/ingest_stage.h"
#include "pipeline/silver_stage.h"

namespace dicomlake::cli {

void RegisterRun(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "run", "Run the whole pipeline: ingest, fhir, silver, gold; then print a summary");
  struct Args {
    std::string lake, pattern = "ingest", source;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("lake", args->lake, "Folder of the lake")->required();
  cmd->add_option("--pattern", args->pattern, "Ingestion pattern: ingest, byos or inventory")
      ->capture_default_str();
  cmd->add_option("--source", args->source, "byos: the folder to read in place");
  cmd->callback([&global, exit_code, args] {
    auto pattern = pipeline::ParseIngestPattern(args->pattern);
    if (!pattern.ok()) {
      *exit_code = Fail(pattern.status(), kExitUsage);
      return;
    }
    auto session = OpenSession(args->lake, global, {}, exit_code);
    if (!session.ok()) {
      *exit_code = Fail(session.status(), *exit_code);
      return;
    }
    bool terminal = !global.quiet && isatty(STDERR_FILENO);
    auto& lake = *session->lake;
    auto& engine = *session->engine;
    const auto& config = session->config;
    std::vector<std::pair<std::string, double>> times;
    auto stage = [&](const char* name) {
      if (terminal) std::fprintf(stderr, "%-7s ...", name);
    };
    auto done = [&](const char* name, double seconds, const std::string& what) {
      times.emplace_back(name, seconds);
      if (terminal) std::fprintf(stderr, "\r%-7s %6.1f s  %s\n", name, seconds, what.c_str());
    };

    stage("ingest");
    pipeline::IngestOptions ingest_options;
    ingest_options.pattern = *pattern;
    ingest_options.source_dir = args->source;
    ProgressBar bar;
    if (terminal) ingest_options.progress = [&bar](int64_t d, int64_t t) { bar.Update(d, t); };
    auto ingest = pipeline::RunIngest(lake, engine, config, ingest_options);
    if (terminal) bar.Finish();
    if (!ingest.ok()) {
      *exit_code = Fail(ingest.status().WithContext("ingest"));
      return;
    }
    done("ingest", ingest->elapsed_seconds,
         std::to_string(ingest->instances_added) + " instances added, " +
             std::to_string(ingest->failed) + " failed");

    stage("fhir");
    auto fhir = pipeline::RunFhir(lake, engine, config, {});
    if (!fhir.ok()) {
      *exit_code = Fail(fhir.status().WithContext("fhir"));
      return;
    }
    done("fhir", fhir->elapsed_seconds,
         std::to_string(fhir->studies_written) + " ImagingStudy resources");

    stage("silver");
    auto silver = pipeline::RunSilver(lake, engine, config);
    if (!silver.ok()) {
      *exit_code = Fail(silver.status().WithContext("silver"));
      return;
    }
    done("silver", silver->elapsed_seconds,
         std::to_string(silver->imaging_studies) + " studies, " + std::to_string(silver->patients) +
             " patients, " + std::to_string(silver->metastore_rows) + " instances");

    stage("gold");
    auto gold = pipeline::RunGold(lake, engine, config);
    if (!gold.ok()) {
      *exit_code =
          Fail(gold.status().WithContext("gold"),
               gold.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailed);
      return;
    }
    done("gold", gold->elapsed_seconds,
         std::to_string(gold->persons) + " person, " + std::to_string(gold->procedures) +
             " procedure, " + std::to_string(gold->images) + " image rows written");

    if (!global.quiet) {
      double total = 0;
      std::printf("run finished:");
      for (const auto& [name, secs] : times) {
        std::printf(" %s %.1f s,", name.c_str(), secs);
        total += secs;
      }
      std::printf(" total %.1f s\n\n", total);
      auto tables = TableSummary(lake, engine);
      if (tables.ok()) PrintResult(*tables, Format::kTable, std::cout);
      std::printf("\n");
      int64_t failed = ingest->failed + silver->failed;
      std::printf("%lld file(s) failed", static_cast<long long>(failed));
      std::printf(failed > 0 ? ":\n" : "\n");
      for (const auto& f : ingest->failures)
        std::printf("  %s: %s\n", f.path.c_str(), f.reason.c_str());
      for (const auto& f : silver->failures)
        std::printf("  %s: %s\n", f.path.c_str(), f.reason.c_str());
      if (fhir->problems + gold->skipped > 0)
        std::printf("%lld data problem(s) noted (dicomlake status, admin.BusinessEvents)\n",
                    static_cast<long long>(fhir->problems + gold->skipped));
    }
    *exit_code = ingest->failed + silver->failed > 0 ? kExitInputFailures : kExitOk;
  });
}

}  // namespace dicomlake::cli
