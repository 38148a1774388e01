// The FHIR and silver stages end to end (issue 4): DICOM written by pydicom (independent of our
// reader) or pydicom's own test files -> bronze -> ImagingStudy NDJSON, validated against the
// official FHIR R4 JSON schema with ajv (tests/tools/validate_fhir.cjs) -> silver tables.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/sha256.h"
#include "config/config.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "pipeline/fhir_stage.h"
#include "pipeline/gold_stage.h"
#include "pipeline/ingest_stage.h"
#include "pipeline/silver_stage.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

using json = nlohmann::ordered_json;

const std::string kPydicom = "/usr/lib/python3/dist-packages/pydicom/data/";

class FhirSilverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::Exists(kPydicom + "test_files/CT_small.dcm"))
      GTEST_SKIP() << "python3-pydicom is not installed";
    lake_ = std::make_unique<lake::Lake>(dir_.Sub("lake"));
    auto engine = lake::Engine::Open({2, ""});
    ASSERT_TRUE(engine.ok());
    engine_ = std::move(*engine);
    ASSERT_TRUE(pipeline::InitLake(*lake_, *engine_).ok());
    ingest_ = fs::Join(lake_->FilesPath("bronze"), "Ingest/Imaging/DICOM/HOSP");
    clinical_ = fs::Join(lake_->FilesPath("bronze"), "Ingest/Clinical/FHIR-NDJSON/HOSP");
    ASSERT_TRUE(fs::MakeDirs(ingest_).ok());
  }

  void Shell(const std::string& command, int expected = 0, std::string* out = nullptr) {
    std::string text;
    int rc = testing::RunCommand(command, &text, true);
    ASSERT_EQ(rc, expected) << command << "\n" << text.substr(0, 4000);
    if (out != nullptr) *out = text;
  }
  // Writes DICOM files with pydicom: each spec {"path": name under Ingest, "mtime", "tags"}.
  void MakeDicom(json specs) {
    for (auto& s : specs) s["path"] = fs::Join(ingest_, s["path"].get<std::string>());
    std::string spec_path = dir_.Sub("spec.json");
    ASSERT_TRUE(fs::WriteFileAtomic(spec_path, specs.dump()).ok());
    Shell("/usr/bin/python3 " + testing::SourceDir() + "/tests/tools/make_dicom.py " + spec_path);
  }
  config::Config Config(std::vector<std::string> overrides = {}) {
    auto c = config::Config::Load(lake_->root(), overrides);
    EXPECT_TRUE(c.ok());
    return *c;
  }
  void Run(std::vector<std::string> overrides = {}) {
    auto config = Config(overrides);
    auto ingest = pipeline::RunIngest(*lake_, *engine_, config, {});
    ASSERT_TRUE(ingest.ok()) << ingest.status().ToString();
    auto fhir = pipeline::RunFhir(*lake_, *engine_, config, {});
    ASSERT_TRUE(fhir.ok()) << fhir.status().ToString();
    last_fhir_ = *fhir;
    auto silver = pipeline::RunSilver(*lake_, *engine_, config);
    ASSERT_TRUE(silver.ok()) << silver.status().ToString();
    last_silver_ = *silver;
  }
  lake::QueryResult Sql(const std::string& sql) {
    return testing::QueryLake(*lake_, *engine_, sql);
  }
  int64_t Count(const std::string& sql) { return testing::CountLake(*lake_, *engine_, sql); }
  // The resource of a study from silver (its series_string etc. parsed back).
  json StudyRow(const std::string& study_uid) {
    auto r =
        Sql("SELECT to_json(s)::VARCHAR FROM silver.ImagingStudy s WHERE list_contains("
            "list_transform(identifier, x -> x.value), 'urn:oid:" +
            study_uid + "')");
    EXPECT_EQ(r.rows.size(), 1u) << study_uid;
    return r.rows.empty() ? json() : json::parse(r.rows[0][0].s);
  }
  // Validates every NDJSON file of the lake with the FHIR schema; returns the report.
  json Validate() {
    std::string files;
    std::string root = fs::Join(lake_->FilesPath("bronze"), "Process/Clinical/FHIR-NDJSON");
    std::string out;
    Shell("find " + root + " -name 'ImagingStudy-*.ndjson' | sort", 0, &out);
    for (size_t p = 0; p < out.size();) {
      size_t e = out.find('\n', p);
      files += " '" + out.substr(p, e - p) + "'";
      p = e == std::string::npos ? out.size() : e + 1;
    }
    std::string report;
    std::string node_dir = testing::SourceDir() + "/.deps/node";
    Shell("NODE_PATH=" + node_dir + "/node_modules node " + testing::SourceDir() +
              "/tests/tools/validate_fhir.cjs" + files + " 2>&1",
          0, &report);
    return json::parse(report);
  }

  testing::TestDir dir_;
  std::unique_ptr<lake::Lake> lake_;
  std::unique_ptr<lake::Engine> engine_;
  std::string ingest_, clinical_;
  pipeline::FhirSummary last_fhir_;
  pipeline::SilverSummary last_silver_;
};

