// `dicomlake run <lake>`: the whole pipeline in order (pipeline::RunAll: ingest, fhir, silver,
// gold), each stage only doing work when its input changed, then a summary: rows per table,
// failed files with their reasons, time per stage. Exit 3 when some input files failed.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli.h"
#include "pipeline/pipeline.h"
#include "source_options.h"

namespace dicomlake::cli {
namespace {

void PrintSummary(const pipeline::PipelineSummary& summary, Session& session) {
  double total = 0;
  std::printf("run finished:");
  for (pipeline::Stage stage : pipeline::AllStages()) {
    std::printf(" %s %.1f s,", pipeline::StageName(stage), summary.Seconds(stage));
    total += summary.Seconds(stage);
  }
  std::printf(" total %.1f s\n\n", total);
  auto tables = lake::TableSummary(*session.lake, *session.engine);
  if (tables.ok()) PrintResult(*tables, Format::kTable, std::cout);
  std::printf("\n");
  auto failures = summary.Failures();
  std::printf("%zu file(s) failed", failures.size());
  std::printf(failures.empty() ? "\n" : ":\n");
  for (const auto& f : failures) std::printf("  %s: %s\n", f.path.c_str(), f.reason.c_str());
  if (summary.Problems() > 0)
    std::printf("%lld data problem(s) noted (dicomlake status, admin.BusinessEvents)\n",
                static_cast<long long>(summary.Problems()));
}

Result<int> Run(Session& session, const GlobalOptions& global, const SourceArgs& args) {
  pipeline::PipelineOptions options;
  DL_ASSIGN_OR_RETURN(options.ingest, IngestOptionsFrom(args));
  bool terminal = !global.quiet && isatty(STDERR_FILENO);
  ProgressBar bar;
  if (terminal) {
    options.ingest.progress = [&bar](int64_t d, int64_t t) { bar.Update(d, t); };
    options.stage_started = [](pipeline::Stage stage) {
      std::fprintf(stderr, "%-7s ...", pipeline::StageName(stage));
    };
    options.stage_finished = [&bar](pipeline::Stage stage,
                                    const pipeline::PipelineSummary& summary) {
      if (stage == pipeline::Stage::kIngest) bar.Finish();
      std::fprintf(stderr, "\r%-7s %6.1f s  %s\n", pipeline::StageName(stage),
                   summary.Seconds(stage), summary.Describe(stage).c_str());
    };
  }
  DL_ASSIGN_OR_RETURN(auto summary,
                      pipeline::RunAll(*session.lake, *session.engine, session.config, options));
  if (!global.quiet) PrintSummary(summary, session);
  return summary.Failures().empty() ? kExitOk : kExitInputFailures;
}

}  // namespace

void RegisterRun(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<SourceArgs>();
  auto* cmd = AddLakeCommand(
      app, "run", "Run the whole pipeline: ingest, fhir, silver, gold; then print a summary",
      global, exit_code, [&global, args](Session& session) { return Run(session, global, *args); });
  AddSourceOptions(cmd, args.get());
}

}  // namespace dicomlake::cli
