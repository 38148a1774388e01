// The whole pipeline on the sample (issue 7) and the gold stage's guarantees (issue 5):
// `dicomlake sample` + `dicomlake run` give the Fabric sample's counts in every layer; a second
// run changes nothing; a second batch grows every count by exactly its own numbers; OMOP ids are
// the same after rebuilding the lake from scratch; concept maps, Athena overrides, and a study
// that gains a series.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "config/config.h"
#include "lake/delta_table.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "pipeline/fhir_stage.h"
#include "pipeline/gold_stage.h"
#include "pipeline/ingest_stage.h"
#include "pipeline/silver_stage.h"
#include "sample/sample.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

using json = nlohmann::ordered_json;

using testing::LakeFixture;

// Referential integrity of gold, and every study's subject resolving to a Patient.
void ExpectConsistentGold(LakeFixture& f) {
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.image_occurrence i WHERE NOT EXISTS (SELECT 1 FROM "
                    "gold.person p WHERE p.person_id = i.person_id)"),
            0);
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.image_occurrence i WHERE NOT EXISTS (SELECT 1 FROM "
                    "gold.procedure_occurrence p WHERE p.procedure_occurrence_id = "
                    "i.procedure_occurrence_id AND p.person_id = i.person_id)"),
            0);
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.procedure_occurrence o WHERE NOT EXISTS (SELECT 1 "
                    "FROM gold.person p WHERE p.person_id = o.person_id)"),
            0);
  EXPECT_EQ(f.Count("SELECT count(*) FROM silver.ImagingStudy s WHERE NOT EXISTS (SELECT 1 FROM "
                    "silver.Patient p WHERE p.id = s.subject.id)"),
            0);
  EXPECT_EQ(f.Count("SELECT count(*) - count(DISTINCT person_id) FROM gold.person"), 0);
  EXPECT_EQ(f.Count("SELECT count(*) - count(DISTINCT image_occurrence_id) FROM "
                    "gold.image_occurrence"),
            0);
}

