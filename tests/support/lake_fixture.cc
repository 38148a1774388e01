#include "support/lake_fixture.h"

#include <gtest/gtest.h>

#include "lake/delta_table.h"
#include "support/test_dir.h"

namespace dicomlake::testing {

std::string DicomlakeBinary() { return DICOMLAKE_BIN; }

LakeFixture::LakeFixture(const std::string& root) : lake_(root) {
  auto engine = lake::Engine::Open({2, ""});
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  if (engine.ok()) engine_ = std::move(*engine);
}

int LakeFixture::Cli(const std::string& args, std::string* out) {
  std::string text;
  int rc = RunCommand(DicomlakeBinary() + " " + args, &text, true);
  if (out != nullptr) *out = text;
  return rc;
}

lake::QueryResult QueryLake(const lake::Lake& lake, lake::Engine& engine, const std::string& sql) {
  std::vector<std::string> warnings;
  EXPECT_TRUE(lake.RegisterViews(engine, &warnings).ok());
  auto r = engine.Query(sql);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
  return r.ok() ? *r : lake::QueryResult{};
}

int64_t CountLake(const lake::Lake& lake, lake::Engine& engine, const std::string& sql) {
  auto r = QueryLake(lake, engine, sql);
  EXPECT_FALSE(r.rows.empty()) << sql;
  return r.rows.empty() ? -1 : r.rows.at(0).at(0).i;
}

lake::QueryResult LakeFixture::Sql(const std::string& sql) {
  return QueryLake(lake_, *engine_, sql);
}

int64_t LakeFixture::Count(const std::string& sql) { return CountLake(lake_, *engine_, sql); }

std::vector<std::string> LakeFixture::Rows(const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& r : Sql(sql).rows) {
    std::string line;
    for (const auto& v : r) line += v.ToDisplay() + "|";
    out.push_back(line);
  }
  return out;
}

std::map<std::string, int64_t> LakeFixture::DataVersions() {
  std::map<std::string, int64_t> out;
  auto tables = lake_.DiscoverTables();
  EXPECT_TRUE(tables.ok());
  if (!tables.ok()) return out;
  for (const auto& t : *tables) {
    if (t.lakehouse == "admin") continue;
    lake::DeltaTable table(t.root, t.display());
    auto version = table.log().LatestVersion();
    EXPECT_TRUE(version.ok());
    out[t.display()] = version.ok() ? *version : -1;
  }
  return out;
}

}  // namespace dicomlake::testing
