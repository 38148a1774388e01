// The CLI as a user runs it: commands, output and exit codes (README "Exit codes").
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "common/fs.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

using testing::RunCommand;

struct CliRun {
  int code;
  std::string out;
};

CliRun Cli(const std::string& args, bool merge_stderr = false) {
  CliRun r;
  r.code = RunCommand(std::string(DICOMLAKE_BIN) + " " + args, &r.out, merge_stderr);
  return r;
}

TEST(CliTest, VersionAndHelpOnEverySubcommand) {
  CliRun v = Cli("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("dicomlake "), std::string::npos);
  for (const char* sub :
       {"init", "config", "config show", "tables", "history", "sql", "vacuum", "dump", "pixels",
        "export", "ingest", "fhir", "silver", "sample", "gold", "run", "status"}) {
    CliRun h = Cli(std::string(sub) + " --help");
    EXPECT_EQ(h.code, 0) << sub;
    EXPECT_NE(h.out.find("Usage"), std::string::npos) << sub;
    // Every option and positional states what it is for: no line is a bare name and type.
    std::istringstream lines(h.out);
    std::string line;
    bool in_list = false;
    std::string pending;  // an option whose description CLI11 wrapped onto the next line
    while (std::getline(lines, line)) {
      if (!line.empty() && line[0] != ' ') {  // a section header, or the usage text
        in_list = line == "Options:" || line == "Positionals:" || line == "Subcommands:";
        continue;
      }
      if (!in_list || line.empty()) continue;
      size_t name_end = line.find_first_not_of(' ');
      size_t gap = line.find("  ", name_end);
      bool has_description =
          gap != std::string::npos && line.find_first_not_of(' ', gap) != std::string::npos;
      if (!pending.empty()) {
        EXPECT_TRUE(name_end >= 20) << sub << ": " << pending << " has no description";
        pending.clear();
        continue;
      }
      if (!has_description) pending = line;
    }
    EXPECT_TRUE(pending.empty()) << sub << ": " << pending << " has no description";
  }
  EXPECT_NE(Cli("ingest --help").out.find("inventory:"), std::string::npos);
  EXPECT_EQ(Cli("nonsense", true).code, 2);
  EXPECT_EQ(Cli("", true).code, 2);
}

TEST(CliTest, InitTablesAndSqlFromStdin) {
  testing::TestDir dir;
  std::string lake = dir.Sub("l");
  CliRun init = Cli("init " + lake);
  ASSERT_EQ(init.code, 0) << init.out;
  EXPECT_NE(init.out.find("Created lake"), std::string::npos);
  EXPECT_NE(Cli("init " + lake).out.find("already initialised"), std::string::npos);

  CliRun tables = Cli("tables " + lake);
  ASSERT_EQ(tables.code, 0);
  EXPECT_NE(tables.out.find("lakehouse  table"), std::string::npos) << tables.out;
  EXPECT_NE(tables.out.find("BusinessEvents"), std::string::npos);
  EXPECT_NE(tables.out.find("(3 rows)"), std::string::npos);

  CliRun piped;
  piped.code = RunCommand(
      "echo 'select 42 AS answer' | " + std::string(DICOMLAKE_BIN) + " sql " + lake, &piped.out);
  ASSERT_EQ(piped.code, 0);
  EXPECT_EQ(piped.out, "answer\n------\n    42\n(1 row)\n");

  CliRun csv =
      Cli("sql " + lake + " \"SELECT count(*) AS n FROM admin.ExecutionSummary\" --format csv");
  EXPECT_EQ(csv.out, "n\n0\n");
  CliRun json = Cli("sql " + lake + " \"SELECT 'a' AS s, [1,2] AS l\" --format json");
  EXPECT_EQ(nlohmann::json::parse(json.out), nlohmann::json::parse(R"([{"s":"a","l":[1,2]}])"));
}

// The ways a new user tries to read a folder: each one either works or says what to do.
TEST(CliTest, IngestingAFolderWorksOrSaysWhy) {
  const std::string ct = "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm";
  if (!fs::Exists(ct)) GTEST_SKIP() << "python3-pydicom is not installed";
  testing::TestDir dir;
  std::string lake = dir.Sub("lake");
  ASSERT_EQ(Cli("init " + lake).code, 0);
  ASSERT_TRUE(fs::MakeDirs(dir.Sub("src/study1")).ok());
  ASSERT_TRUE(fs::WriteFileAtomic(dir.Sub("src/study1/ct.dcm"), *fs::ReadFile(ct)).ok());

  // --source without --pattern: read in place (byos), not silently nothing.
  CliRun plain = Cli("ingest " + lake + " --source " + dir.Sub("src"), true);
  EXPECT_EQ(plain.code, 0) << plain.out;
  EXPECT_NE(plain.out.find("1 instances added"), std::string::npos) << plain.out;
  EXPECT_TRUE(fs::Exists(dir.Sub("src/study1/ct.dcm")));  // in place: nothing moved

  // --namespace with --source labels the data instead of filtering it away.
  std::string lake2 = dir.Sub("lake2");
  ASSERT_EQ(Cli("init " + lake2).code, 0);
  CliRun labelled =
      Cli("ingest " + lake2 + " --pattern byos --source " + dir.Sub("src") + " --namespace mydata",
          true);
  EXPECT_EQ(labelled.code, 0) << labelled.out;
  EXPECT_NE(labelled.out.find("1 instances added"), std::string::npos) << labelled.out;
  CliRun ns = Cli("sql " + lake2 +
                  " \"SELECT sourceSystem, filePath FROM bronze.ImagingDicom\" --format csv");
  EXPECT_NE(ns.out.find("mydata,"), std::string::npos) << ns.out;
  EXPECT_NE(ns.out.find("study1/ct.dcm"), std::string::npos) << ns.out;

  // `run` takes the same options and means the same by them.
  std::string lake3 = dir.Sub("lake3");
  ASSERT_EQ(Cli("init " + lake3).code, 0);
  CliRun run = Cli("run " + lake3 + " --source " + dir.Sub("src") + " --namespace mydata", true);
  EXPECT_EQ(run.code, 0) << run.out;
  EXPECT_EQ(Cli("sql " + lake3 +
                " \"SELECT count(*) FROM bronze.ImagingDicom WHERE sourceSystem = 'mydata'\" "
                "--format csv")
                .out,
            "count_star()\n1\n");
  EXPECT_EQ(Cli("run " + lake3 + " --source " + dir.Sub("nowhere"), true).code, 2);

  // --source with another pattern is a usage error that says what to do.
  CliRun wrong = Cli("ingest " + lake + " --pattern ingest --source " + dir.Sub("src"), true);
  EXPECT_EQ(wrong.code, 2);
  EXPECT_NE(wrong.out.find("--pattern byos"), std::string::npos) << wrong.out;

  // A source that does not exist: exit 2, naming it.
  CliRun missing = Cli("ingest " + lake + " --source " + dir.Sub("nowhere"), true);
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.out.find(dir.Sub("nowhere") + " does not exist"), std::string::npos)
      << missing.out;

  // Files, but none DICOM: how many were seen and why none was taken.
  ASSERT_TRUE(fs::MakeDirs(dir.Sub("text/notes")).ok());
  ASSERT_TRUE(fs::WriteFileAtomic(dir.Sub("text/notes/a.txt"), "hello").ok());
  ASSERT_TRUE(fs::WriteFileAtomic(dir.Sub("text/b.txt"), "world").ok());
  CliRun text = Cli("ingest " + lake + " --source " + dir.Sub("text"), true);
  EXPECT_EQ(text.code, 3);
  EXPECT_NE(text.out.find("none of the 2 files seen in " + dir.Sub("text") +
                          " was read as DICOM (2 not DICOM)"),
            std::string::npos)
      << text.out;

  // The ingest pattern with an empty drop zone says where files go.
  CliRun empty = Cli("ingest " + lake, true);
  EXPECT_EQ(empty.code, 0);
  EXPECT_NE(empty.out.find("nothing to ingest: no files in"), std::string::npos) << empty.out;
  EXPECT_NE(empty.out.find("Ingest/Imaging/DICOM"), std::string::npos) << empty.out;
}

