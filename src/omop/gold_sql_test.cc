// Golden tests of the OMOP mapping SQL (src/omop/sql): a few input rows -> the exact output rows,
// one test per target table. The inputs are the temporary tables the driver stages
// (__gold_study, __gold_meta, ...), written here as SQL literals; ids are assigned in source-id
// order, as the driver would through omop_id_mapping.
#include "omop/gold_sql.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "lake/engine.h"

namespace dicomlake::omop {
namespace {

// Changed silver ImagingStudy rows: s1 with a patient identifier (no Patient), s2 linked to
// Patient pat-9, s3 whose patient has only an age, s4 with nothing to date or age it by, s5 whose
// every instance was deleted (entered-in-error: not mapped).
constexpr const char* kChangedStudies = R"sql((SELECT * FROM (VALUES
  ('s1', 'HOSP', {'id': NULL::VARCHAR, 'identifier': {'system': 'urn:x', 'value': 'P1'}},
   '2024-01-15T10:15:30+01:00', 'CT chest',
   [{'coding': [{'system': 'http://loinc.org', 'code': '24627-2'}], 'text': 'CT chest'}],
   [{'uid': '1.2.3.1', 'modality': {'code': 'CT'}, 'started': '2024-01-15T10:20:00+01:00'},
    {'uid': '1.2.3.2', 'modality': {'code': 'XX'}, 'started': NULL}],
   TIMESTAMPTZ '2024-01-16 00:00:00+00', 'available'),
  ('s2', 'HOSP', {'id': 'pat-9', 'identifier': {'system': 'urn:x', 'value': 'P2'}},
   '2023-06-01', NULL, NULL,
   [{'uid': '1.2.4.1', 'modality': {'code': 'MR'}, 'started': NULL}],
   TIMESTAMPTZ '2024-01-16 00:00:00+00', 'available'),
  ('s3', 'HOSP', {'id': NULL, 'identifier': {'system': 'urn:x', 'value': 'P3'}},
   '2020-03-04T08:00:00Z', 'Chest X-ray', NULL,
   [{'uid': '1.2.5.1', 'modality': {'code': 'DX'}, 'started': NULL}],
   TIMESTAMPTZ '2024-01-16 00:00:00+00', 'available'),
  ('s4', 'HOSP', {'id': NULL, 'identifier': {'system': 'urn:x', 'value': 'P4'}},
   NULL, NULL, NULL, [{'uid': '1.2.6.1', 'modality': {'code': 'US'}, 'started': NULL}],
   TIMESTAMPTZ '2024-01-16 00:00:00+00', 'available'),
  ('s5', 'HOSP', {'id': NULL, 'identifier': {'system': 'urn:x', 'value': 'P5'}},
   '2021-01-01', 'Deleted', NULL, NULL, TIMESTAMPTZ '2024-01-16 00:00:00+00', 'entered-in-error')
) t(id, msftSourceSystem, subject, started, description, procedureCode, series,
    meta_lastUpdated, status)))sql";

