// Shared pieces of the subcommands: exit codes, global options, opening a lake.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <iostream>
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

// Exit codes (documented in the README). A failed command's code comes from its Status code
// (ExitCodeFor), so the code says what kind of failure it was.
enum ExitCode : int {
  kExitOk = 0,             // success
  kExitFailed = 1,         // failed otherwise: not found, conflict, refused SQL, unsupported
  kExitUsage = 2,          // bad command line or bad configuration
  kExitInputFailures = 3,  // the run finished but some input files failed (see BusinessEvents)
  kExitIo = 4,             // a read or write failed, or the disk is full
  kExitOutOfMemory = 5,    // memory ran out (or the configured memory_limit was reached)
  kExitCorrupt = 6,        // stored data (a Delta log, a data file) is corrupt
  kExitInternal = 7,       // a bug in dicomlake or a library it uses: please report it
};

// The exit code of a failed command, by the kind of its error: the one table from Status codes
// to exit codes.
int ExitCodeFor(const Status& status);

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
void RegisterPixels(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterFrames(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterExport(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterIngest(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterFhir(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterSilver(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterSample(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterGold(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterRun(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterStatus(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterDeid(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterDeidCheck(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterRestore(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterVerify(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterMigrate(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterBackup(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterPurge(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterDelete(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterPatch(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterListen(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterPull(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterServe(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterReport(CLI::App& app, GlobalOptions& global, int* exit_code);

// Prints "dicomlake: <message>" to stderr and returns ExitCodeFor(status).
int Fail(const Status& status);

// An opened lake: its configuration and an engine configured from it.
struct Session {
  std::unique_ptr<lake::Lake> lake;
  config::Config config;
  std::unique_ptr<lake::Engine> engine;
};
// The lake's configuration with --set and `extra_overrides` applied; an unusable one is
// kInvalidArgument.
Result<config::Config> LoadConfig(const lake::Lake& lake, const GlobalOptions& global,
                                  const std::vector<std::string>& extra_overrides = {});
// Opens an existing lake (kNotFound with a hint when it is not one; an unusable configuration is
// kInvalidArgument).
Result<Session> OpenSession(const std::string& lake_root, const GlobalOptions& global,
                            const std::vector<std::string>& extra_overrides = {});

// The work of a command: returns its exit code on success (kExitOk, or kExitInputFailures when
// some inputs failed) or the error.
using CommandBody = std::function<Result<int>()>;
using LakeCommandBody = std::function<Result<int>(Session& session)>;

// The skeleton every subcommand shares. AddCommand registers `name`; when it runs, `body` runs
// and an error is printed ("dicomlake: <message>") and turned into its exit code (ExitCodeFor).
// AddLakeCommand also takes the lake folder as first argument and opens the lake (applying --set
// and `overrides()`, when given) before `body`. Add the command's own options to the result.
CLI::App* AddCommand(CLI::App& app, const std::string& name, const std::string& description,
                     int* exit_code, CommandBody body);
CLI::App* AddLakeCommand(CLI::App& app, const std::string& name, const std::string& description,
                         GlobalOptions& global, int* exit_code, LakeCommandBody body,
                         std::function<std::vector<std::string>()> overrides = {});

// The command of a pipeline stage: `dicomlake <name> LAKE [--json]`. `run` runs the stage on the
// opened lake (`interactive`: not --quiet and not --json, so a progress display may be shown);
// its summary is printed as JSON with --json, else by `print` unless --quiet. Exit 3 when the
// summary counts failed input files (a `failed` member above 0), else 0.
template <typename Summary>
CLI::App* AddStageCommand(CLI::App& app, const std::string& name, const std::string& description,
                          GlobalOptions& global, int* exit_code,
                          std::function<Result<Summary>(Session&, bool interactive)> run,
                          std::function<void(const Summary&)> print) {
  auto json = std::make_shared<bool>(false);
  auto body = [&global, json, run, print](Session& session) -> Result<int> {
    DL_ASSIGN_OR_RETURN(Summary summary, run(session, !global.quiet && !*json));
    if (*json) {
      std::cout << summary.ToJson() << "\n";
    } else if (!global.quiet) {
      print(summary);
    }
    if constexpr (requires { summary.failed; }) {
      if (summary.failed > 0) return kExitInputFailures;
    }
    return kExitOk;
  };
  CLI::App* cmd = AddLakeCommand(app, name, description, global, exit_code, body);
  cmd->add_flag("--json", *json, "Print the run summary as JSON");
  return cmd;
}

// Adds --format (table, csv or json) storing into `*format_name`; ParseFormat turns it into a
// Format inside the body (an unknown name is a usage error).
void AddFormatOption(CLI::App* cmd, std::string* format_name);

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

}  // namespace dicomlake::cli
