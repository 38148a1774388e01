// One value, one meaning in every layer: for every instance of the sample and of pydicom's test
// files, the date and time bronze promotes (studyDate/studyTime, seriesDate/seriesTime) and the
// `started` FHIR ImagingStudy gives the study and each series describe the same moment.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/fs.h"
#include "config/config.h"
#include "fhir/imaging_study.h"
#include "pipeline/admin_tables.h"
#include "pipeline/fhir_stage.h"
#include "pipeline/ingest_stage.h"
#include "pipeline/silver_stage.h"
#include "sample/sample.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

using json = nlohmann::ordered_json;

const std::string kPydicom = "/usr/lib/python3/dist-packages/pydicom/data/";

// A FHIR dateTime as bronze would write it: "YYYY-MM-DD" or "YYYY-MM-DD|HH:MM:SS.ffffff"
// (the fraction padded to microseconds; the zone dropped: bronze keeps the offset apart).
std::string AsBronze(const std::string& started) {
  if (started.size() <= 10) return started;
  std::string time = started.substr(11, 8), fraction;
  size_t end = 19;
  if (started.size() > 19 && started[19] == '.') {
    end = started.find_first_of("Z+-", 20);
    fraction = started.substr(20, end - 20);
  }
  fraction.resize(6, '0');
  return started.substr(0, 10) + "|" + time + "." + fraction;
}

std::string FromColumns(const lake::Value& date, const lake::Value& time) {
  if (date.is_null()) return "";
  return date.ToDisplay() + (time.is_null() ? "" : "|" + time.s);
}

std::string Join(const std::set<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += "'" + v + "' ";
  return out;
}

class ValueAgreementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ = std::make_unique<testing::LakeFixture>(dir_.Sub("lake"));
    ASSERT_TRUE(pipeline::InitLake(fixture_->lake(), fixture_->engine()).ok());
    ingest_ = fs::Join(fixture_->lake().FilesPath("bronze"), "Ingest/Imaging/DICOM");
  }

  void RunIngestAndFhir() {
    auto config = config::Config::Load(fixture_->lake().root(), {});
    ASSERT_TRUE(config.ok());
    auto ingest = pipeline::RunIngest(fixture_->lake(), fixture_->engine(), *config, {});
    ASSERT_TRUE(ingest.ok()) << ingest.status().ToString();
    auto fhir = pipeline::RunFhir(fixture_->lake(), fixture_->engine(), *config, {});
    ASSERT_TRUE(fhir.ok()) << fhir.status().ToString();
    auto silver = pipeline::RunSilver(fixture_->lake(), fixture_->engine(), *config);
    ASSERT_TRUE(silver.ok()) << silver.status().ToString();
  }

  // Checks that every study's and series' `started` is the date/time of one of its instances in
  // bronze, and is absent exactly when none of them has a valid date. Returns the instances seen.
  int64_t ExpectAgreement() {
    // Bronze: what each instance says, by resource id (study) and series UID.
    std::map<std::string, std::set<std::string>> study_values, series_values;
    auto bronze = fixture_->Sql(
        "SELECT sourceSystem, coalesce(nullif(trim(studyInstanceUid), ''), 'instance:' || "
        "contentHash), seriesInstanceUid, studyDate, studyTime, seriesDate, seriesTime FROM "
        "bronze.ImagingDicom");
    for (const auto& r : bronze.rows) {
      std::string id = fhir::ResourceId(r[0].s, r[1].s);
      study_values[id].insert(FromColumns(r[3], r[4]));
      if (!r[2].is_null()) series_values[id + "/" + r[2].s].insert(FromColumns(r[5], r[6]));
    }
    // FHIR, as silver holds it (the resource flattened; series as JSON).
    auto silver = fixture_->Sql("SELECT idOrig, started, series_string FROM silver.ImagingStudy");
    EXPECT_EQ(silver.rows.size(), study_values.size());
    for (const auto& r : silver.rows) {
      const auto& values = study_values[r[0].s];
      std::string started = r[1].is_null() ? "" : AsBronze(r[1].s);
      EXPECT_TRUE(values.count(started) > 0)
          << "study " << r[0].s << ": FHIR started '" << (r[1].is_null() ? "" : r[1].s)
          << "' is not what bronze holds for any of its instances: " << Join(values);
      if (r[2].is_null()) continue;
      for (const auto& s : json::parse(r[2].s)) {
        std::string series_started = s.contains("started") ? AsBronze(s["started"]) : "";
        const auto& sv = series_values[r[0].s + "/" + s["uid"].get<std::string>()];
        EXPECT_TRUE(sv.count(series_started) > 0)
            << "series " << s["uid"] << ": FHIR started '" << series_started
            << "' is not what bronze holds for any of its instances: " << Join(sv);
      }
    }
    return static_cast<int64_t>(bronze.rows.size());
  }

  testing::TestDir dir_;
  std::unique_ptr<testing::LakeFixture> fixture_;
  std::string ingest_;
};

TEST_F(ValueAgreementTest, BronzeDatesEqualFhirStartedOnPydicomFiles) {
  if (!fs::Exists(kPydicom + "test_files/CT_small.dcm"))
    GTEST_SKIP() << "python3-pydicom is not installed";
  std::string out;
  ASSERT_EQ(testing::RunCommand("mkdir -p " + ingest_ + "/PYDICOM/charsets && cp -r " + kPydicom +
                                    "test_files/. " + ingest_ + "/PYDICOM/ && cp -r " + kPydicom +
                                    "charset_files/. " + ingest_ + "/PYDICOM/charsets/",
                                &out, true),
            0)
      << out;
  RunIngestAndFhir();
  EXPECT_GT(ExpectAgreement(), 100);
  // Some of pydicom's files have dates and times; the check is not vacuous.
  EXPECT_GT(fixture_->Count("SELECT count(*) FROM silver.ImagingStudy WHERE started LIKE '%T%'"),
            10);
}

TEST_F(ValueAgreementTest, BronzeDatesEqualFhirStartedOnTheSample) {
  sample::SampleOptions options;
  options.scale = 0.05;
  options.threads = 2;
  auto counts = sample::WriteSample(ingest_ + "/SAMPLE", dir_.Sub("clinical"), options);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  RunIngestAndFhir();
  EXPECT_EQ(ExpectAgreement(), counts->instances);
}

}  // namespace
}  // namespace dicomlake