TEST(PipelineTest, SampleThroughRunMatchesTheFabricSampleAndIsIncremental) {
  testing::TestDir dir;
  LakeFixture f(dir.Sub("lake"));
  ASSERT_EQ(f.Cli("-q init " + f.lake_.root()), 0);
  ASSERT_EQ(f.Cli("-q sample " + f.lake_.root() + " --seed 1"), 0);
  std::string out;
  ASSERT_EQ(f.Cli("run " + f.lake_.root(), &out), 3) << out;  // the invalid .dcm
  EXPECT_NE(out.find("report-not-dicom.dcm"), std::string::npos) << out;
  // What the generator planned; at scale 1 the Fabric sample's shape.
  const sample::SampleCounts plan = sample::PlannedCounts(1.0);
  ASSERT_EQ(plan.instances, 7739);
  ASSERT_EQ(plan.studies, 340);
  ASSERT_EQ(plan.series, 389);
  const int64_t persons = plan.patients + plan.clinical_only;  // imaging + clinical-only

  EXPECT_EQ(f.Count("SELECT count(*) FROM bronze.ImagingDicom"), plan.instances);
  EXPECT_EQ(f.Count("SELECT count(*) FROM admin.BusinessEvents WHERE activityName = "
                    "'imaging_dicom_extract_bronze_ingestion'"),
            1);
  EXPECT_EQ(f.Count("SELECT count(*) FROM silver.ImagingStudy"), plan.studies);
  EXPECT_EQ(f.Count("SELECT sum(len(series))::BIGINT FROM silver.ImagingStudy"), plan.series);
  EXPECT_EQ(f.Count("SELECT sum(numberOfInstances)::BIGINT FROM silver.ImagingStudy"),
            plan.instances);
  EXPECT_EQ(f.Count("SELECT count(*) FROM silver.ImagingMetastore"), plan.instances);
  EXPECT_EQ(f.Count("SELECT count(*) FROM silver.Patient"), persons);
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.person"), persons);
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.procedure_occurrence"), plan.studies);
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.image_occurrence"), plan.series);
  EXPECT_EQ(f.Count("SELECT count(DISTINCT modality_source_value) FROM gold.image_occurrence"), 9);
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.image_occurrence WHERE modality_concept_id = 0 OR "
                    "anatomic_site_concept_id = 0"),
            0);
  ExpectConsistentGold(f);

  // A second run changes nothing.
  auto versions = f.DataVersions();
  ASSERT_EQ(f.Cli("-q run " + f.lake_.root()), 0);
  EXPECT_EQ(f.DataVersions(), versions);

  // A second batch grows every count by exactly its own numbers.
  ASSERT_EQ(f.Cli("-q sample " + f.lake_.root() + " --seed 2"), 0);
  ASSERT_EQ(f.Cli("-q run " + f.lake_.root()), 3);
  EXPECT_EQ(f.Count("SELECT count(*) FROM bronze.ImagingDicom"), 2 * plan.instances);
  EXPECT_EQ(f.Count("SELECT count(*) FROM silver.ImagingStudy"), 2 * plan.studies);
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.person"), 2 * persons);
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.procedure_occurrence"), 2 * plan.studies);
  EXPECT_EQ(f.Count("SELECT count(*) FROM gold.image_occurrence"), 2 * plan.series);
  ExpectConsistentGold(f);
  std::string ids_sql =
      "SELECT 'i', msftSourceRecordId, image_occurrence_id, person_id, procedure_occurrence_id "
      "FROM gold.image_occurrence UNION ALL SELECT 'p', msftSourceRecordId, person_id, 0, 0 FROM "
      "gold.person ORDER BY ALL";
  auto ids = f.Rows(ids_sql);

  // The same two batches into a new lake in one run: the same OMOP ids.
  LakeFixture g(dir.Sub("rebuilt"));
  ASSERT_EQ(g.Cli("-q init " + g.lake_.root()), 0);
  ASSERT_EQ(g.Cli("-q sample " + g.lake_.root() + " --seed 2"), 0);
  ASSERT_EQ(g.Cli("-q sample " + g.lake_.root() + " --seed 1"), 0);
  ASSERT_EQ(g.Cli("-q run " + g.lake_.root()), 3);
  EXPECT_EQ(g.Rows(ids_sql), ids);
}

// --- Gold on controlled data ---------------------------------------------------------------

class GoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_ = std::make_unique<LakeFixture>(dir_.Sub("lake"));
    ASSERT_TRUE(pipeline::InitLake(f_->lake_, *f_->engine_).ok());
    ingest_ = fs::Join(f_->lake_.FilesPath("bronze"), "Ingest/Imaging/DICOM/HOSP");
  }
  void MakeDicom(json specs) {
    for (auto& s : specs) s["path"] = fs::Join(ingest_, s["path"].get<std::string>());
    std::string spec = dir_.Sub("spec.json");
    ASSERT_TRUE(fs::WriteFileAtomic(spec, specs.dump()).ok());
    std::string out;
    ASSERT_EQ(testing::RunCommand(
                  "/usr/bin/python3 " + testing::SourceDir() + "/tests/tools/make_dicom.py " + spec,
                  &out, true),
              0)
        << out;
  }
  void Run(std::vector<std::string> overrides = {}) {
    auto config = config::Config::Load(f_->lake_.root(), overrides);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto& e = *f_->engine_;
    ASSERT_TRUE(pipeline::RunIngest(f_->lake_, e, *config, {}).ok());
    ASSERT_TRUE(pipeline::RunFhir(f_->lake_, e, *config, {}).ok());
    ASSERT_TRUE(pipeline::RunSilver(f_->lake_, e, *config).ok());
    auto gold = pipeline::RunGold(f_->lake_, e, *config);
    ASSERT_TRUE(gold.ok()) << gold.status().ToString();
    gold_ = *gold;
  }
  static json Series(const std::string& study, const std::string& series, const std::string& sop,
                     const std::string& modality, const std::string& body_part) {
    json tags = {{"StudyInstanceUID", study}, {"SeriesInstanceUID", series},
                 {"SOPInstanceUID", sop},     {"Modality", modality},
                 {"PatientID", "P1"},         {"PatientBirthDate", "19700203"},
                 {"PatientSex", "F"},         {"StudyDate", "20240115"},
                 {"SeriesDate", "20240116"}};
    if (!body_part.empty()) tags["BodyPartExamined"] = body_part;
    return {{"path", sop + ".dcm"}, {"mtime", 1700000000}, {"tags", tags}};
  }

  testing::TestDir dir_;
  std::unique_ptr<LakeFixture> f_;
  std::string ingest_;
  pipeline::GoldSummary gold_;
};

