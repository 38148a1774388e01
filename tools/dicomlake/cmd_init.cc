// `dicomlake init <lake>`: creates a lake (folders, configuration, admin tables).
#include <iostream>

#include "cli.h"
#include "pipeline/admin_tables.h"

namespace dicomlake::cli {

void RegisterInit(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "init", "Create a lake: lakehouse folders, configuration file, admin tables");
  auto lake_root = std::make_shared<std::string>();
  cmd->add_option("lake", *lake_root, "Folder of the lake (created if missing)")->required();
  cmd->callback([&global, exit_code, lake_root] {
    lake::Lake lake(*lake_root);
    auto engine = lake::Engine::Open();
    if (!engine.ok()) {
      *exit_code = Fail(engine.status());
      return;
    }
    auto report = pipeline::InitLake(lake, **engine);
    if (!report.ok()) {
      *exit_code = Fail(report.status());
      return;
    }
    // Validate the configuration now, so that a bad file is reported at once.
    auto config = config::Config::Load(lake.root(), global.config_overrides);
    if (!config.ok()) {
      *exit_code = Fail(config.status(), kExitUsage);
      return;
    }
    if (!global.quiet) {
      std::cout << (report->tables_created > 0 ? "Created lake at "
                                               : "Lake already initialised at ")
                << lake.root() << "\n";
      std::cout << "  configuration: " << lake.ConfigPath()
                << (report->created_config ? " (new)" : " (kept)") << "\n";
      std::cout << "  drop DICOM files into " << lake.FilesPath("bronze")
                << "/Ingest/Imaging/DICOM/<namespace>/\n";
    }
    *exit_code = kExitOk;
  });
}

}  // namespace dicomlake::cli
