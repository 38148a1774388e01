// `dicomlake status <lake>`: the last runs (admin.ExecutionSummary), the latest failures
// (admin.BusinessEvents) and the table versions.
#include <iostream>

#include "cli.h"
#include "output.h"

namespace dicomlake::cli {

void RegisterStatus(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    std::string format = "table";
    int limit = 10;
  };
  auto args = std::make_shared<Args>();
  auto body = [args](Session& session) -> Result<int> {
    DL_ASSIGN_OR_RETURN(Format format, ParseFormat(args->format));
    std::vector<std::string> warnings;
    DL_RETURN_IF_ERROR(session.lake->RegisterViews(*session.engine, &warnings));
    for (const auto& w : warnings) std::cerr << "dicomlake: " << w << "\n";
    std::string limit = std::to_string(args->limit);
    struct Section {
      const char* title;
      std::string sql;
    };
    std::vector<Section> sections = {
        {"Last runs (admin.ExecutionSummary)",
         "SELECT msftCreatedDatetime AS started, activityName AS activity, executionStatus AS "
         "status, numSourceRecords AS source_records, numTargetRecords AS target_records, "
         "round(elapsedTime, 1) AS seconds, runId FROM admin.ExecutionSummary ORDER BY "
         "msftCreatedDatetime DESC LIMIT " +
             limit},
        {"Latest failures and problems (admin.BusinessEvents)",
         "SELECT eventDateTime AS time, activityName AS activity, severity, coalesce("
         "nullif(sourceFilePath, ''), recordIdentifier) AS what, message FROM "
         "admin.BusinessEvents ORDER BY eventDateTime DESC, severity LIMIT " +
             limit},
        {"Problems by kind",
         "SELECT activityName AS activity, severity, count(*) AS events FROM "
         "admin.BusinessEvents GROUP BY ALL ORDER BY 3 DESC"},
    };
    for (const auto& s : sections) {
      if (format == Format::kTable) std::cout << "\n" << s.title << "\n";
      auto r = session.engine->Query(s.sql);
      if (!r.ok()) {
        std::cout << "  (none)\n";
        continue;
      }
      PrintResult(*r, format, std::cout);
    }
    if (format == Format::kTable) std::cout << "\nTables\n";
    DL_ASSIGN_OR_RETURN(auto tables, lake::TableSummary(*session.lake, *session.engine));
    PrintResult(tables, format, std::cout);
    return kExitOk;
  };
  auto* cmd = AddLakeCommand(
      app, "status", "Show the last runs, the latest failures and problems, and the table versions",
      global, exit_code, body);
  cmd->add_option("--limit", args->limit, "Rows per section")->capture_default_str();
  AddFormatOption(cmd, &args->format);
}

}  // namespace dicomlake::cli
