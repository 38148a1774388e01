// `dicomlake config show <lake>`: the effective configuration (flag > file > default).
#include <iostream>

#include "cli.h"
#include "output.h"

namespace dicomlake::cli {

void RegisterConfig(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand("config", "Inspect the configuration of a lake");
  cmd->require_subcommand(1);
  auto sources = std::make_shared<bool>(false);
  auto body = [sources](Session& session) -> Result<int> {
    const config::Config& config = session.config;
    if (!*sources) {
      std::cout << config.ToJson();
    } else {
      lake::QueryResult table;
      table.column_names = {"key", "value", "source", "meaning"};
      for (const auto& e : config.entries()) {
        table.rows.push_back({lake::Value::String(e.key), lake::Value::String(e.value),
                              lake::Value::String(SourceName(e.source)),
                              lake::Value::String(e.doc)});
      }
      PrintResult(table, Format::kTable, std::cout);
    }
    return kExitOk;
  };
  auto* show = AddLakeCommand(*cmd, "show", "Print the effective configuration as JSON", global,
                              exit_code, body);
  show->add_flag("--sources", *sources,
                 "Print each key with its value, origin (default, file, flag) and meaning");
}

}  // namespace dicomlake::cli
