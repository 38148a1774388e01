// Fixity of stored originals, shared by `verify` (the lake's copies) and `backup` (each copy it
// makes): what bronze recorded of every stored file (its whole hash, or its members' hashes when
// it is a ZIP/TAR), and the check that re-reads a file and recomputes those XXH3-128 hashes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace dicomlake::lake {
class Engine;
class Lake;
}  // namespace dicomlake::lake

namespace dicomlake::pipeline {

class StageRun;

struct StoredMember {
  std::string member, content_hash;
};

// One stored file and what bronze says it holds: the whole file (no members), or members.
struct StoredOriginal {
  std::string path;  // absolute
  std::vector<StoredMember> members;
  std::string whole_hash;  // when the file itself is the original
};

struct FixityProblem {
  // "missing", "corrupt" (a copy the lake keeps: its bytes changed), "changed-in-place" (a file
  // read in place, BYOS, that changed since ingest), "missing-data-file", "data-file-size".
  std::string state;
  std::string path, member, detail;
};

struct FixityOutcome {
  int64_t checked = 0, bytes = 0;  // instances checked, bytes of originals read
  std::vector<FixityProblem> problems;
};

// The stored originals that the rows of `bronze_relation` (a SQL relation with bronze's
// filePath, archiveMember and contentHash, e.g. a view or a snapshot's scan) reference, every
// version, paths resolved against the lake; `where` (SQL, may be empty) narrows the rows.
Result<std::vector<StoredOriginal>> ListStoredOriginals(lake::Engine& engine,
                                                        const lake::Lake& lake,
                                                        const std::string& bronze_relation,
                                                        const std::string& where = "");

// Re-reads the file at `read_path` (`f.path` itself, or a copy of it) and compares its hashes
// with those bronze recorded (archive members hashed as they are read, not written anywhere);
// problems name `f.path`. A changed file is "corrupt" when `kept_by_lake`, else
// "changed-in-place".
FixityOutcome CheckStoredOriginal(const StoredOriginal& f, const std::string& read_path,
                                  bool kept_by_lake);

// The problems as a JSON array of {state, path, member, detail} (the commands' --json).
nlohmann::ordered_json FixityProblemsJson(const std::vector<FixityProblem>& problems);
// Records each problem as an admin.BusinessEvents row of `run` (its state in customDimensions).
void RecordFixityProblems(StageRun& run, const std::vector<FixityProblem>& problems);

}  // namespace dicomlake::pipeline