TEST_F(GoldTest, ConceptsFromTheShippedMapsUnknownValuesKeepTheirSource) {
  MakeDicom({Series("1.2.9", "1.2.9.1", "1.2.9.1.1", "CT", "CHEST"),
             Series("1.2.9", "1.2.9.2", "1.2.9.2.1", "OT", "PORTABLE CHEST"),
             Series("1.2.9", "1.2.9.3", "1.2.9.3.1", "MR", "")});
  Run({"gold.dicomweb_base_url=https://pacs.example.org/dicomweb/"});
  auto rows = f_->Rows(
      "SELECT modality_source_value, modality_concept_id, anatomic_site_source_value, "
      "anatomic_site_concept_id, image_occurrence_date, wadors_uri FROM gold.image_occurrence "
      "ORDER BY image_series_uid");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0],
            "CT|4300757|CHEST|4184181|2024-01-16|https://pacs.example.org/dicomweb/"
            "studies/1.2.9/series/1.2.9.1|");
  EXPECT_EQ(rows[1].substr(0, 25), "OT|0|PORTABLE CHEST|0|202");
  EXPECT_EQ(rows[2].substr(0, 15), "MR|4013636||0|2");
  // The DICOM-only patient becomes a person from the patient module.
  EXPECT_EQ(f_->Rows("SELECT gender_concept_id, year_of_birth, month_of_birth, day_of_birth "
                     "FROM gold.person"),
            std::vector<std::string>{"8532|1970|2|3|"});
  EXPECT_EQ(f_->Count("SELECT count(*) FROM gold.procedure_occurrence WHERE procedure_date = "
                      "DATE '2024-01-15' AND procedure_type_concept_id = 32817"),
            1);
}

// Only silver Patient changes (a clinical patient no study refers to): gold adds the person and
// leaves the rest as it was (this used to fail: the changed-studies input had no columns).
TEST_F(GoldTest, APatientArrivingAloneBecomesAPersonAndChangesNothingElse) {
  MakeDicom({Series("1.2.9", "1.2.9.1", "1.2.9.1.1", "CT", "CHEST")});
  Run();
  auto versions = f_->DataVersions();
  std::string clinical =
      fs::Join(f_->lake_.FilesPath("bronze"), "Ingest/Clinical/FHIR-NDJSON/HOSP");
  ASSERT_TRUE(fs::MakeDirs(clinical).ok());
  ASSERT_TRUE(
      fs::WriteFileAtomic(
          fs::Join(clinical, "Patient-late.ndjson"),
          R"({"resourceType":"Patient","id":"late-1","gender":"male","birthDate":"1961-05-04",)"
          R"("identifier":[{"system":"urn:other","value":"Q9"}]})"
          "\n")
          .ok());
  Run();
  EXPECT_EQ(gold_.persons, 1);
  EXPECT_EQ(f_->Rows("SELECT msftSourceTableName, gender_concept_id, year_of_birth FROM "
                     "gold.person ORDER BY 1"),
            std::vector<std::string>({"ImagingStudy|8532|1970|", "Patient|8507|1961|"}));
  auto after = f_->DataVersions();
  EXPECT_EQ(after["gold/image_occurrence"], versions["gold/image_occurrence"]);
  EXPECT_EQ(after["gold/procedure_occurrence"], versions["gold/procedure_occurrence"]);
}