json Instance(const std::string& path, int64_t mtime, json tags) {
  return {{"path", path}, {"mtime", mtime}, {"tags", std::move(tags)}};
}

TEST_F(FhirSilverTest, PydicomFilesGiveSchemaValidResourcesAndConsistentSilver) {
  Shell("cp -r " + kPydicom + "test_files/. " + ingest_ + "/ && cp -r " + kPydicom +
        "charset_files/. " + ingest_ + "/charsets/");
  Run({"fhir.max_records_per_ndjson=10"});
  EXPECT_GT(last_fhir_.studies_written, 30);
  EXPECT_GE(last_fhir_.files.size(), 4u);  // at most 10 resources per file
  json report = Validate();
  EXPECT_EQ(report["resources"], last_fhir_.studies_written);
  EXPECT_TRUE(report["invalid"].empty()) << report.dump(2);

  // Silver: one row per resource; each `_string` twin parses to JSON equal to its column.
  EXPECT_EQ(Count("SELECT count(*) FROM silver.ImagingStudy"), last_fhir_.studies_written);
  EXPECT_EQ(Count("SELECT count(DISTINCT id) FROM silver.ImagingStudy"),
            last_fhir_.studies_written);
  for (const char* col : {"identifier", "modality", "subject", "referrer", "interpreter",
                          "procedureCode", "location", "reasonCode", "series", "meta"}) {
    auto rows = Sql(std::string("SELECT to_json(") + col + ")::VARCHAR, " + col +
                    "_string FROM silver.ImagingStudy");
    int non_null = 0;
    for (const auto& r : rows.rows) {
      ASSERT_EQ(r[0].is_null(), r[1].is_null()) << col;
      if (r[0].is_null()) continue;
      ++non_null;
      // DuckDB's to_json writes nulls; the twin leaves them out.
      std::function<json(const json&)> strip = [&](const json& j) -> json {
        if (j.is_object()) {
          json o = json::object();
          for (auto& [k, v] : j.items())
            if (!v.is_null()) o[k] = strip(v);
          return o;
        }
        if (j.is_array()) {
          json a = json::array();
          for (const auto& v : j) a.push_back(strip(v));
          return a;
        }
        return j;
      };
      EXPECT_EQ(strip(json::parse(r[0].s)), json::parse(r[1].s)) << col;
    }
    if (std::string(col) == "series" || std::string(col) == "identifier") {
      EXPECT_GT(non_null, 0) << col;
    }
  }
  // The metastore holds every instance, each with its study's silver id.
  EXPECT_GT(Count("SELECT count(*) FROM silver.ImagingMetastore"), 100);
  EXPECT_EQ(Count("SELECT count(*) FROM silver.ImagingMetastore m WHERE NOT EXISTS (SELECT 1 "
                  "FROM silver.ImagingStudy s WHERE s.id = m.id)"),
            0);
  // Problems (no PatientID, no modality, no study UID...) are recorded, nothing stops.
  EXPECT_GT(Count("SELECT count(*) FROM admin.BusinessEvents WHERE activityName = "
                  "'imaging_dicom_fhir_conversion'"),
            0);
  // Non-ASCII text arrives as UTF-8 (chrGerm.dcm etc. hold ISO 8859 and ISO 2022 names).
  EXPECT_GT(Count("SELECT count(*) FROM silver.ImagingMetastore WHERE metadata_string LIKE "
                  "'%Äneas%' OR metadata_string LIKE '%Buc^Jérôme%'"),
            0);

  // A second run with nothing new writes nothing.
  Run();
  EXPECT_EQ(last_fhir_.studies_written, 0);
  EXPECT_EQ(last_silver_.ndjson_files, 0);
  EXPECT_EQ(last_silver_.metastore_rows, 0);
}