// The silver ImagingMetastore rows of those studies (DICOM JSON kept to the attributes used):
// s1's birth date in the ACR-NEMA form with padding, s3 an age only, s4 a "00000000" birth date
// and a malformed age (neither is a value: s4 has no year of birth, as in bronze); a deleted
// instance of s1 (newer, another sex and birth date) that gold must not read.
constexpr const char* kMetastore = R"sql((SELECT * FROM (VALUES
  ('s1', '1.2.3.1', '1.2.3', '{"00100040":{"vr":"CS","Value":["F"]},"00100030":{"vr":"DA","Value":["1970.02.03 "]},"00180015":{"vr":"CS","Value":["chest"]}}', '/lake/p/s1/a.dcm.zip', TIMESTAMPTZ '2024-01-15 09:00:00+00', false),
  ('s1', '1.2.3.2', '1.2.3', '{}', '/lake/p/s1/b.dcm.zip', TIMESTAMPTZ '2024-01-15 09:00:00+00', false),
  ('s2', '1.2.4.1', '1.2.4', '{"00100040":{"vr":"CS","Value":["M"]}}', '/lake/p/s2/a.dcm.zip', TIMESTAMPTZ '2024-01-15 09:00:00+00', false),
  ('s3', '1.2.5.1', NULL, '{"00100040":{"vr":"CS","Value":["O"]},"00101010":{"vr":"AS","Value":["045Y"]}}', '/lake/p/s3/a.dcm', TIMESTAMPTZ '2024-01-15 09:00:00+00', false),
  ('s4', '1.2.6.1', '1.2.6', '{"00100030":{"vr":"DA","Value":["00000000"]},"00101010":{"vr":"AS","Value":["45Y"]}}', '/lake/p/s4/a.dcm', TIMESTAMPTZ '2024-01-15 09:00:00+00', false),
  ('s1', '1.2.3.9', '1.2.3', '{"00100040":{"vr":"CS","Value":["M"]},"00100030":{"vr":"DA","Value":["19990101"]}}', '/lake/p/s1/c.dcm.zip', TIMESTAMPTZ '2024-01-15 10:00:00+00', true)
) t(id, seriesInstanceUid, studyInstanceUid, metadata_string, filePath, sourceModifiedAt, msftIsDeleted)))sql";

// The changed silver Patient row of s2's patient.
constexpr const char* kChangedPatients = R"sql((SELECT * FROM (VALUES
  ('pat-9', 'male', '1955', TIMESTAMPTZ '2024-01-10 00:00:00+00')
) t(id, gender, birthDate, meta_lastUpdated)))sql";

class GoldSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = lake::Engine::Open({1, ""});
    ASSERT_TRUE(engine.ok());
    engine_ = std::move(*engine);
    vars_ = {{"changed_studies", kChangedStudies},
             {"metastore", kMetastore},
             {"changed_patients", kChangedPatients},
             {"now", "TIMESTAMPTZ '2024-02-01 12:00:00+00'"},
             {"type_concept", "32817"},
             {"procedure_concept", "0"},
             {"gold_person", "__gold_person"},
             {"gold_table", "__gold_stored"},
             {"wadors_uri",
              "'https://pacs/dicom-web/studies/' || g.study_uid || '/series/' || "
              "g.series_uid"}};
    Run("inputs", "changed");
    Run("inputs", "study");
    Run("inputs", "meta");
  }

  void Run(const std::string& file, const std::string& step) {
    auto sql = GoldSql(file, step, vars_);
    ASSERT_TRUE(sql.ok()) << sql.status().ToString();
    Status st = engine_->Execute(*sql);
    ASSERT_TRUE(st.ok()) << file << "." << step << ": " << st.ToString();
  }
  // Each row of `sql` as "v1|v2|..." (timestamps in UTC without the zone, NULL as NULL).
  std::vector<std::string> Rows(const std::string& sql) {
    auto r = engine_->Query(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    std::vector<std::string> out;
    if (!r.ok()) return out;
    for (const auto& row : r->rows) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i)
        line += (i ? "|" : "") + (row[i].is_null() ? std::string("NULL") : row[i].ToDisplay());
      out.push_back(line);
    }
    return out;
  }
  std::vector<std::string> Step(const std::string& file, const std::string& step) {
    auto sql = GoldSql(file, step, vars_);
    EXPECT_TRUE(sql.ok()) << sql.status().ToString();
    return sql.ok() ? Rows(*sql) : std::vector<std::string>{};
  }
  // Ids in source-id order, 100, 101, ... (what omop_id_mapping would hold).
  void AssignIds(const std::string& file, const std::string& temp) {
    auto sql = GoldSql(file, "ids", vars_);
    ASSERT_TRUE(sql.ok());
    ASSERT_TRUE(engine_
                    ->Execute("CREATE OR REPLACE TEMP TABLE " + temp +
                              " AS SELECT source_id, (99 + row_number() OVER (ORDER BY "
                              "source_id))::INTEGER AS omop_id FROM (" +
                              *sql + ") t(source_id)")
                    .ok());
  }
  void MapPersons() {
    Run("person", "source");
    AssignIds("person", "__gold_person_ids");
    Run("person", "rows");
  }
  void MapProcedures() {
    MapPersons();
    Run("procedure_occurrence", "study_person");
    Run("procedure_occurrence", "dated");
    AssignIds("procedure_occurrence", "__gold_procedure_ids");
    Run("procedure_occurrence", "rows");
  }

  std::unique_ptr<lake::Engine> engine_;
  SqlVariables vars_;
};