TEST_F(GoldTest, AnAthenaVocabularyOverridesTheShippedMaps) {
  std::string athena = dir_.Sub("athena");
  ASSERT_TRUE(fs::MakeDirs(athena).ok());
  std::string header =
      "concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\tstandard_concept\t"
      "concept_code\tvalid_start_date\tvalid_end_date\tinvalid_reason\n";
  ASSERT_TRUE(fs::WriteFileAtomic(
                  athena + "/CONCEPT.csv",
                  header +
                      "900001\tComputed tomography\tProcedure\tSNOMED\tProcedure\tS\t77477000\t"
                      "19700101\t20991231\t\n"
                      "900002\tChest\tSpec Anatomic Site\tSNOMED\tBody Structure\t\t43799004\t"
                      "19700101\t20991231\t\n"
                      "900003\tThoracic structure\tSpec Anatomic Site\tSNOMED\tBody "
                      "Structure\tS\t51185008\t19700101\t20991231\t\n")
                  .ok());
  ASSERT_TRUE(fs::WriteFileAtomic(athena + "/CONCEPT_RELATIONSHIP.csv",
                                  "concept_id_1\tconcept_id_2\trelationship_id\tvalid_start_date\t"
                                  "valid_end_date\tinvalid_reason\n900002\t900003\tMaps "
                                  "to\t19700101\t20991231\t\n")
                  .ok());
  MakeDicom({Series("1.2.9", "1.2.9.1", "1.2.9.1.1", "CT", "CHEST"),
             Series("1.2.9", "1.2.9.3", "1.2.9.3.1", "MR", "BRAIN")});
  Run({"gold.athena_vocabulary_path=" + athena});
  EXPECT_EQ(f_->Rows("SELECT modality_concept_id, anatomic_site_concept_id FROM "
                     "gold.image_occurrence ORDER BY image_series_uid"),
            (std::vector<std::string>{"900001|900003|", "4013636|4133034|"}));
  EXPECT_GE(gold_.athena_overrides, 2);
}

TEST_F(GoldTest, AStudyThatGainsASeriesAddsOneImageOccurrenceAndChangesNothingElse) {
  MakeDicom({Series("1.2.9", "1.2.9.1", "1.2.9.1.1", "CT", "CHEST")});
  Run();
  std::string all =
      "SELECT * FROM gold.person UNION ALL BY NAME SELECT * FROM gold.procedure_occurrence UNION "
      "ALL BY NAME SELECT * FROM gold.image_occurrence ORDER BY ALL";
  auto before = f_->Rows(all);
  auto versions = f_->DataVersions();
  MakeDicom({Series("1.2.9", "1.2.9.2", "1.2.9.2.1", "MR", "BRAIN")});
  Run();
  EXPECT_EQ(gold_.images, 1);
  EXPECT_EQ(gold_.procedures, 0);
  EXPECT_EQ(gold_.persons, 0);
  EXPECT_EQ(f_->Count("SELECT count(*) FROM gold.image_occurrence"), 2);
  auto after = f_->Rows(all);
  EXPECT_EQ(after.size(), before.size() + 1);
  for (const auto& row : before)  // every earlier row, byte for byte
    EXPECT_NE(std::find(after.begin(), after.end(), row), after.end()) << row;
  auto now = f_->DataVersions();
  EXPECT_EQ(now["gold/procedure_occurrence"], versions["gold/procedure_occurrence"]);
  // A third run with nothing new writes nothing at all.
  auto settled = f_->DataVersions();
  Run();
  EXPECT_EQ(f_->DataVersions(), settled);
}

}  // namespace
}  // namespace dicomlake
