// The research lake (issue 14): `dicomlake deid` builds a second lake from de-identified files
// and the patients' clinical FHIR, linked exactly as the identified lake is; `deid-check` finds
// nothing identifying in it and finds what is planted; the same key gives byte-identical files;
// a later run adds new studies under the same pseudonyms; the key and the id map stay out of
// the research lake, whose files nobody else may read.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

using testing::LakeFixture;

// Persons, studies and series of the lake, and how images hang on persons: the number of
// image_occurrence rows of each person with images, sorted (identity-free linkage).
std::vector<std::string> Linkage(LakeFixture& f) {
  auto rows = f.Rows(
      "SELECT count(*) AS n, count(DISTINCT procedure_occurrence_id) FROM gold.image_occurrence "
      "i JOIN gold.person p USING (person_id) GROUP BY person_id ORDER BY ALL");
  rows.push_back(std::to_string(f.Count("SELECT count(*) FROM gold.image_occurrence")));
  rows.push_back(
      std::to_string(f.Count("SELECT count(*) FROM gold.procedure_occurrence o JOIN "
                             "gold.person USING (person_id)")));
  rows.push_back(std::to_string(f.Count(
      "SELECT count(*) FROM silver.ImagingStudy s JOIN silver.Patient p ON p.id = s.subject.id")));
  return rows;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class DeidTest : public ::testing::Test {
 protected:
  void SetUp() override {
    id_ = std::make_unique<LakeFixture>(dir_.Sub("identified"));
    ASSERT_EQ(id_->Cli("-q init " + id_->lake_.root()), 0);
    ASSERT_EQ(id_->Cli("-q sample " + id_->lake_.root() + " --seed 1 --scale 0.1"), 0);
    // A clinical resource other than Patient, referencing one of the sample's patients.
    std::string folder =
        fs::Join(id_->lake_.FilesPath("bronze"), "Ingest/Clinical/FHIR-NDJSON/sample");
    ASSERT_EQ(id_->Cli("-q run " + id_->lake_.root()), 3);  // the sample's one non-DICOM file
    patient_resource_ = id_->Rows(
                               "SELECT id FROM bronze.ClinicalFhir WHERE resourceType = "
                               "'Patient' AND resource_string LIKE '%S1-%' ORDER BY id LIMIT 1")
                            .at(0);
    patient_resource_.pop_back();  // the trailing '|'
    nlohmann::json obs = {
        {"resourceType", "Observation"},
        {"id", "obs-1"},
        {"status", "final"},
        {"code", {{"coding", {{{"system", "http://loinc.org"}, {"code", "8302-2"}}}}}},
        {"subject", {{"reference", "Patient/" + patient_resource_}}},
        {"effectiveDateTime", "2020-05-01"},
        {"valueQuantity", {{"value", 170}, {"unit", "cm"}}}};
    ASSERT_TRUE(
        fs::WriteFileAtomic(fs::Join(folder, "observations.ndjson"), obs.dump() + "\n").ok());
    ASSERT_EQ(id_->Cli("-q run " + id_->lake_.root()), 0);
    key_ = dir_.Sub("keys") + "/research.key";
  }

  std::string Deid(LakeFixture& research, const std::string& cohort, int expect = 0) {
    std::string out;
    EXPECT_EQ(
        id_->Cli("deid " + id_->lake_.root() + " --to " + research.lake_.root() + " --key-file " +
                     key_ + " " + cohort + " --option retain-longitudinal-modified-dates",
                 &out),
        expect)
        << out;
    return out;
  }

  ::dicomlake::testing::TestDir dir_;
  std::unique_ptr<LakeFixture> id_;
  std::string key_, patient_resource_;
};

TEST_F(DeidTest, TheResearchLakeLinksAsTheIdentifiedOneAndHoldsNoIdentity) {
  LakeFixture r(dir_.Sub("research"));
  Deid(r, "--sql \"SELECT DISTINCT patientId FROM bronze.ImagingDicom\"");

  // Every layer built, linked exactly as in the identified lake.
  EXPECT_EQ(r.Count("SELECT count(*) FROM bronze.ImagingDicom"),
            id_->Count("SELECT count(*) FROM bronze.ImagingDicom"));
  EXPECT_EQ(Linkage(r), Linkage(*id_));
  EXPECT_EQ(r.Count("SELECT count(*) FROM gold.person"),
            id_->Count("SELECT count(DISTINCT person_id) FROM gold.image_occurrence"));
  // The other clinical resource came along, referencing the patient's new id.
  auto obs = r.Rows(
      "SELECT resource_string FROM bronze.ClinicalFhir WHERE resourceType = "
      "'Observation'");
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_EQ(obs[0].find(patient_resource_), std::string::npos) << obs[0];
  EXPECT_EQ(r.Count("SELECT count(*) FROM bronze.ClinicalFhir o JOIN silver.Patient p ON "
                    "json_extract_string(o.resource_string, '$.subject.reference') = 'Patient/' "
                    "|| p.idOrig WHERE o.resourceType = 'Observation'"),
            1);
  // The conformance attributes.
  EXPECT_EQ(r.Count("SELECT count(*) FROM bronze.ImagingDicom WHERE json_extract_string("
                    "metadata_string, '$.\"00120062\".Value[0]') = 'YES' AND json_extract_string("
                    "metadata_string, '$.\"00280303\".Value[0]') = 'MODIFIED'"),
            r.Count("SELECT count(*) FROM bronze.ImagingDicom"));

  // deid-check finds nothing.
  std::string out;
  EXPECT_EQ(r.Cli("deid-check " + r.lake_.root() + " --against " + id_->lake_.root(), &out), 0)
      << out;
  EXPECT_NE(out.find("0 finding(s)"), std::string::npos) << out;

  // The key is the owner's alone; the research lake is not world-readable; the id map stays on
  // the identified side.
  EXPECT_EQ(ModeOf(key_), 0600u);
  EXPECT_EQ(ModeOf(r.lake_.root()), 02750u);
  EXPECT_EQ(ModeOf(r.lake_.ConfigPath()), 0640u);
  std::string id_map;
  auto records = fs::ListDir(fs::Join(id_->lake_.FilesPath("admin"), "Deid"));
  ASSERT_TRUE(records.ok());
  for (const auto& e : *records)
    id_map = fs::Join(id_->lake_.FilesPath("admin"), "Deid/" + e.name + "/id_map.csv");
  ASSERT_TRUE(fs::Exists(id_map));
  auto map_text = fs::ReadFile(id_map);
  ASSERT_TRUE(map_text.ok());
  EXPECT_EQ(map_text->rfind("id_old,id_new\n", 0), 0u);
  EXPECT_NE(map_text->find("S1-"), std::string::npos);

  // The same key, a second research lake: byte-identical files (the same content hashes).
  LakeFixture r2(dir_.Sub("research2"));
  Deid(r2, "--sql \"SELECT DISTINCT patientId FROM bronze.ImagingDicom\"");
  const std::string hashes =
      "SELECT sopInstanceUid, contentHash FROM bronze.ImagingDicom ORDER BY ALL";
  EXPECT_EQ(r2.Rows(hashes), r.Rows(hashes));

  // Again into the first: nothing new.
  auto versions = r.DataVersions();
  Deid(r, "--sql \"SELECT DISTINCT patientId FROM bronze.ImagingDicom\"");
  EXPECT_EQ(r.Rows(hashes), r2.Rows(hashes));
  EXPECT_EQ(r.DataVersions()["bronze/ImagingDicom"], versions["bronze/ImagingDicom"]);
}

TEST_F(DeidTest, ALaterRunAddsNewStudiesUnderTheSamePseudonyms) {
  LakeFixture r(dir_.Sub("research"));
  // First the earlier half of each patient's studies, then everything.
  const std::string first =
      "SELECT studyInstanceUid FROM (SELECT DISTINCT patientId, studyInstanceUid, studyDate, "
      "row_number() OVER (PARTITION BY patientId ORDER BY studyDate, studyInstanceUid) AS k "
      "FROM (SELECT DISTINCT patientId, studyInstanceUid, studyDate FROM "
      "bronze.ImagingDicom)) WHERE k = 1";
  Deid(r, "--sql \"" + first + "\"");
  int64_t persons = r.Count("SELECT count(*) FROM gold.person");
  int64_t studies = r.Count("SELECT count(*) FROM gold.procedure_occurrence");
  ASSERT_GT(persons, 0);
  ASSERT_LT(studies, id_->Count("SELECT count(*) FROM gold.procedure_occurrence"));
  Deid(r, "--sql \"SELECT DISTINCT studyInstanceUid FROM bronze.ImagingDicom\"");
  EXPECT_EQ(r.Count("SELECT count(*) FROM gold.person"), persons);  // the same pseudonyms
  EXPECT_EQ(Linkage(r), Linkage(*id_));
}

TEST_F(DeidTest, DeidCheckFindsWhatIsLeftAndRefusalsSayWhy) {
  // A "research" lake that is a plain copy: every kind of identity is found.
  LakeFixture copy(dir_.Sub("copy"));
  ASSERT_EQ(copy.Cli("-q init " + copy.lake_.root()), 0);
  ASSERT_EQ(copy.Cli("-q sample " + copy.lake_.root() + " --seed 1 --scale 0.1"), 0);
  ASSERT_EQ(copy.Cli("-q run " + copy.lake_.root()), 3);
  std::string out;
  EXPECT_EQ(copy.Cli("deid-check " + copy.lake_.root() + " --against " + id_->lake_.root(), &out),
            3);
  for (const char* kind : {"Patient's Name", "Patient ID", "Study Instance UID", "Accession Number",
                           "Institution Name", "FHIR identifier"}) {
    EXPECT_NE(out.find(std::string(kind) + " \""), std::string::npos) << kind << "\n" << out;
  }

  // One name planted in a de-identified lake is found, with where.
  LakeFixture r(dir_.Sub("research"));
  Deid(r, "--patient S1-00003");
  auto name = id_->Rows(
      "SELECT json_extract_string(metadata_string, '$.\"00100010\".Value[0].Alphabetic') FROM "
      "bronze.ImagingDicom WHERE patientId = 'S1-00003' LIMIT 1");
  ASSERT_EQ(name.size(), 1u);
  std::string family = name[0].substr(0, name[0].find('^'));
  std::string folder =
      fs::Join(r.lake_.FilesPath("bronze"), "Ingest/Clinical/FHIR-NDJSON/research");
  nlohmann::json note = {{"resourceType", "Observation"},
                         {"id", "leak"},
                         {"status", "final"},
                         {"code", {{"text", "seen by " + family}}}};
  ASSERT_TRUE(fs::WriteFileAtomic(fs::Join(folder, "leak.ndjson"), note.dump() + "\n").ok());
  ASSERT_EQ(r.Cli("-q silver " + r.lake_.root()), 0);
  EXPECT_EQ(r.Cli("deid-check " + r.lake_.root() + " --against " + id_->lake_.root(), &out), 3);
  EXPECT_NE(out.find("\"" + family + "\" in bronze.ClinicalFhir.resource_string"),
            std::string::npos)
      << out;

  // Refusals.
  const std::string base = "deid " + id_->lake_.root() + " --patient S1-00003 ";
  EXPECT_EQ(id_->Cli(base + "--to " + id_->lake_.root() + "/research --key-file " + key_, &out), 2);
  EXPECT_NE(out.find("must be a folder of its own"), std::string::npos) << out;
  EXPECT_EQ(
      id_->Cli(base + "--to " + r.lake_.root() + " --key-file " + r.lake_.root() + "/k.key", &out),
      2);
  EXPECT_NE(out.find("must not be inside a lake"), std::string::npos) << out;
  EXPECT_EQ(id_->Cli(base + "--to " + r.lake_.root() + " --key-file " + key_ +
                         " --option retain-everything",
                     &out),
            2);
  EXPECT_NE(out.find("retain-uids"), std::string::npos) << out;
  EXPECT_EQ(id_->Cli("deid " + id_->lake_.root() + " --to " + r.lake_.root() + " --key-file " +
                         key_ + " --patient nobody",
                     &out),
            1);
  EXPECT_NE(out.find("no instance"), std::string::npos) << out;
}

}  // namespace
}  // namespace dicomlake
