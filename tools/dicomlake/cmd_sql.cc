// `dicomlake sql <lake> [QUERY]`: SQL over views of the lake's tables (bronze.ImagingDicom,
// silver.ImagingStudy, ...). Without QUERY, SQL comes from stdin: a script when piped, an
// interactive prompt on a terminal.
#include <unistd.h>

#include <iostream>
#include <iterator>

#include "cli.h"
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
  };
  auto args = std::make_shared<Args>();
  auto body = [args](Session& session) -> Result<int> {
    DL_ASSIGN_OR_RETURN(Format format, ParseFormat(args->format));
    std::vector<std::string> warnings;
    DL_RETURN_IF_ERROR(session.lake->RegisterViews(*session.engine, &warnings));
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
  AddFormatOption(cmd, &args->format);
}

}  // namespace dicomlake::cli
