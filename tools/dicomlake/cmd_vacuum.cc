// `dicomlake vacuum <lake> [TABLE...] [--retain-hours N] [--dry-run]`.
#include <iostream>

#include "cli.h"
#include "output.h"

namespace dicomlake::cli {
namespace {

struct VacuumArgs {
  std::vector<std::string> tables;
  double retain_hours = -1;
  bool dry_run = false;
};

Result<int> Vacuum(Session& session, const GlobalOptions& global, const VacuumArgs& args) {
  std::vector<lake::TableRef> refs;
  if (args.tables.empty()) {
    DL_ASSIGN_OR_RETURN(refs, session.lake->DiscoverTables());
  }
  for (const auto& name : args.tables) {
    DL_ASSIGN_OR_RETURN(lake::TableRef ref, session.lake->FindTable(name));
    refs.push_back(ref);
  }
  double hours = session.config.settings().delta.vacuum_retain_hours;
  lake::QueryResult out;
  out.column_names = {"table", args.dry_run ? "files_to_delete" : "files_deleted", "bytes"};
  int rc = kExitOk;
  for (const auto& ref : refs) {
    lake::DeltaTable table = session.lake->OpenTable(ref);
    auto report = table.Vacuum(*session.engine, hours, args.dry_run);
    if (!report.ok()) {  // the other tables are still vacuumed
      rc = Fail(report.status());
      continue;
    }
    out.rows.push_back({lake::Value::String(ref.display()),
                        lake::Value::Int(static_cast<int64_t>(report->deleted.size())),
                        lake::Value::Int(report->bytes_deleted)});
    if (args.dry_run) {
      for (const auto& f : report->deleted) std::cout << ref.display() << "/" << f << "\n";
    }
  }
  if (!global.quiet) PrintResult(out, Format::kTable, std::cout);
  return rc;
}

}  // namespace

void RegisterVacuum(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<VacuumArgs>();
  auto overrides = [args] {
    std::vector<std::string> out;
    if (args->retain_hours >= 0)
      out.push_back("delta.vacuum_retain_hours=" + std::to_string(args->retain_hours));
    return out;
  };
  auto* cmd = AddLakeCommand(
      app, "vacuum",
      "Delete data files no longer referenced by a table and older than the retention period",
      global, exit_code,
      [&global, args](Session& session) { return Vacuum(session, global, *args); }, overrides);
  cmd->add_option("tables", args->tables, "Tables to vacuum (default: all)");
  cmd->add_option(
         "--retain-hours", args->retain_hours,
         "Keep unreferenced files younger than this (default: delta.vacuum_retain_hours, 168)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--dry-run", args->dry_run, "List what would be deleted, delete nothing");
}

}  // namespace dicomlake::cli