TEST_F(GoldSqlTest, EveryStepOfEveryFileRendersWithTheDriversVariables) {
  for (const auto& file : GoldSqlFiles()) {
    auto steps = GoldSqlSteps(file);
    ASSERT_TRUE(steps.ok()) << file;
    EXPECT_FALSE(steps->empty()) << file;
    for (const auto& step : *steps) EXPECT_TRUE(GoldSql(file, step, vars_).ok()) << file << step;
  }
  EXPECT_FALSE(GoldSql("person", "no-such-step", vars_).ok());
  EXPECT_FALSE(GoldSql("person", "rows", {}).ok());  // {{now}} missing
  auto meta = GoldSql("inputs", "meta", vars_);
  ASSERT_TRUE(meta.ok());
  EXPECT_NE(meta->find("'$.\"00100040\".Value[0]'"), std::string::npos);  // tag:PatientSex
}

TEST_F(GoldSqlTest, PersonRowsFromPatientsAndFromTheDicomPatientModule) {
  Run("person", "source");
  EXPECT_EQ(Step("person", "skipped"),
            std::vector<std::string>({"identifier:urn:x|P4|no year of birth: OMOP requires "
                                      "person.year_of_birth, so this person and their records "
                                      "are left out of gold"}));
  AssignIds("person", "__gold_person_ids");
  Run("person", "rows");
  EXPECT_EQ(Rows("SELECT * FROM __gold_person ORDER BY person_id"),
            std::vector<std::string>(
                {"100|8532|1970|2|3|1970-02-03 00:00:00|0|0|NULL|NULL|NULL|identifier:urn:x|P1|"
                 "female|0|NULL|0|NULL|0|identifier:urn:x|P1|ImagingStudy|2024-02-01 12:00:00",
                 "101|0|1975|NULL|NULL|NULL|0|0|NULL|NULL|NULL|identifier:urn:x|P3|other|0|NULL|0|"
                 "NULL|0|identifier:urn:x|P3|ImagingStudy|2024-02-01 12:00:00",
                 "102|8507|1955|NULL|NULL|NULL|0|0|NULL|NULL|NULL|pat-9|male|0|NULL|0|NULL|0|pat-9|"
                 "Patient|2024-02-01 12:00:00"}));
  EXPECT_EQ(Step("person", "count_patients"), std::vector<std::string>({"1"}));
}

TEST_F(GoldSqlTest, ProcedureRowsOnePerDatedStudyWithAPerson) {
  MapProcedures();
  EXPECT_EQ(Step("procedure_occurrence", "skipped"),
            std::vector<std::string>({"s4|study without a person in gold (see the person events) "
                                      "is left out"}));
  EXPECT_EQ(Rows("SELECT * FROM __gold_procedure ORDER BY procedure_occurrence_id"),
            std::vector<std::string>(
                {"100|100|0|2024-01-15|2024-01-15 09:15:30|NULL|NULL|32817|NULL|NULL|NULL|"
                 "NULL|NULL|24627-2|0|NULL|s1|ImagingStudy|2024-02-01 12:00:00",
                 "101|102|0|2023-06-01|NULL|NULL|NULL|32817|NULL|NULL|NULL|NULL|NULL|NULL|0|"
                 "NULL|s2|ImagingStudy|2024-02-01 12:00:00",
                 "102|101|0|2020-03-04|2020-03-04 08:00:00|NULL|NULL|32817|NULL|NULL|NULL|"
                 "NULL|NULL|Chest X-ray|0|NULL|s3|ImagingStudy|2024-02-01 12:00:00"}));
}