TEST_F(FhirSilverTest, StudyGrowsAndAnOlderRedeliveryDoesNotWin) {
  json base = {{"StudyInstanceUID", "1.2.3"},
               {"PatientID", "P1"},
               {"StudyDate", "20240115"},
               {"StudyTime", "10"},
               {"SpecificCharacterSet", "ISO_IR 100"},
               {"ReferringPhysicianName", "Müller^Jürgen"}};
  auto tags = [&](json extra) {
    json t = base;
    t.update(extra);
    return t;
  };
  MakeDicom({Instance("a1.dcm", 1700000000,
                      tags({{"SeriesInstanceUID", "1.2.3.1"},
                            {"SOPInstanceUID", "1.2.3.1.1"},
                            {"Modality", "CT"},
                            {"SeriesDescription", "NEW"},
                            {"InstanceNumber", 1},
                            {"BodyPartExamined", "CHEST"}})),
             Instance("a2.dcm", 1700000000,
                      tags({{"SeriesInstanceUID", "1.2.3.1"},
                            {"SOPInstanceUID", "1.2.3.1.2"},
                            {"Modality", "CT"},
                            {"SeriesDescription", "NEW"},
                            {"InstanceNumber", 2}}))});
  Run();
  json first = StudyRow("1.2.3");
  EXPECT_EQ(first["numberOfSeries"], 1);
  EXPECT_EQ(first["numberOfInstances"], 2);
  EXPECT_EQ(first["started"], "2024-01-15T10:00:00Z");  // partial time, default zone
  EXPECT_EQ(json::parse(first["referrer_string"].get<std::string>())["display"], "Jürgen Müller");
  EXPECT_EQ(json::parse(first["series_string"].get<std::string>())[0]["bodySite"]["code"],
            "43799004");

  // A later ingest adds an MR series to the study.
  MakeDicom({Instance("b1.dcm", 1700000100,
                      tags({{"SeriesInstanceUID", "1.2.3.2"},
                            {"SOPInstanceUID", "1.2.3.2.1"},
                            {"Modality", "MR"},
                            {"InstanceNumber", 1}}))});
  Run();
  json grown = StudyRow("1.2.3");
  EXPECT_EQ(grown["numberOfSeries"], 2);
  EXPECT_EQ(grown["numberOfInstances"], 3);
  json modalities = json::parse(grown["modality_string"].get<std::string>());
  EXPECT_EQ(modalities.size(), 2u);
  EXPECT_EQ(grown["msftCreatedDatetime"], first["msftCreatedDatetime"]);
  EXPECT_GT(grown["msftModifiedDatetime"].get<std::string>(),
            first["msftModifiedDatetime"].get<std::string>());
  EXPECT_EQ(Count("SELECT count(*) FROM silver.ImagingStudy"), 1);

  // An older re-delivery of a1 with other content: bronze keeps both versions, but the study
  // keeps the newer one.
  MakeDicom({Instance("a1-old.dcm", 1600000000,
                      tags({{"SeriesInstanceUID", "1.2.3.1"},
                            {"SOPInstanceUID", "1.2.3.1.1"},
                            {"Modality", "CT"},
                            {"SeriesDescription", "OLD"},
                            {"InstanceNumber", 1}}))});
  Run();
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ImagingDicom"), 4);
  json after = StudyRow("1.2.3");
  json series = json::parse(after["series_string"].get<std::string>());
  EXPECT_EQ(series[0]["description"], "NEW");
  EXPECT_EQ(after["numberOfInstances"], 3);
  EXPECT_EQ(Count("SELECT count(*) FROM silver.ImagingMetastore WHERE sopInstanceUid = "
                  "'1.2.3.1.1' AND metadata_string LIKE '%NEW%'"),
            1);
  EXPECT_TRUE(Validate()["invalid"].empty());
}

