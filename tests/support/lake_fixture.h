// A lake for an end-to-end test: its folder, an engine, and the queries tests ask of it (SQL over
// the lake's tables as views, a count, rows as text, table versions) and the CLI binary.
// The one home of these helpers; every e2e test uses them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lake/engine.h"
#include "lake/lake.h"

namespace dicomlake::testing {

class LakeFixture {
 public:
  // A lake object at `root` (not created: call pipeline::InitLake or `dicomlake init`).
  explicit LakeFixture(const std::string& root);

  // Runs `dicomlake <args>`; returns its exit status, stdout and stderr in `*out`.
  int Cli(const std::string& args, std::string* out = nullptr);
  // Runs `sql` with every table of the lake as a view (`bronze.ImagingDicom`, ...); a failure is
  // a test failure (and an empty result).
  lake::QueryResult Sql(const std::string& sql);
  // The first value of the first row of `sql`, an integer.
  int64_t Count(const std::string& sql);
  // Each row of `sql` as "v1|v2|...|".
  std::vector<std::string> Rows(const std::string& sql);
  // The latest version of every bronze, silver and gold table, by "lakehouse/name".
  std::map<std::string, int64_t> DataVersions();

  lake::Lake& lake() { return lake_; }
  lake::Engine& engine() { return *engine_; }

  lake::Lake lake_;
  std::unique_ptr<lake::Engine> engine_;
};

// `sql` over the tables of `lake` as views; a failure is a test failure (and an empty result).
lake::QueryResult QueryLake(const lake::Lake& lake, lake::Engine& engine, const std::string& sql);
// The first value of the first row of `sql`, an integer.
int64_t CountLake(const lake::Lake& lake, lake::Engine& engine, const std::string& sql);

// The path of the dicomlake binary the tests run.
std::string DicomlakeBinary();

}  // namespace dicomlake::testing
