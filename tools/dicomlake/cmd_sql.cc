// `dicomlake sql <lake> [QUERY]`: SQL over views of the lake's tables (bronze.ImagingDicom,
// silver.ImagingStudy, ...). Without QUERY, SQL comes from stdin: a script when piped, an
// interactive prompt on a terminal.
#include <unistd.h>

#include <iostream>
#include <iterator>

#include "cli.h"
#include "common/time_util.h"
#include "output.h"

namespace dicomlake::cli {
namespace {

// Runs a script and prints the result of each statement that returns rows.
Status RunAndPrint(lake::Engine& engine, const std::string& sql, Format format) {
  DL_ASSIGN_OR_RETURN(auto results, engine.RunScript(sql));
  for (const auto& r : results) {
    if (r.returns_rows) PrintResult(r, format, std::cout);
  }
  return Status::Ok();
}

// A minimal REPL: statements end with ';'; `.quit`, `\q` or end of input leave.
int Interactive(lake::Engine& engine, Format format) {
  std::cout << "dicomlake SQL. Tables: `SELECT * FROM information_schema.tables`. End statements "
               "with ';', "
               "leave with .quit\n";
  std::string buffer, line;
  int rc = kExitOk;
  for (;;) {
    std::cout << (buffer.empty() ? "dicomlake> " : "      ...> ") << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (buffer.empty() && (line == ".quit" || line == ".exit" || line == "\\q")) break;
    buffer += line + "\n";
    auto last = line.find_last_not_of(" \t\r");
    if (last == std::string::npos || line[last] != ';') continue;
    Status st = RunAndPrint(engine, buffer, format);
    if (!st.ok()) {
      std::cerr << "Error: " << st.message() << "\n";
      rc = ExitCodeFor(st);
    }
    buffer.clear();
  }
  std::cout << "\n";
  return rc;
}

}  // namespace

void RegisterSql(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    std::string query;
    std::string format = "table";
    std::string as_of;
  };
  auto args = std::make_shared<Args>();
  auto body = [args](Session& session) -> Result<int> {
    DL_ASSIGN_OR_RETURN(Format format, ParseFormat(args->format));
    lake::AsOf as_of;
    if (!args->as_of.empty()) {
      if (args->as_of.find_first_not_of("0123456789") == std::string::npos) {
        as_of.version = std::stoll(args->as_of);
      } else if (auto us = ParseTimestampIso(args->as_of)) {
        as_of.timestamp_ms = *us / 1000;
      } else {
        return InvalidArgument("--as-of \"" + args->as_of +
                               "\" is neither a version number nor a time like "
                               "2026-12-03T10:00:00Z");
      }
    }
    std::vector<std::string> warnings;
    DL_RETURN_IF_ERROR(session.lake->RegisterViews(*session.engine, &warnings, as_of));
    for (const auto& w : warnings) std::cerr << "dicomlake: warning: table skipped: " << w << "\n";
    if (args->query.empty() && isatty(STDIN_FILENO)) return Interactive(*session.engine, format);
    std::string sql = args->query;
    if (sql.empty())
      sql.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    DL_RETURN_IF_ERROR(RunAndPrint(*session.engine, sql, format));
    return kExitOk;
  };
  auto* cmd = AddLakeCommand(
      app, "sql",
      "Query the lake with SQL (views like bronze.ImagingDicom over the latest versions)", global,
      exit_code, body);
  cmd->add_option("query", args->query, "SQL to run; without it SQL is read from stdin");
  cmd->add_option("--as-of", args->as_of,
                  "Time travel: every table as of a version number (a table with fewer versions "
                  "at its latest) or a time (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], UTC by default: "
                  "each table's last version committed by then)");
  AddFormatOption(cmd, &args->format);
}

}  // namespace dicomlake::cli