TEST_F(FhirSilverTest, BadDatesAndZonesAreReportedAndLeftOut) {
  MakeDicom({Instance("x.dcm", 1700000000,
                      {{"StudyInstanceUID", "1.2.4"},
                       {"SeriesInstanceUID", "1.2.4.1"},
                       {"SOPInstanceUID", "1.2.4.1.1"},
                       {"PatientID", "P9"},
                       {"StudyDate", "20241340"},
                       {"SeriesDate", "20240101"},
                       {"SeriesTime", "235959.5"},
                       {"TimezoneOffsetFromUTC", "-0500"}}),
             Instance("y.dcm", 1700000000,
                      {{"StudyInstanceUID", "1.2.5"},
                       {"SeriesInstanceUID", "1.2.5.1"},
                       {"SOPInstanceUID", "1.2.5.1.1"},
                       {"PatientID", "P9"},
                       {"Modality", "US"},
                       {"StudyDate", "20240101"},
                       {"StudyTime", "1261"}})});
  Run({"fhir.default_timezone=+02:00"});
  json x = StudyRow("1.2.4");
  EXPECT_TRUE(x["started"].is_null());
  json series = json::parse(x["series_string"].get<std::string>());
  EXPECT_EQ(series[0]["started"], "2024-01-01T23:59:59.5-05:00");
  EXPECT_EQ(series[0]["modality"]["extension"][0]["valueCode"], "unknown");
  json y = StudyRow("1.2.5");
  EXPECT_EQ(y["started"], "2024-01-01");  // the time 12:61 is not a time: the date is kept
  EXPECT_EQ(Count("SELECT count(*) FROM admin.BusinessEvents WHERE message LIKE "
                  "'%20241340%' OR message LIKE '%1261%' OR message LIKE '%no Modality%'"),
            3);
  EXPECT_TRUE(Validate()["invalid"].empty());
}

// Text a device wrote in Latin-1 without declaring a character set (pydicom writes such a file
// when no Specific Character Set is given): every layer has the same decoded text, bronze says
// what it did.
TEST_F(FhirSilverTest, UndeclaredLatin1TextIsTheSameInEveryLayer) {
  MakeDicom({Instance("latin1.dcm", 1700000000,
                      {{"StudyInstanceUID", "1.2.6"},
                       {"SeriesInstanceUID", "1.2.6.1"},
                       {"SOPInstanceUID", "1.2.6.1.1"},
                       {"PatientID", "P10"},
                       {"PatientName", "Müller^Jürgen"},
                       {"Modality", "MR"},
                       {"StudyDate", "20240102"},
                       {"StudyDescription", "IRM cérébrale"},
                       {"SeriesDescription", "T1 sagittal à contraste"}})});
  std::string bytes = *fs::ReadFile(fs::Join(ingest_, "latin1.dcm"));
  ASSERT_NE(bytes.find("IRM c\xe9r\xe9"), std::string::npos) << "pydicom wrote no Latin-1";
  // The patient's clinical record, so that gold has a person for the procedure.
  ASSERT_TRUE(fs::MakeDirs(clinical_).ok());
  json patient = {
      {"resourceType", "Patient"},
      {"id", "pat-10"},
      {"meta", {{"lastUpdated", "2024-01-01T00:00:00Z"}}},
      {"identifier", json::array({{{"system", "urn:dicomlake:namespace:HOSP"}, {"value", "P10"}}})},
      {"gender", "male"},
      {"birthDate", "1960-05-06"}};
  ASSERT_TRUE(fs::WriteFileAtomic(clinical_ + "/patients.ndjson", patient.dump() + "\n").ok());
  Run();
  auto bronze =
      Sql("SELECT studyDescription, patientName, array_to_string(parseWarnings, ' | ') "
          "FROM bronze.ImagingDicom");
  ASSERT_EQ(bronze.rows.size(), 1u);
  EXPECT_EQ(bronze.rows[0][0].s, "IRM cérébrale");
  EXPECT_EQ(bronze.rows[0][1].s, "Müller^Jürgen");
  EXPECT_NE(bronze.rows[0][2].s.find("(0008,1030) read as ISO-IR 100 (Latin-1): non-ASCII text "
                                     "and no Specific Character Set"),
            std::string::npos)
      << bronze.rows[0][2].s;
  json study = StudyRow("1.2.6");
  EXPECT_EQ(study["description"], "IRM cérébrale");  // FHIR ImagingStudy, through silver
  json series = json::parse(study["series_string"].get<std::string>());
  EXPECT_EQ(series[0]["description"], "T1 sagittal à contraste");
  auto gold = pipeline::RunGold(*lake_, *engine_, Config());
  ASSERT_TRUE(gold.ok()) << gold.status().ToString();
  auto procedure = Sql("SELECT procedure_source_value FROM gold.procedure_occurrence");
  ASSERT_EQ(procedure.rows.size(), 1u);
  EXPECT_EQ(procedure.rows[0][0].s, "IRM cérébrale");
  EXPECT_TRUE(Validate()["invalid"].empty());
}

