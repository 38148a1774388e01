// `dicomlake tables <lake>`: every Delta table with its version, files, rows and bytes.
#include <iostream>

#include "cli.h"
#include "output.h"

namespace dicomlake::cli {

void RegisterTables(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto format_name = std::make_shared<std::string>("table");
  auto* cmd = AddLakeCommand(
      app, "tables", "List the lake's Delta tables: lakehouse, name, version, files, rows, bytes",
      global, exit_code, [format_name](Session& session) -> Result<int> {
        DL_ASSIGN_OR_RETURN(Format format, ParseFormat(*format_name));
        DL_ASSIGN_OR_RETURN(auto out, lake::TableSummary(*session.lake, *session.engine));
        PrintResult(out, format, std::cout);
        return kExitOk;
      });
  AddFormatOption(cmd, format_name.get());
}

}  // namespace dicomlake::cli
