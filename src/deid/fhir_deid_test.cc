#include "deid/fhir_deid.h"

#include <gtest/gtest.h>

namespace dicomlake::deid {
namespace {

using json = nlohmann::ordered_json;

const json kPatient = json::parse(R"({
  "resourceType": "Patient", "id": "smp-1",
  "meta": {"lastUpdated": "2025-01-01T00:00:00Z"},
  "text": {"status": "generated", "div": "<div>Aisha Müller, 1985-11-09</div>"},
  "identifier": [
    {"use": "usual", "type": {"coding": [{"code": "MR"}], "text": "Hospital MRN"},
     "system": "urn:oid:1.2.3", "value": "S1-00003", "assigner": {"display": "St Mary's"}},
    {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "123-45-6789"}],
  "name": [{"family": "Müller", "given": ["Aisha"]}],
  "telecom": [{"system": "phone", "value": "+49 30 1234567"}],
  "address": [{"city": "Berlin"}],
  "gender": "female", "birthDate": "1985-11-09",
  "deceasedDateTime": "2024-02-29T10:11:12+01:00",
  "extension": [{"url": "http://example.org/mothers-maiden-name", "valueString": "Schmidt"}],
  "generalPractitioner": [{"reference": "Practitioner/dr-who", "display": "Dr Who"}]
})");

Key TestKey() { return Key::FromBytes(std::string(32, 'k')); }

FhirDeidContext Context(const Key& key, std::initializer_list<Option> options) {
  FhirDeidContext c;
  c.key = &key;
  for (Option o : options) c.settings.options.applied.insert(o);
  c.patient_identifier_system = "urn:dicomlake:namespace:research";
  return c;
}

TEST(FhirDeidTest, BasicProfileLeavesNoIdentityAndKeepsTheLink) {
  Key key = TestKey();
  auto out = DeidentifyResource(kPatient, "S1-00003", Context(key, {}));
  ASSERT_TRUE(out.ok()) << out.status().message();
  const json& p = *out;
  std::string text = p.dump();
  for (const char* gone :
       {"Müller", "Aisha", "S1-00003", "123-45-6789", "1234567", "Berlin", "Schmidt", "Dr Who",
        "dr-who", "St Mary", "smp-1", "1985-11-09", "2024-02-29", "female", "Hospital MRN"}) {
    EXPECT_EQ(text.find(gone), std::string::npos) << gone << " in " << text;
  }
  EXPECT_EQ(p["id"], NewResourceId(key, "Patient", "smp-1"));
  EXPECT_EQ(p["identifier"][0]["system"], "urn:dicomlake:namespace:research");
  EXPECT_EQ(p["identifier"][0]["value"], key.PatientPseudonym("S1-00003"));
  EXPECT_EQ(p["identifier"][0]["type"]["coding"][0]["code"], "MR");
  EXPECT_EQ(p["identifier"][1]["system"], kPseudonymSystem);
  EXPECT_EQ(p["birthDate"], "1985");  // the year alone without a temporal option
  EXPECT_FALSE(p.contains("deceasedDateTime"));
  EXPECT_FALSE(p["meta"].contains("lastUpdated"));
  // Deterministic: the same key gives the same resource.
  EXPECT_EQ(DeidentifyResource(kPatient, "S1-00003", Context(key, {}))->dump(), text);
}

TEST(FhirDeidTest, ModifiedDatesMoveByThePatientsShift) {
  Key key = TestKey();
  auto c = Context(
      key, {Option::kRetainLongitudinalModifiedDates, Option::kRetainPatientCharacteristics});
  int shift = key.DateShiftDays("S1-00003", c.settings.shift_min_days, c.settings.shift_max_days);
  auto out = DeidentifyResource(kPatient, "S1-00003", c);
  ASSERT_TRUE(out.ok());
  std::string birth = ShiftDicomDate("19851109", shift);
  EXPECT_EQ((*out)["birthDate"],
            birth.substr(0, 4) + "-" + birth.substr(4, 2) + "-" + birth.substr(6, 2));
  std::string death = ShiftDicomDate("20240229", shift);
  EXPECT_EQ((*out)["deceasedDateTime"], death.substr(0, 4) + "-" + death.substr(4, 2) + "-" +
                                            death.substr(6, 2) + "T10:11:12+01:00");
  EXPECT_EQ((*out)["gender"], "female");
}

TEST(FhirDeidTest, OtherResourcesKeepTheirReferencesToThePatient) {
  Key key = TestKey();
  json obs = json::parse(R"({"resourceType": "Observation", "id": "o1", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2", "display": "Body height"}],
             "text": "height measured by nurse Jane"},
    "subject": {"reference": "Patient/smp-1", "display": "Aisha Müller"},
    "effectiveDateTime": "2020-05-01", "valueQuantity": {"value": 170, "unit": "cm"},
    "performer": [{"reference": "https://ehr.example.org/fhir/Practitioner/9"}],
    "note": [{"text": "patient anxious"}]})");
  auto out =
      DeidentifyResource(obs, "S1-00003", Context(key, {Option::kRetainLongitudinalFullDates}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["subject"]["reference"], "Patient/" + NewResourceId(key, "Patient", "smp-1"));
  EXPECT_FALSE((*out)["subject"].contains("display"));
  EXPECT_EQ((*out)["code"]["coding"][0]["display"], "Body height");  // terminology stays
  EXPECT_FALSE((*out)["code"].contains("text"));
  EXPECT_FALSE((*out)["performer"][0].contains("reference"));  // a server's URL
  EXPECT_EQ((*out)["effectiveDateTime"], "2020-05-01");
  EXPECT_EQ((*out)["valueQuantity"]["value"], 170);
  EXPECT_FALSE(out->contains("note"));
  EXPECT_FALSE(DeidentifyResource(json::array(), "", Context(key, {})).ok());
}

}  // namespace
}  // namespace dicomlake::deid
