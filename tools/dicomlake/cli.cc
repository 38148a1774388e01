#include "cli.h"

#include <iostream>

#include "lake/delta_table.h"

namespace dicomlake::cli {

int Fail(const Status& status, int code) {
  std::cerr << "dicomlake: " << status.message() << "\n";
  return code;
}

Result<Session> OpenSession(const std::string& lake_root, const GlobalOptions& global,
                            const std::vector<std::string>& extra_overrides, int* exit_code) {
  Session session;
  session.lake = std::make_unique<lake::Lake>(lake_root);
  *exit_code = kExitFailed;
  DL_RETURN_IF_ERROR(session.lake->CheckExists());
  std::vector<std::string> overrides = global.config_overrides;
  overrides.insert(overrides.end(), extra_overrides.begin(), extra_overrides.end());
  auto config = config::Config::Load(session.lake->root(), overrides);
  if (!config.ok()) {
    *exit_code = kExitUsage;
    return config.status();
  }
  session.config = std::move(*config);
  lake::EngineOptions options;
  options.threads = session.config.settings().global.threads;
  options.memory_limit = session.config.settings().global.memory_limit;
  DL_ASSIGN_OR_RETURN(session.engine, lake::Engine::Open(options));
  *exit_code = kExitOk;
  return session;
}

Result<Session> StartCommand(const std::string& lake_root, const std::string& format_name,
                             const GlobalOptions& global, Format* format, int* exit_code) {
  auto parsed = ParseFormat(format_name);
  if (!parsed.ok()) {
    *exit_code = Fail(parsed.status(), kExitUsage);
    return parsed.status();
  }
  *format = *parsed;
  auto session = OpenSession(lake_root, global, {}, exit_code);
  if (!session.ok()) *exit_code = Fail(session.status(), *exit_code);
  return session;
}

lake::TableOptions TableOptionsFrom(const config::Config& config) {
  lake::TableOptions options;
  options.checkpoint_interval = config.settings().delta.checkpoint_interval;
  options.tombstone_retention_ms =
      static_cast<int64_t>(config.settings().delta.tombstone_retention_hours * 3600.0 * 1000.0);
  return options;
}

}  // namespace dicomlake::cli
