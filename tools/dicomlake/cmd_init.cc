// `dicomlake init <lake>`: creates a lake (folders, configuration, admin tables).
#include <iostream>

#include "cli.h"
#include "pipeline/admin_tables.h"

namespace dicomlake::cli {

void RegisterInit(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto lake_root = std::make_shared<std::string>();
  auto body = [&global, lake_root]() -> Result<int> {
    lake::Lake lake(*lake_root);
    DL_ASSIGN_OR_RETURN(auto engine, lake::Engine::Open());
    DL_ASSIGN_OR_RETURN(auto report, pipeline::InitLake(lake, *engine));
    // Validate the configuration now, so that a bad file is reported at once.
    DL_RETURN_IF_ERROR(LoadConfig(lake, global).status());
    if (!global.quiet) {
      std::cout << (report.tables_created > 0 ? "Created lake at " : "Lake already initialised at ")
                << lake.root() << "\n";
      std::cout << "  configuration: " << lake.ConfigPath()
                << (report.created_config ? " (new)" : " (kept)") << "\n";
      std::cout << "  drop DICOM files into " << lake.FilesPath("bronze")
                << "/Ingest/Imaging/DICOM/<namespace>/\n";
    }
    return kExitOk;
  };
  auto* cmd =
      AddCommand(app, "init", "Create a lake: lakehouse folders, configuration file, admin tables",
                 exit_code, body);
  cmd->add_option("lake", *lake_root, "Folder of the lake (created if missing)")->required();
}

}  // namespace dicomlake::cli
