// `dicomlake vacuum <lake> [TABLE...] [--retain-hours N] [--dry-run]`.
#include <iostream>

#include "cli.h"
#include "output.h"

namespace dicomlake::cli {

void RegisterVacuum(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "vacuum",
      "Delete data files no longer referenced by a table and older than the retention period");
  struct Args {
    std::string lake;
    std::vector<std::string> tables;
    double retain_hours = -1;
    bool dry_run = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("lake", args->lake, "Folder of the lake")->required();
  cmd->add_option("tables", args->tables, "Tables to vacuum (default: all)");
  cmd->add_option(
         "--retain-hours", args->retain_hours,
         "Keep unreferenced files younger than this (default: delta.vacuum_retain_hours, 168)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--dry-run", args->dry_run, "List what would be deleted, delete nothing");
  cmd->callback([&global, exit_code, args] {
    std::vector<std::string> overrides;
    if (args->retain_hours >= 0)
      overrides.push_back("delta.vacuum_retain_hours=" + std::to_string(args->retain_hours));
    auto session = OpenSession(args->lake, global, overrides, exit_code);
    if (!session.ok()) {
      *exit_code = Fail(session.status(), *exit_code);
      return;
    }
    std::vector<lake::TableRef> refs;
    if (args->tables.empty()) {
      auto all = session->lake->DiscoverTables();
      if (!all.ok()) {
        *exit_code = Fail(all.status());
        return;
      }
      refs = *all;
    }
    for (const auto& name : args->tables) {
      auto ref = session->lake->FindTable(name);
      if (!ref.ok()) {
        *exit_code = Fail(ref.status());
        return;
      }
      refs.push_back(*ref);
    }
    double hours = session->config.settings().delta.vacuum_retain_hours;
    lake::QueryResult out;
    out.column_names = {"table", args->dry_run ? "files_to_delete" : "files_deleted", "bytes"};
    *exit_code = kExitOk;
    for (const auto& ref : refs) {
      lake::DeltaTable table(ref.root, ref.display(), TableOptionsFrom(session->config));
      auto report = table.Vacuum(*session->engine, hours, args->dry_run);
      if (!report.ok()) {
        std::cerr << "dicomlake: " << report.status().message() << "\n";
        *exit_code = kExitFailed;
        continue;
      }
      out.rows.push_back({lake::Value::String(ref.display()),
                          lake::Value::Int(static_cast<int64_t>(report->deleted.size())),
                          lake::Value::Int(report->bytes_deleted)});
      if (args->dry_run) {
        for (const auto& f : report->deleted) std::cout << ref.display() << "/" << f << "\n";
      }
    }
    if (!global.quiet) PrintResult(out, Format::kTable, std::cout);
  });
}

}  // namespace dicomlake::cli
