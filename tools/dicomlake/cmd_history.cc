// `dicomlake history <lake> <table>`: the commits of a table, newest first.
#include <iostream>

#include "cli.h"
#include "common/time_util.h"
#include "output.h"

namespace dicomlake::cli {

void RegisterHistory(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand("history",
                                 "Show the commits of a table (version, time, operation, metrics)");
  struct Args {
    std::string lake, table;
    std::string format = "table";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("lake", args->lake, "Folder of the lake")->required();
  cmd->add_option("table", args->table, "Table, e.g. bronze.ImagingDicom or ImagingDicom")
      ->required();
  cmd->add_option("--format", args->format, "Output format: table, csv or json")
      ->capture_default_str();
  cmd->callback([&global, exit_code, args] {
    Format format;
    auto session = StartCommand(args->lake, args->format, global, &format, exit_code);
    if (!session.ok()) return;
    auto ref = session->lake->FindTable(args->table);
    if (!ref.ok()) {
      *exit_code = Fail(ref.status());
      return;
    }
    lake::DeltaTable table(ref->root, ref->display());
    auto history = table.History();
    if (!history.ok()) {
      *exit_code = Fail(history.status());
      return;
    }
    lake::QueryResult out;
    out.column_names = {"version", "timestamp", "operation", "parameters", "metrics"};
    for (const auto& h : *history) {
      out.rows.push_back(
          {lake::Value::Int(h.version), lake::Value::Timestamp(h.timestamp_ms * 1000),
           lake::Value::String(h.operation), lake::Value::String(h.operation_parameters),
           lake::Value::String(h.operation_metrics)});
    }
    PrintResult(out, format, std::cout);
    *exit_code = kExitOk;
  });
}

}  // namespace dicomlake::cli
