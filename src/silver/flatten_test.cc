#include "silver/flatten.h"

#include <gtest/gtest.h>

#include "common/sha256.h"
#include "silver/fhir_tables.h"

namespace dicomlake::silver {
namespace {

using json = nlohmann::ordered_json;

TEST(Flatten, FhirInstants) {
  int64_t us = 0;
  ASSERT_TRUE(ParseFhirInstant("1970-01-01T00:00:01Z", &us));
  EXPECT_EQ(us, 1000000);
  ASSERT_TRUE(ParseFhirInstant("1970-01-01T01:00:00+01:00", &us));
  EXPECT_EQ(us, 0);
  ASSERT_TRUE(ParseFhirInstant("1970-01-02", &us));
  EXPECT_EQ(us, 86400LL * 1000000);
  ASSERT_TRUE(ParseFhirInstant("1970-01-01T00:00:00.25Z", &us));
  EXPECT_EQ(us, 250000);
  EXPECT_FALSE(ParseFhirInstant("1970-1-1", &us));
  EXPECT_FALSE(ParseFhirInstant("yesterday", &us));
}

TEST(Flatten, ImagingStudyRowAndTwins) {
  json r = json::parse(R"({
    "resourceType": "ImagingStudy", "id": "abc", "meta": {"lastUpdated": "2024-01-01T00:00:00Z"},
    "identifier": [{"system": "urn:dicom:uid", "value": "urn:oid:1.2.3"}],
    "status": "available",
    "subject": {"reference": "Patient/p1", "identifier": {"system": "s", "value": "v"}},
    "numberOfSeries": 1, "numberOfInstances": 2,
    "series": [{"uid": "1.2.3.1", "modality": {"system": "x", "code": "CT"},
                "instance": [{"uid": "1.2.3.1.1", "number": 1}, {"uid": "1.2.3.1.2"}]}],
    "unmodelled": {"a": 1}})");
  lake::Schema schema = ImagingStudySchema();
  Lineage lineage{"ns", "/f.ndjson", 5, 0};
  lake::Row row = FlattenResource(r, schema, lineage);
  auto col = [&](const char* n) { return row[static_cast<size_t>(schema.IndexOf(n))]; };
  EXPECT_EQ(col("id").s, Sha256Hex("ns/ImagingStudy/abc"));
  EXPECT_EQ(col("idOrig").s, "abc");
  EXPECT_EQ(col("meta_lastUpdated").i, 1704067200LL * 1000000);
  EXPECT_EQ(col("numberOfInstances").i, 2);
  EXPECT_EQ(col("msftSourceSystem").s, "ns");
  // Each twin is the JSON of its typed column; the reference is normalised.
  json subject = json::parse(col("subject_string").s);
  EXPECT_EQ(subject["idOrig"], "p1");
  EXPECT_EQ(subject["type"], "Patient");
  EXPECT_EQ(subject["id"], Sha256Hex("ns/Patient/p1"));
  EXPECT_EQ(subject["msftSourceReference"], "Patient/p1");
  json series = json::parse(col("series_string").s);
  EXPECT_EQ(series, r["series"]);
  EXPECT_EQ(json::parse(col("identifier_string").s), r["identifier"]);
  EXPECT_TRUE(col("modality").is_null());
  EXPECT_TRUE(col("modality_string").is_null());
}

TEST(Flatten, LinkSubjectColumnKeepsIdentifier) {
  json r = json::parse(R"({"resourceType": "ImagingStudy", "id": "abc",
    "subject": {"identifier": {"system": "s", "value": "v"}}})");
  lake::Schema schema = ImagingStudySchema();
  lake::Row row = FlattenResource(r, schema, Lineage{"ns", "", 0, 0});
  LinkSubjectColumn(&row, schema, "pid", "p1");
  json subject = json::parse(row[static_cast<size_t>(schema.IndexOf("subject_string"))].s);
  EXPECT_EQ(subject["reference"], "Patient/p1");
  EXPECT_EQ(subject["id"], "pid");
  EXPECT_EQ(subject["identifier"]["value"], "v");
  EXPECT_EQ(ValueToJson(row[static_cast<size_t>(schema.IndexOf("subject"))],
                        schema.fields[static_cast<size_t>(schema.IndexOf("subject"))].type),
            subject);
}

TEST(Flatten, SchemasAreSparkCompatible) {
  EXPECT_TRUE(ImagingStudySchema().Validate().ok());
  EXPECT_TRUE(PatientSchema().Validate().ok());
  EXPECT_TRUE(ImagingMetastoreSchema().Validate().ok());
  EXPECT_TRUE(ClinicalFhirSchema().Validate().ok());
}

}  // namespace
}  // namespace dicomlake::silver
