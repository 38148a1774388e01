// `dicomlake deid-check RESEARCH_LAKE --against LAKE [--json]`: the identified lake's identifying
// values looked for everywhere in the research lake (pipeline/deid_check.h). Exit 0 when none is
// found, 3 when some are (each printed with where it was found).
#include <cstdio>

#include "cli.h"
#include "pipeline/deid_check.h"

namespace dicomlake::cli {

void RegisterDeidCheck(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    std::string against;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& research) -> Result<int> {
    DL_ASSIGN_OR_RETURN(Session identified, OpenSession(args->against, global));
    std::vector<std::string> warnings;
    DL_RETURN_IF_ERROR(research.lake->RegisterViews(*research.engine, &warnings));
    DL_RETURN_IF_ERROR(identified.lake->RegisterViews(*identified.engine, &warnings));
    DL_ASSIGN_OR_RETURN(pipeline::DeidCheckReport report,
                        pipeline::CheckResearchLake(*research.lake, *research.engine,
                                                    *identified.lake, *identified.engine));
    if (args->json) {
      std::printf("%s\n", report.ToJson().c_str());
    } else if (!global.quiet || !report.findings.empty()) {
      std::string options;
      for (const auto& o : report.options) options += (options.empty() ? "" : ", ") + o;
      std::printf(
          "deid-check: %lld identifying values of %s looked for in %lld table cells and %lld "
          "files of %s; birth dates compared for %lld patients (options: %s)\n",
          static_cast<long long>(report.values), identified.lake->root().c_str(),
          static_cast<long long>(report.cells), static_cast<long long>(report.files),
          research.lake->root().c_str(), static_cast<long long>(report.patients_compared),
          options.empty() ? "Basic Profile only" : options.c_str());
      for (const auto& note : report.notes) std::printf("  note: %s\n", note.c_str());
      std::printf("%zu finding(s)%s\n", report.findings.size(), report.findings.empty() ? "" : ":");
      for (const auto& f : report.findings) {
        std::printf("  %s \"%s\" in %s (%lld)\n", f.kind.c_str(), f.value.c_str(), f.where.c_str(),
                    static_cast<long long>(f.count));
      }
    }
    return report.findings.empty() ? kExitOk : kExitInputFailures;
  };
  auto* cmd = AddLakeCommand(
      app, "deid-check",
      "Look for the identified lake's identifying values (names, IDs, UIDs, addresses, birth "
      "dates, ...) anywhere in a research lake; exit 3 when any is found",
      global, exit_code, body);
  cmd->add_option("--against", args->against, "The identified lake the research lake came from")
      ->required();
  cmd->add_flag("--json", args->json, "Print the report as JSON");
}

}  // namespace dicomlake::cli
