// Shared pieces of the subcommands: exit codes, global options, opening a lake.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "output.h"

namespace dicomlake::cli {

// Exit codes (documented in the README).
enum ExitCode : int {
  kExitOk = 0,             // success
  kExitFailed = 1,         // the command failed: I/O error, corrupt table, SQL error, ...
  kExitUsage = 2,          // bad command line or bad configuration
  kExitInputFailures = 3,  // the run finished but some input files failed (see BusinessEvents)
};

struct GlobalOptions {
  std::vector<std::string> config_overrides;  // --set section.key=value
  bool quiet = false;
};

// Each subcommand registers itself and sets `*exit_code` when it runs.
using Register = void (*)(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterInit(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterConfig(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterTables(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterHistory(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterSql(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterVacuum(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterDump(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterIngest(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterFhir(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterSilver(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterSample(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterGold(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterRun(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterStatus(CLI::App& app, GlobalOptions& global, int* exit_code);

// Prints "dicomlake: <message>" to stderr and returns `code`.
int Fail(const Status& status, int code = kExitFailed);

// An opened lake: its configuration and an engine configured from it.
struct Session {
  std::unique_ptr<lake::Lake> lake;
  config::Config config;
  std::unique_ptr<lake::Engine> engine;
};
// Opens an existing lake (kNotFound with a hint when it is not one). On error, `*exit_code`
// says which exit code fits.
Result<Session> OpenSession(const std::string& lake_root, const GlobalOptions& global,
                            const std::vector<std::string>& extra_overrides, int* exit_code);

// The common start of a command that prints a result: parses `format_name` into `*format` and
// opens the lake. On failure prints the error, sets `*exit_code` and returns an error.
Result<Session> StartCommand(const std::string& lake_root, const std::string& format_name,
                             const GlobalOptions& global, Format* format, int* exit_code);

lake::TableOptions TableOptionsFrom(const config::Config& config);

// A one-line progress display on a terminal: files done, files/s, ETA. Thread-safe.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label = "files") : label_(std::move(label)) {}
  void Update(int64_t done, int64_t total);
  void Finish();

 private:
  std::string label_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
  bool shown_ = false;
};

// The lake's tables with version, files, rows and bytes (what `dicomlake tables` prints).
Result<lake::QueryResult> TableSummary(const lake::Lake& lake, lake::Engine& engine);

}  // namespace dicomlake::cli
