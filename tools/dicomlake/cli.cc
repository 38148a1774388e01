#include "cli.h"

#include <cstdio>
#include <iostream>

#include "lake/delta_table.h"
#include "pipeline/stage_runner.h"

namespace dicomlake::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    case StatusCode::kIoError:
    case StatusCode::kNoSpace:
      return kExitIo;
    case StatusCode::kOutOfMemory:
      return kExitOutOfMemory;
    case StatusCode::kCorrupt:
      return kExitCorrupt;
    case StatusCode::kInternal:
      return kExitInternal;
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kConflict:
    case StatusCode::kUnsupported:
    case StatusCode::kInvalidQuery:
      return kExitFailed;
  }
  return kExitFailed;
}

int Fail(const Status& status) {
  std::cerr << "dicomlake: " << status.message() << "\n";
  return ExitCodeFor(status);
}

Result<config::Config> LoadConfig(const lake::Lake& lake, const GlobalOptions& global,
                                  const std::vector<std::string>& extra_overrides) {
  std::vector<std::string> overrides = global.config_overrides;
  overrides.insert(overrides.end(), extra_overrides.begin(), extra_overrides.end());
  auto config = config::Config::Load(lake.root(), overrides);
  if (config.ok()) return config;
  // A configuration that cannot be used is the user's to fix, unless the disk failed.
  Status st = config.status();
  bool io = st.code() == StatusCode::kIoError || st.code() == StatusCode::kNoSpace;
  return io ? st : InvalidArgument(st.message());
}

Result<Session> OpenSession(const std::string& lake_root, const GlobalOptions& global,
                            const std::vector<std::string>& extra_overrides) {
  Session session;
  session.lake = std::make_unique<lake::Lake>(lake_root);
  DL_RETURN_IF_ERROR(session.lake->CheckExists());
  DL_ASSIGN_OR_RETURN(session.config, LoadConfig(*session.lake, global, extra_overrides));
  session.lake->set_table_options(pipeline::TableOptionsFrom(session.config));
  lake::EngineOptions options;
  options.threads = session.config.settings().global.threads;
  options.memory_limit = session.config.settings().global.memory_limit;
  DL_ASSIGN_OR_RETURN(session.engine, lake::Engine::Open(options));
  return session;
}

CLI::App* AddCommand(CLI::App& app, const std::string& name, const std::string& description,
                     int* exit_code, CommandBody body) {
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->callback([exit_code, body = std::move(body)] {
    Result<int> rc = body();
    *exit_code = rc.ok() ? *rc : Fail(rc.status());
  });
  return cmd;
}

CLI::App* AddLakeCommand(CLI::App& app, const std::string& name, const std::string& description,
                         GlobalOptions& global, int* exit_code, LakeCommandBody body,
                         std::function<std::vector<std::string>()> overrides) {
  auto lake_root = std::make_shared<std::string>();
  CLI::App* cmd = AddCommand(
      app, name, description, exit_code,
      [&global, lake_root, body = std::move(body),
       overrides = std::move(overrides)]() -> Result<int> {
        DL_ASSIGN_OR_RETURN(
            Session session,
            OpenSession(*lake_root, global, overrides ? overrides() : std::vector<std::string>{}));
        return body(session);
      });
  cmd->add_option("lake", *lake_root, "Folder of the lake")->required();
  return cmd;
}

void AddFormatOption(CLI::App* cmd, std::string* format_name) {
  cmd->add_option("--format", *format_name, "Output format: table, csv or json")
      ->capture_default_str();
}

void ProgressBar::Update(int64_t done, int64_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  shown_ = true;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  int width = 30;
  int filled = total > 0 ? static_cast<int>(width * done / total) : width;
  std::string eta_text = rate > 0 ? std::to_string(static_cast<int64_t>(eta)) + "s" : "--";
  std::fprintf(stderr, "\r[%s%s] %lld/%lld %s  %.0f/s  ETA %s   ",
               std::string(static_cast<size_t>(filled), '#').c_str(),
               std::string(static_cast<size_t>(width - filled), ' ').c_str(),
               static_cast<long long>(done), static_cast<long long>(total), label_.c_str(), rate,
               eta_text.c_str());
  std::fflush(stderr);
}

void ProgressBar::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shown_) std::fprintf(stderr, "\n");
}

}  // namespace dicomlake::cli
