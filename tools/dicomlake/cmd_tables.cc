// `dicomlake tables <lake>`: every Delta table with its version, files, rows and bytes.
#include <iostream>

#include "cli.h"
#include "output.h"

namespace dicomlake::cli {

void RegisterTables(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "tables", "List the lake's Delta tables: lakehouse, name, version, files, rows, bytes");
  struct Args {
    std::string lake;
    std::string format = "table";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("lake", args->lake, "Folder of the lake")->required();
  cmd->add_option("--format", args->format, "Output format: table, csv or json")
      ->capture_default_str();
  cmd->callback([&global, exit_code, args] {
    Format format;
    auto session = StartCommand(args->lake, args->format, global, &format, exit_code);
    if (!session.ok()) return;
    auto tables = session->lake->DiscoverTables();
    if (!tables.ok()) {
      *exit_code = Fail(tables.status());
      return;
    }
    lake::QueryResult out;
    out.column_names = {"lakehouse", "table", "version", "files", "rows", "bytes"};
    *exit_code = kExitOk;
    for (const auto& t : *tables) {
      lake::DeltaTable table(t.root, t.display());
      auto snapshot = table.Load(*session->engine);
      if (!snapshot.ok()) {
        std::cerr << "dicomlake: " << snapshot.status().message() << "\n";
        *exit_code = kExitFailed;
        continue;
      }
      int64_t rows = snapshot->NumRecords();
      if (rows < 0) {  // files without stats (written by another tool): count them
        auto scan = table.ScanSql(*snapshot);
        auto count = scan.ok() ? session->engine->Query("SELECT count(*) FROM (" + *scan + ")")
                               : Result<lake::QueryResult>(scan.status());
        rows = count.ok() ? count->rows[0][0].i : -1;
      }
      out.rows.push_back({lake::Value::String(t.lakehouse), lake::Value::String(t.name),
                          lake::Value::Int(snapshot->version),
                          lake::Value::Int(static_cast<int64_t>(snapshot->files.size())),
                          rows >= 0 ? lake::Value::Int(rows) : lake::Value::Null(),
                          lake::Value::Int(snapshot->SizeBytes())});
    }
    PrintResult(out, format, std::cout);
  });
}

}  // namespace dicomlake::cli