TEST(CliTest, SqlErrorsAndMissingLakesExitNonZero) {
  testing::TestDir dir;
  CliRun missing = Cli("tables " + dir.Sub("nolake"), true);
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.out.find("dicomlake init"), std::string::npos);
  ASSERT_EQ(Cli("init " + dir.Sub("l")).code, 0);
  CliRun bad = Cli("sql " + dir.Sub("l") + " \"SELECT * FROM nowhere\"", true);
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("nowhere"), std::string::npos);
  EXPECT_EQ(Cli("tables " + dir.Sub("l") + " --format xml", true).code, 2);
}

TEST(CliTest, ExportSaysWhyWhenItCannot) {
  testing::TestDir dir;
  std::string lake = dir.Sub("l");
  ASSERT_EQ(Cli("init " + lake).code, 0);
  std::string to = " --to " + dir.Sub("out");
  CliRun none = Cli("export " + lake + to, true);
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.out.find("--sql, --study, --series or --patient"), std::string::npos) << none.out;
  CliRun column = Cli("export " + lake + to + " --sql \"SELECT 1 AS x\"", true);
  EXPECT_EQ(column.code, 2);
  EXPECT_NE(column.out.find("first column \"x\""), std::string::npos) << column.out;
  CliRun query = Cli("export " + lake + to + " --sql \"SELECT nothing FROM nowhere\"", true);
  EXPECT_EQ(query.code, 1);
  EXPECT_NE(query.out.find("cohort query failed"), std::string::npos) << query.out;
  CliRun empty = Cli("export " + lake + to + " --series 1.2.3", true);
  EXPECT_EQ(empty.code, 1);
  EXPECT_NE(empty.out.find("no series"), std::string::npos) << empty.out;
  EXPECT_EQ(Cli("export " + lake + to + " --series 1.2.3 --format xml", true).code, 2);
}

