// The options that say where `ingest` and `run` read from (--pattern, --source, --namespace),
// registered and interpreted in one place so the two commands mean the same by them.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common/status.h"
#include "pipeline/ingest_stage.h"

namespace dicomlake::cli {

struct SourceArgs {
  std::string pattern = "ingest", name_space, source;
  CLI::Option* pattern_option = nullptr;  // to tell a given --pattern from the default
};

// Adds --pattern, --namespace and --source to `cmd`, storing into `*args`.
void AddSourceOptions(CLI::App* cmd, SourceArgs* args);

// What the arguments mean. `--source DIR` reads DIR in place, which is the BYOS pattern: without
// --pattern it implies byos; with another pattern it is a usage error (it would be ignored); DIR
// must be an existing folder (kInvalidArgument naming it). With --source, --namespace names the
// source system of every file in DIR; without, it selects one namespace folder.
Result<pipeline::IngestOptions> IngestOptionsFrom(const SourceArgs& args);

}  // namespace dicomlake::cli
