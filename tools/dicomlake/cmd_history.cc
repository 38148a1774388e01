// `dicomlake history <lake> <table>`: the commits of a table, newest first.
#include <iostream>

#include "cli.h"
#include "common/time_util.h"
#include "output.h"

namespace dicomlake::cli {

void RegisterHistory(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    std::string table;
    std::string format = "table";
  };
  auto args = std::make_shared<Args>();
  auto body = [args](Session& session) -> Result<int> {
    DL_ASSIGN_OR_RETURN(Format format, ParseFormat(args->format));
    DL_ASSIGN_OR_RETURN(lake::TableRef ref, session.lake->FindTable(args->table));
    lake::DeltaTable table = session.lake->OpenTable(ref);
    DL_ASSIGN_OR_RETURN(auto history, table.History());
    lake::QueryResult out;
    out.column_names = {"version", "timestamp", "operation", "parameters", "metrics"};
    for (const auto& h : history) {
      out.rows.push_back(
          {lake::Value::Int(h.version), lake::Value::Timestamp(h.timestamp_ms * 1000),
           lake::Value::String(h.operation), lake::Value::String(h.operation_parameters),
           lake::Value::String(h.operation_metrics)});
    }
    PrintResult(out, format, std::cout);
    return kExitOk;
  };
  auto* cmd = AddLakeCommand(app, "history",
                             "Show the commits of a table (version, time, operation, "
                             "metrics)",
                             global, exit_code, body);
  cmd->add_option("table", args->table, "Table, e.g. bronze.ImagingDicom or ImagingDicom")
      ->required();
  AddFormatOption(cmd, &args->format);
}

}  // namespace dicomlake::cli
