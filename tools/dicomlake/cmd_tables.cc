// `dicomlake tables <lake>`: every Delta table with its version, files, rows and bytes.
#include <iostream>

#include "cli.h"
#include "output.h"

namespace dicomlake::cli {

void RegisterTables(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "tables", "List the lake's Delta tables: lakehouse, name, version, files, rows, bytes");
  struct Args {
    std::string lake;
    std::string format = "table";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("lake", args->lake, "Folder of the lake")->required();
  cmd->add_option("--format", args->format, "Output format: table, csv or json")
      ->capture_default_str();
  cmd->callback([&global, exit_code, args] {
    Format format;
    auto session = StartCommand(args->lake, args->format, global, &format, exit_code);
    if (!session.ok()) return;
    auto out = TableSummary(*session->lake, *session->engine);
    if (!out.ok()) {
      *exit_code = Fail(out.status());
      return;
    }
    *exit_code = kExitOk;
    PrintResult(*out, format, std::cout);
  });
}

}  // namespace dicomlake::cli