TEST_F(FhirSilverTest, PatientsLinkByIdentifierAndOtherResourcesAreKept) {
  MakeDicom({Instance("p1.dcm", 1700000000,
                      {{"StudyInstanceUID", "1.2.6"},
                       {"SeriesInstanceUID", "1.2.6.1"},
                       {"SOPInstanceUID", "1.2.6.1.1"},
                       {"PatientID", "P1"},
                       {"Modality", "CR"}}),
             Instance("p2.dcm", 1700000000,
                      {{"StudyInstanceUID", "1.2.7"},
                       {"SeriesInstanceUID", "1.2.7.1"},
                       {"SOPInstanceUID", "1.2.7.1.1"},
                       {"PatientID", "P2"},
                       {"Modality", "CR"}}),
             Instance("p3.dcm", 1700000000,
                      {{"StudyInstanceUID", "1.2.8"},
                       {"SeriesInstanceUID", "1.2.8.1"},
                       {"SOPInstanceUID", "1.2.8.1.1"},
                       {"PatientID", "P3"},
                       {"Modality", "CR"}})});
  const std::string system = "urn:dicomlake:namespace:HOSP";
  auto patient = [&](const std::string& id, const std::string& value) {
    return json{{"resourceType", "Patient"},
                {"id", id},
                {"meta", {{"lastUpdated", "2024-01-01T00:00:00Z"}}},
                {"identifier", json::array({{{"system", system}, {"value", value}}})},
                {"gender", "female"},
                {"birthDate", "1970-02-03"},
                {"name", json::array({{{"family", "Zoë"}, {"given", json::array({"Ann"})}}})}}
        .dump();
  };
  ASSERT_TRUE(fs::MakeDirs(clinical_).ok());
  ASSERT_TRUE(
      fs::WriteFileAtomic(clinical_ + "/patients.ndjson",
                          patient("pat-1", "P1") + "\n" +
                              R"({"resourceType":"Observation","id":"o1","status":"final"})" +
                              "\nnot json\n")
          .ok());
  Run();
  // P1 is linked in silver (the silver stage stores patients before studies); P2 and P3 only
  // carry the identifier.
  json p1 = json::parse(StudyRow("1.2.6")["subject_string"].get<std::string>());
  EXPECT_EQ(p1["reference"], "Patient/pat-1");
  EXPECT_EQ(p1["id"], Sha256Hex("HOSP/Patient/pat-1"));
  EXPECT_EQ(Count("SELECT count(*) FROM silver.Patient WHERE id = '" +
                  Sha256Hex("HOSP/Patient/pat-1") + "' AND gender = 'female'"),
            1);
  json p2 = json::parse(StudyRow("1.2.7")["subject_string"].get<std::string>());
  EXPECT_FALSE(p2.contains("reference"));
  EXPECT_EQ(p2["identifier"]["value"], "P2");
  EXPECT_EQ(Count("SELECT count(*) FROM bronze.ClinicalFhir WHERE resourceType = 'Observation'"),
            1);
  EXPECT_EQ(last_silver_.failed, 1);  // "not json", named with its file and line
  EXPECT_NE(last_silver_.failures.at(0).path.find("patients.ndjson:3"), std::string::npos);
  // The dropped file moved to Process.
  EXPECT_FALSE(fs::Exists(clinical_ + "/patients.ndjson"));

  // P2's patient arrives later: the stored study is linked then.
  ASSERT_TRUE(fs::WriteFileAtomic(clinical_ + "/more.ndjson", patient("pat-2", "P2") + "\n").ok());
  Run();
  json p2_linked = json::parse(StudyRow("1.2.7")["subject_string"].get<std::string>());
  EXPECT_EQ(p2_linked["reference"], "Patient/pat-2");
  EXPECT_EQ(Count("SELECT count(*) FROM silver.ImagingStudy WHERE subject.id IS NOT NULL"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM silver.ImagingStudy s JOIN silver.Patient p ON "
                  "s.subject.id = p.id"),
            2);
  EXPECT_TRUE(Validate()["invalid"].empty());
}

}  // namespace
}  // namespace dicomlake
