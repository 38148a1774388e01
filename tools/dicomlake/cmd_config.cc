// `dicomlake config show <lake>`: the effective configuration (flag > file > default).
#include <iostream>

#include "cli.h"
#include "output.h"

namespace dicomlake::cli {

void RegisterConfig(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand("config", "Inspect the configuration of a lake");
  cmd->require_subcommand(1);
  auto* show = cmd->add_subcommand("show", "Print the effective configuration as JSON");
  struct Args {
    std::string lake;
    bool sources = false;
  };
  auto args = std::make_shared<Args>();
  show->add_option("lake", args->lake, "Folder of the lake")->required();
  show->add_flag("--sources", args->sources,
                 "Print each key with its value, origin (default, file, flag) and meaning");
  show->callback([&global, exit_code, args] {
    lake::Lake lake(args->lake);
    if (Status st = lake.CheckExists(); !st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    auto config = config::Config::Load(lake.root(), global.config_overrides);
    if (!config.ok()) {
      *exit_code = Fail(config.status(), kExitUsage);
      return;
    }
    if (!args->sources) {
      std::cout << config->ToJson();
    } else {
      lake::QueryResult table;
      table.column_names = {"key", "value", "source", "meaning"};
      for (const auto& e : config->entries()) {
        table.rows.push_back({lake::Value::String(e.key), lake::Value::String(e.value),
                              lake::Value::String(SourceName(e.source)),
                              lake::Value::String(e.doc)});
      }
      PrintResult(table, Format::kTable, std::cout);
    }
    *exit_code = kExitOk;
  });
}

}  // namespace dicomlake::cli