TEST_F(GoldSqlTest, ImageRowsOnePerSeriesWithConceptsAndWadoRsUri) {
  MapProcedures();
  ASSERT_TRUE(engine_
                  ->Execute("CREATE TEMP TABLE __gold_modality_map AS SELECT * FROM (VALUES "
                            "('CT', 111), ('MR', 222)) t(value, concept_id)")
                  .ok());
  ASSERT_TRUE(engine_
                  ->Execute("CREATE TEMP TABLE __gold_body_part_map AS SELECT * FROM (VALUES "
                            "('CHEST', 333)) t(value, concept_id)")
                  .ok());
  Run("image_occurrence", "source");
  EXPECT_EQ(Step("image_occurrence", "skipped"),
            std::vector<std::string>({"s3/1.2.5.1|series without a StudyInstanceUID is left out "
                                      "(image_study_uid is required)"}));
  AssignIds("image_occurrence", "__gold_image_ids");
  Run("image_occurrence", "rows");
  EXPECT_EQ(Rows("SELECT * FROM __gold_image ORDER BY image_occurrence_id"),
            std::vector<std::string>(
                {"100|100|100|NULL|333|https://pacs/dicom-web/studies/1.2.3/series/1.2.3.1|"
                 "/lake/p/s1|2024-01-15|1.2.3|1.2.3.1|111|CT|chest|s1/1.2.3.1|ImagingStudy|"
                 "2024-02-01 12:00:00",
                 "101|100|100|NULL|0|https://pacs/dicom-web/studies/1.2.3/series/1.2.3.2|"
                 "/lake/p/s1|2024-01-15|1.2.3|1.2.3.2|0|XX|NULL|s1/1.2.3.2|ImagingStudy|"
                 "2024-02-01 12:00:00",
                 "102|102|101|NULL|0|https://pacs/dicom-web/studies/1.2.4/series/1.2.4.1|"
                 "/lake/p/s2|2023-06-01|1.2.4|1.2.4.1|222|MR|NULL|s2/1.2.4.1|ImagingStudy|"
                 "2024-02-01 12:00:00"}));
}

// What gold held before: rows of changed studies the mapping no longer gives are named stale (s5
// deleted whole, s1's series 1.2.3.7 deleted); rows of studies that did not change (zz) are not.
TEST_F(GoldSqlTest, StaleRowsOfChangedStudiesAreNamed) {
  MapProcedures();
  EXPECT_EQ(Rows("SELECT id FROM __gold_study ORDER BY 1"),
            std::vector<std::string>({"s1", "s2", "s3", "s4"}));
  EXPECT_EQ(Rows("SELECT count(*) FROM __gold_changed"), std::vector<std::string>({"5"}));
  ASSERT_TRUE(engine_
                  ->Execute("CREATE TEMP TABLE __gold_stored AS SELECT * FROM (VALUES (100, 's1'), "
                            "(555, 's5'), (777, 'zz')) t(procedure_occurrence_id, "
                            "msftSourceRecordId)")
                  .ok());
  EXPECT_EQ(Step("procedure_occurrence", "stale"), std::vector<std::string>({"555"}));
  ASSERT_TRUE(
      engine_->Execute("CREATE TEMP TABLE __gold_image AS SELECT 100 AS image_occurrence_id").ok());
  ASSERT_TRUE(engine_
                  ->Execute("CREATE OR REPLACE TEMP TABLE __gold_stored AS SELECT * FROM (VALUES "
                            "(100, 's1/1.2.3.1'), (900, 's1/1.2.3.7'), (901, 's5/9.9'), (902, "
                            "'zz/1')) t(image_occurrence_id, msftSourceRecordId)")
                  .ok());
  auto stale = Step("image_occurrence", "stale");
  std::sort(stale.begin(), stale.end());
  EXPECT_EQ(stale, std::vector<std::string>({"900", "901"}));
}

}  // namespace
}  // namespace dicomlake::omop
