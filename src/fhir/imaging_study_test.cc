#include "fhir/imaging_study.h"

#include <gtest/gtest.h>

#include "common/sha256.h"

namespace dicomlake::fhir {
namespace {

using json = nlohmann::ordered_json;

// A DICOM JSON data set from (tag, vr, value) triples; PN values become {"Alphabetic": ...}.
std::string Dataset(std::initializer_list<std::tuple<const char*, const char*, json>> elements) {
  json ds = json::object();
  for (const auto& [tag, vr, value] : elements) {
    json e = {{"vr", vr}};
    json v = value.is_array() ? value : json::array({value});
    if (std::string(vr) == "PN") {
      json pn = json::array();
      for (const auto& x : v) pn.push_back({{"Alphabetic", x}});
      v = pn;
    }
    e["Value"] = v;
    ds[tag] = e;
  }
  return ds.dump();
}

InstanceInput Inst(std::string metadata, int64_t modified_us = 1000000) {
  InstanceInput i;
  i.metadata_json = std::move(metadata);
  i.source_modified_us = modified_us;
  i.created_us = 1;
  i.file_path = "/x.dcm";
  return i;
}

StudyInput Study(std::vector<InstanceInput> instances, std::string uid = "1.2.3") {
  StudyInput s;
  s.namespace_name = "hospitalA";
  s.study_uid = uid;
  s.group_key = uid;
  s.instances = std::move(instances);
  return s;
}

TEST(MapStudy, IssuerSystems) {
  EXPECT_EQ(IssuerSystem("1.2.3.4"), "urn:oid:1.2.3.4");
  EXPECT_EQ(IssuerSystem("http://hospital.example/mrn"), "http://hospital.example/mrn");
  EXPECT_EQ(IssuerSystem("HOSPITAL A"), "urn:dicomlake:issuer:HOSPITAL%20A");
}

TEST(MapStudy, CompleteStudy) {
  auto ct1 = Dataset({{"00080016", "UI", "1.2.840.10008.5.1.4.1.1.2"},
                      {"00080018", "UI", "1.2.3.1.1"},
                      {"00080020", "DA", "20240115"},
                      {"00080030", "TM", "101530"},
                      {"00080201", "SH", "+0100"},
                      {"00080050", "SH", "ACC123"},
                      {"00080060", "CS", "CT"},
                      {"00080090", "PN", "Ref^Rita"},
                      {"00081030", "LO", "CT Chest"},
                      {"0008103E", "LO", "Axial"},
                      {"00100020", "LO", "PAT1"},
                      {"00180015", "CS", "CHEST"},
                      {"0020000E", "UI", "1.2.3.1"},
                      {"00200011", "IS", 2},
                      {"00200013", "IS", 1},
                      {"00200060", "CS", "L"}});
  auto ct2 = Dataset({{"00080016", "UI", "1.2.840.10008.5.1.4.1.1.2"},
                      {"00080018", "UI", "1.2.3.1.2"},
                      {"00080060", "CS", "CT"},
                      {"00100020", "LO", "PAT1"},
                      {"0020000E", "UI", "1.2.3.1"},
                      {"00200013", "IS", 2}});
  auto pr = Dataset({{"00080016", "UI", "1.2.840.10008.5.1.4.1.1.11.1"},
                     {"00080018", "UI", "1.2.3.2.1"},
                     {"00080060", "CS", "PR"},
                     {"00100020", "LO", "PAT1"},
                     {"0020000E", "UI", "1.2.3.2"},
                     {"00200011", "IS", 1}});
  MappedStudy m = MapStudy(Study({Inst(ct1, 3000000), Inst(ct2, 1000000), Inst(pr, 2000000)}),
                           MappingOptions{});
  const json& r = m.resource;
  EXPECT_EQ(m.id, Sha256Hex("hospitalA/1.2.3"));
  EXPECT_EQ(r["resourceType"], "ImagingStudy");
  EXPECT_EQ(r["status"], "available");
  EXPECT_EQ(r["identifier"][0]["system"], "urn:dicom:uid");
  EXPECT_EQ(r["identifier"][0]["value"], "urn:oid:1.2.3");
  EXPECT_EQ(r["identifier"][1]["value"], "ACC123");
  EXPECT_EQ(r["identifier"][1]["type"]["coding"][0]["code"], "ACSN");
  EXPECT_EQ(r["started"], "2024-01-15T10:15:30+01:00");
  EXPECT_EQ(r["meta"]["lastUpdated"], "1970-01-01T00:00:03.000Z");
  EXPECT_EQ(r["numberOfSeries"], 2);
  EXPECT_EQ(r["numberOfInstances"], 3);
  ASSERT_EQ(r["modality"].size(), 2u);  // the union of the series modalities
  EXPECT_EQ(r["modality"][0]["code"], "CT");
  EXPECT_EQ(r["modality"][1]["code"], "PR");
  EXPECT_EQ(r["subject"]["identifier"]["system"], "urn:dicomlake:namespace:hospitalA");
  EXPECT_EQ(r["subject"]["identifier"]["value"], "PAT1");
  EXPECT_EQ(r["referrer"]["display"], "Rita Ref");
  // Series ordered by number: the PR series (1) before the CT series (2).
  EXPECT_EQ(r["series"][0]["uid"], "1.2.3.2");
  const json& ct = r["series"][1];
  EXPECT_EQ(ct["numberOfInstances"], 2);
  EXPECT_EQ(ct["bodySite"]["code"], "43799004");
  EXPECT_EQ(ct["laterality"]["code"], "419161000");
  EXPECT_EQ(ct["instance"][0]["uid"], "1.2.3.1.1");
  EXPECT_EQ(ct["instance"][0]["sopClass"]["code"], "urn:oid:1.2.840.10008.5.1.4.1.1.2");
  EXPECT_EQ(ct["instance"][0]["sopClass"]["system"], "urn:ietf:rfc:3986");
  EXPECT_TRUE(m.issues.empty()) << m.issues[0].message;
}

TEST(MapStudy, IncompleteDataIsReportedNotInvented) {
  auto bad = Dataset({{"00080018", "UI", "1.2.3.1.1"},
                      {"00080020", "DA", "2024011"},
                      {"0020000E", "UI", "1.2.3.1"},
                      {"00200011", "IS", "-4"}});
  auto no_series = Dataset({{"00080018", "UI", "1.2.3.9.9"}});
  MappedStudy m = MapStudy(Study({Inst(bad), Inst(no_series)}, ""), MappingOptions{});
  const json& r = m.resource;
  EXPECT_FALSE(r.contains("identifier"));
  EXPECT_FALSE(r.contains("started"));
  EXPECT_FALSE(r["series"][0].contains("number"));
  EXPECT_EQ(r["series"][0]["modality"]["extension"][0]["valueCode"], "unknown");
  EXPECT_EQ(r["series"][0]["instance"][0]["sopClass"]["extension"][0]["url"], kDataAbsentReasonUrl);
  EXPECT_EQ(r["subject"]["extension"][0]["valueCode"], "unknown");
  EXPECT_EQ(r["numberOfInstances"], 1);
  EXPECT_GE(m.issues.size(), 6u);  // no study UID, bad date, bad number, no modality, ...
}

TEST(MapStudy, TimeWithoutZoneUsesTheDefaultAndSaysSo) {
  auto ds = Dataset({{"00080016", "UI", "1.2.840.10008.5.1.4.1.1.4"},
                     {"00080018", "UI", "1.2.3.1.1"},
                     {"00100020", "LO", "P"},
                     {"00080020", "DA", "20240115"},
                     {"00080030", "TM", "0930"},
                     {"0020000E", "UI", "1.2.3.1"},
                     {"00080060", "CS", "MR"}});
  MappingOptions options;
  options.default_timezone = "-05:00";
  MappedStudy m = MapStudy(Study({Inst(ds)}), options);
  EXPECT_EQ(m.resource["started"], "2024-01-15T09:30:00-05:00");
  ASSERT_EQ(m.issues.size(), 1u);
  EXPECT_EQ(m.issues[0].severity, "Warning");
}

TEST(MapStudy, IssuerOfPatientIdAndLink) {
  auto ds = Dataset({{"00080018", "UI", "1.2.3.1.1"},
                     {"0020000E", "UI", "1.2.3.1"},
                     {"00080060", "CS", "US"},
                     {"00100020", "LO", "MRN7"},
                     {"00100021", "LO", "2.16.840.1.113883.3.1"}});
  MappedStudy m = MapStudy(Study({Inst(ds)}), MappingOptions{});
  EXPECT_EQ(m.subject_system, "urn:oid:2.16.840.1.113883.3.1");
  LinkSubject(&m.resource, "p-7");
  EXPECT_EQ(m.resource["subject"]["reference"], "Patient/p-7");
  EXPECT_EQ(m.resource["subject"]["identifier"]["value"], "MRN7");
}

}  // namespace
}  // namespace dicomlake::fhir