TEST(CliTest, FramesSaysWhyWhenItCannot) {
  const std::string ct = "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm";
  if (!fs::Exists(ct)) GTEST_SKIP() << "python3-pydicom is not installed";
  testing::TestDir dir;
  std::string lake = dir.Sub("l");
  ASSERT_EQ(Cli("init " + lake).code, 0);
  std::string to = " --to " + dir.Sub("out");
  CliRun empty = Cli("frames " + lake + to + " --sop 1.2.3", true);
  EXPECT_EQ(empty.code, 1);
  EXPECT_NE(empty.out.find("ingest first"), std::string::npos) << empty.out;
  ASSERT_TRUE(fs::MakeDirs(dir.Sub("src/t")).ok());
  ASSERT_TRUE(fs::WriteFileAtomic(dir.Sub("src/t/ct.dcm"), *fs::ReadFile(ct)).ok());
  ASSERT_EQ(Cli("ingest " + lake + " --source " + dir.Sub("src")).code, 0);
  CliRun none = Cli("frames " + lake + to, true);
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.out.find("give --sop or --sql"), std::string::npos) << none.out;
  CliRun unknown = Cli("frames " + lake + to + " --sop 1.2.3", true);
  EXPECT_EQ(unknown.code, 3);
  EXPECT_NE(unknown.out.find("no instance 1.2.3 in bronze"), std::string::npos) << unknown.out;
  const std::string sop = "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322";
  CliRun beyond = Cli("frames " + lake + to + " --sop " + sop + " --frame 2", true);
  EXPECT_EQ(beyond.code, 3);
  EXPECT_NE(beyond.out.find("has no frame 2 (it has 1)"), std::string::npos) << beyond.out;
  CliRun query = Cli("frames " + lake + to + " --sql \"SELECT nothing FROM nowhere\"", true);
  EXPECT_EQ(query.code, 1);
  EXPECT_NE(query.out.find("--sql query failed"), std::string::npos) << query.out;
  CliRun found =
      Cli("frames " + lake + to + " --sql \"SELECT sopInstanceUid FROM bronze.ImagingDicom\"");
  EXPECT_EQ(found.code, 0) << found.out;
  EXPECT_TRUE(fs::Exists(dir.Sub("out/" + sop + ".npy")));
}

