// dicomlake: turns DICOM files into a Delta Lake lakehouse. See README.md for the commands and
// their exit codes.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli.h"

int main(int argc, char** argv) {
  using namespace dicomlake::cli;
  CLI::App app{"dicomlake: DICOM to a Delta Lake lakehouse (bronze, FHIR, silver, OMOP gold)",
               "dicomlake"};
  app.set_version_flag("--version", std::string("dicomlake ") + DICOMLAKE_VERSION);
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_option("--set", global.config_overrides,
                 "Override a configuration key for this run: --set section.key=value (repeatable)")
      ->type_name("KEY=VALUE");
  app.add_flag("-q,--quiet", global.quiet, "Print only results and errors");

  int exit_code = kExitOk;
  for (Register reg :
       {RegisterInit,   RegisterConfig,    RegisterTables,  RegisterHistory, RegisterSql,
        RegisterVacuum, RegisterDump,      RegisterPixels,  RegisterFrames,  RegisterExport,
        RegisterDeid,   RegisterDeidCheck, RegisterRestore, RegisterVerify,  RegisterMigrate,
        RegisterBackup, RegisterPurge,     RegisterDelete,  RegisterPatch,   RegisterListen,
        RegisterPull,   RegisterServe,     RegisterReport,  RegisterIngest,  RegisterFhir,
        RegisterSilver, RegisterSample,    RegisterGold,    RegisterRun,     RegisterStatus}) {
    reg(app, global, &exit_code);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // --help and --version are successes; every other parse error is a usage error.
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}