TEST(CliTest, ConfigShowAppliesPrecedenceAndRejectsUnknownKeys) {
  testing::TestDir dir;
  std::string lake = dir.Sub("l");
  ASSERT_EQ(Cli("init " + lake).code, 0);
  CliRun show = Cli("config show " + lake);
  ASSERT_EQ(show.code, 0);
  auto j = nlohmann::json::parse(show.out);
  EXPECT_EQ(j["delta"]["checkpoint_interval"], 10);
  ASSERT_TRUE(fs::WriteFileAtomic(dir.Sub("l/admin/Files/system-configurations/dicomlake.json"),
                                  R"({"delta": {"checkpoint_interval": 4}})")
                  .ok());
  EXPECT_EQ(nlohmann::json::parse(Cli("config show " + lake).out)["delta"]["checkpoint_interval"],
            4);
  CliRun flag = Cli("--set delta.checkpoint_interval=6 config show " + lake + " --sources");
  auto line_start = flag.out.find("delta.checkpoint_interval ");
  ASSERT_NE(line_start, std::string::npos) << flag.out;
  std::string line = flag.out.substr(line_start, flag.out.find('\n', line_start) - line_start);
  EXPECT_NE(line.find(" 6 "), std::string::npos) << line;
  EXPECT_NE(line.find(" flag "), std::string::npos) << line;
  ASSERT_TRUE(fs::WriteFileAtomic(dir.Sub("l/admin/Files/system-configurations/dicomlake.json"),
                                  R"({"delta": {"retain": 4}})")
                  .ok());
  CliRun bad = Cli("config show " + lake, true);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("delta.retain"), std::string::npos);
  EXPECT_NE(bad.out.find("dicomlake.json"), std::string::npos);
}

TEST(CliTest, HistoryAndVacuum) {
  testing::TestDir dir;
  std::string lake = dir.Sub("l");
  ASSERT_EQ(Cli("init " + lake).code, 0);
  CliRun h = Cli("history " + lake + " admin.BusinessEvents");
  ASSERT_EQ(h.code, 0) << h.out;
  EXPECT_NE(h.out.find("CREATE TABLE"), std::string::npos);
  EXPECT_EQ(Cli("history " + lake + " nope", true).code, 1);
  CliRun v = Cli("vacuum " + lake + " --retain-hours 0");
  ASSERT_EQ(v.code, 0) << v.out;
  EXPECT_NE(v.out.find("admin/FileManifest"), std::string::npos);
  EXPECT_EQ(Cli("vacuum " + lake + " --retain-hours -1", true).code, 2);
}

// delta.checkpoint_interval applies to every table, whichever stage writes it: with 2, bronze
// (written by ingest, one commit per batch) has a checkpoint at version 2.
TEST(CliTest, EveryTableCheckpointsAtTheConfiguredInterval) {
  testing::TestDir dir;
  std::string lake = dir.Sub("l");
  ASSERT_EQ(Cli("init " + lake).code, 0);
  ASSERT_EQ(Cli("sample " + lake + " --scale 0.01 --no-archives").code, 0);
  CliRun run = Cli(
      "--set delta.checkpoint_interval=2 --set ingest.max_files_per_trigger=20 run " + lake, true);
  ASSERT_EQ(run.code, 3) << run.out;  // the sample's one file that is not DICOM
  std::string log = lake + "/bronze/Tables/ImagingDicom/_delta_log/";
  EXPECT_TRUE(fs::Exists(log + "00000000000000000002.checkpoint.parquet"));
  EXPECT_TRUE(fs::Exists(log + "_last_checkpoint"));
  EXPECT_TRUE(fs::Exists(lake + "/admin/Tables/ExecutionSummary/_delta_log/"
                                "00000000000000000002.checkpoint.parquet"));
  // And the default stays Spark's 10: a lake run without the setting has no checkpoint at 2.
  std::string other = dir.Sub("m");
  ASSERT_EQ(Cli("init " + other).code, 0);
  ASSERT_EQ(Cli("sample " + other + " --scale 0.01 --no-archives").code, 0);
  ASSERT_EQ(Cli("--set ingest.max_files_per_trigger=20 run " + other, true).code, 3);
  EXPECT_FALSE(fs::Exists(other + "/bronze/Tables/ImagingDicom/_delta_log/"
                                  "00000000000000000002.checkpoint.parquet"));
}

}  // namespace
}  // namespace dicomlake
