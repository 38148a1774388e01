#include "sample/deid_test_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "common/fs.h"
#include "common/time_util.h"
#include "dicom/dicom_writer.h"
#include "sample/dataset_builder.h"
#include "sample/deterministic.h"
#include "sample/text_render.h"

namespace dicomlake::sample {
namespace {

using json = nlohmann::ordered_json;

// The options the answer key's expectations are for.
const char* const kOptions[] = {"retain-longitudinal-modified-dates", "clean-pixel-data",
                                "retain-safe-private"};

struct Person {
  std::string family, given, ideographic, phonetic;
};
const Person kPeople[] = {
    {"Yamada", "Tarou", "山田^太郎", "やまだ^たろう"},
    {"Okafor", "Chinwe", "", ""},
    {"Lindqvist", "Astrid", "", ""},
    {"Kim", "Minjun", "김^민준", ""},
    {"Moreau", "Celine", "", ""},
    {"Haddad", "Karim", "", ""},
    {"Novak", "Petra", "", ""},
    {"Fernandes", "Rafael", "", ""},
};

std::string Uid(uint64_t seed, uint64_t what, uint64_t index) {
  return "2.25." + std::to_string(H(seed, 0xD1D, what, index) >> 1);
}

std::string DicomDate(int64_t days) {
  std::string iso = FormatDate(days);  // YYYY-MM-DD
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2);
}

class TestSetWriter {
 public:
  TestSetWriter(const DeidTestSetOptions& o, std::string dicom_dir)
      : o_(o), dicom_dir_(std::move(dicom_dir)) {}

  Status Patient(int p) {
    const Person& who = kPeople[p % std::size(kPeople)];
    id_ = fmt::format("DLT{}-{:03}", o_.seed, p);
    name_ = who.family + "^" + who.given;
    if (!who.ideographic.empty()) name_ += "=" + who.ideographic;
    if (!who.phonetic.empty()) name_ += "=" + who.phonetic;
    family_ = who.family;
    given_ = who.given;
    birth_ = DaysFromCivil(1950, 1, 1) + static_cast<int64_t>(H(o_.seed, 1, p) % 15000);
    const int64_t first = DaysFromCivil(2023, 1, 1) + static_cast<int64_t>(H(o_.seed, 2, p) % 300);
    const int64_t second = first + 30 + p;  // the interval a de-identifier must keep
    p_ = p;
    DL_RETURN_IF_ERROR(CtStudy(first));
    DL_RETURN_IF_ERROR(UsStudy(second));
    key_.push_back({{"check", "date_interval"},
                    {"patient", id_},
                    {"studies", {study_uids_[0], study_uids_[1]}},
                    {"days", second - first}});
    study_uids_.clear();
    ++counts_.patients;
    return Status::Ok();
  }

  json Fhir(int p) const {
    const Person& who = kPeople[p % std::size(kPeople)];
    std::string id = fmt::format("dlt-{}-{:03}", o_.seed, p);
    std::string patient_id = fmt::format("DLT{}-{:03}", o_.seed, p);
    int64_t birth = DaysFromCivil(1950, 1, 1) + static_cast<int64_t>(H(o_.seed, 1, p) % 15000);
    json patient = {
        {"resourceType", "Patient"},
        {"id", id},
        {"identifier", {{{"system", "urn:oid:" + Issuer()}, {"value", patient_id}}}},
        {"name", {{{"family", who.family}, {"given", {who.given}}}}},
        {"telecom", {{{"system", "phone"}, {"value", fmt::format("+1 555 01{:02}", p)}}}},
        {"address",
         {{{"line", {fmt::format("{} Elm Street", 10 + p)}},
           {"city", "Springfield"},
           {"postalCode", fmt::format("9{:04}", 1000 + p)}}}},
        {"gender", p % 2 ? "male" : "female"},
        {"birthDate", FormatDate(birth)}};
    json observation = {
        {"resourceType", "Observation"},
        {"id", fmt::format("obs-{}-{:03}", o_.seed, p)},
        {"status", "final"},
        {"code", {{"coding", {{{"system", "http://loinc.org"}, {"code", "29463-7"}}}}}},
        {"subject", {{"reference", "Patient/" + id}, {"display", who.given + " " + who.family}}},
        {"effectiveDateTime", FormatDate(birth + 20000) + "T10:00:00Z"},
        {"valueQuantity", {{"value", 60 + p}, {"unit", "kg"}}},
        {"note", {{{"text", "weighed by nurse, patient " + who.family}}}}};
    return json::array({patient, observation});
  }

  std::string Issuer() const { return Uid(o_.seed, 99, 0); }
  const json& key() const { return key_; }
  const DeidTestSetCounts& counts() const { return counts_; }

 private:
  // The elements every instance shares, with their key rows.
  void Common(Builder& b, const std::string& sop, const std::string& study, int64_t date,
              const char* modality) {
    const std::string d = DicomDate(date);
    b.S(0x0008, 0x0005, "CS", "ISO_IR 192")
        .S(0x0008, 0x0020, "DA", d)
        .S(0x0008, 0x0021, "DA", d)
        .S(0x0008, 0x0023, "DA", d)
        .S(0x0008, 0x002A, "DT", d + "101500")
        .S(0x0008, 0x0030, "TM", "101500")
        .S(0x0008, 0x0050, "SH", fmt::format("ACC{}{:03}{}", o_.seed, p_, modality))
        .S(0x0008, 0x0060, "CS", modality)
        .S(0x0008, 0x0070, "LO", "GE MEDICAL SYSTEMS")
        .S(0x0008, 0x0080, "LO", "Springfield General Hospital")
        .S(0x0008, 0x0081, "ST", "1 Hospital Road, Springfield")
        .S(0x0008, 0x0090, "PN", "Smith^John^^Dr")
        .S(0x0008, 0x1010, "SH", "SPRINGFIELD-" + std::string(modality))
        .S(0x0008, 0x1030, "LO", fmt::format("{} for {} {}", modality, family_, given_))
        .S(0x0008, 0x103E, "LO", "series of " + given_)
        .S(0x0008, 0x1050, "PN", "Jones^Mary")
        .S(0x0008, 0x1070, "PN", "Brown^Tom")
        .S(0x0010, 0x0010, "PN", name_)
        .S(0x0010, 0x0020, "LO", id_)
        .S(0x0010, 0x0021, "LO", Issuer())
        .S(0x0010, 0x0030, "DA", DicomDate(birth_))
        .S(0x0010, 0x0040, "CS", p_ % 2 ? "M" : "F")
        .S(0x0010, 0x1000, "LO", fmt::format("MRN{}-{:03}-OLD", o_.seed, p_))
        .S(0x0010, 0x1040, "LO", fmt::format("{} Elm Street, Springfield", 10 + p_))
        .S(0x0010, 0x2154, "SH", fmt::format("+1 555 01{:02}", p_))
        .S(0x0010, 0x21B0, "LT",
           fmt::format("Seen by Dr Smith on {} for {}", FormatDate(date - 40), family_))
        .S(0x0010, 0x4000, "LT", fmt::format("{} prefers mornings", family_))
        .S(0x0018, 0x1000, "LO", "SN-778899")
        .S(0x0020, 0x000D, "UI", study)
        .S(0x0020, 0x0010, "SH", fmt::format("ST{}{:03}", o_.seed, p_))
        .S(0x0020, 0x4000, "LT",
           fmt::format("{}, MRN{}-{:03}-OLD, scanned {}", family_, o_.seed, p_, FormatDate(date)))
        // Private: one attribute on the safe list (kept with Retain Safe Private), one with a
        // name, and a private sequence holding the patient id.
        .S(0x0011, 0x0010, "LO", "DLTEST PHI")
        .S(0x0011, 0x1001, "LO", name_)
        .Q(0x0011, 0x1002, {Builder().S(0x0010, 0x0020, "LO", id_).Done()})
        .S(0x0019, 0x0010, "LO", "GEMS_ACQU_01")
        .S(0x0019, 0x1023, "DS", "12.5")
        // Nested: identifiers inside sequence items.
        .Q(0x0010, 0x1002,
           {Builder()
                .S(0x0010, 0x0020, "LO", fmt::format("ALT{}-{:03}", o_.seed, p_))
                .S(0x0010, 0x0021, "LO", "OTHER HOSPITAL")
                .Done()})
        .Q(0x0040, 0x0275,
           {Builder()
                .S(0x0008, 0x0050, "SH", fmt::format("REQ{}{:03}", o_.seed, p_))
                .S(0x0040, 0x0009, "SH", fmt::format("SPS{}{:03}", o_.seed, p_))
                .S(0x0040, 0x1001, "SH", fmt::format("RP{}{:03}", o_.seed, p_))
                .Done()});
    auto removed = [&](const char* path, const std::string& value) {
      key_.push_back({{"sop", sop}, {"check", "text_removed"}, {"path", path}, {"value", value}});
    };
    for (const char* path : {"00080050",
                             "00080080",
                             "00080081",
                             "00080090",
                             "00081010",
                             "00081030",
                             "0008103E",
                             "00081050",
                             "00081070",
                             "00100021",
                             "00101000",
                             "00101040",
                             "00102154",
                             "001021B0",
                             "00104000",
                             "00181000",
                             "00200010",
                             "00204000",
                             "00111001",
                             "00111002/0/00100020",
                             "00101002/0/00100020",
                             "00400275/0/00080050",
                             "00400275/0/00400009",
                             "00400275/0/00401001"}) {
      removed(path, "");  // the value is filled in from the data set when it is written
    }
    key_.push_back({{"sop", sop},
                    {"check", "text_removed"},
                    {"path", "00100010"},
                    {"value", name_},
                    {"words", {family_, given_}}});
    for (const char* path : {"00080020", "00080021", "00080023", "00100030"}) {
      key_.push_back({{"sop", sop}, {"check", "date_shifted"}, {"path", path}});
    }
    key_.push_back({{"sop", sop}, {"check", "date_shifted"}, {"path", "0008002A"}});
    for (const char* path : {"00080060", "00080070", "00191023"}) {
      key_.push_back({{"sop", sop}, {"check", "tag_retained"}, {"path", path}});
    }
    key_.push_back({{"sop", sop}, {"check", "text_notnull"}, {"path", "00100020"}});
    key_.push_back(
        {{"sop", sop}, {"check", "patid_consistent"}, {"path", "00100020"}, {"value", id_}});
    for (const char* path : {"0020000D", "0020000E", "00080018"}) {
      key_.push_back({{"sop", sop}, {"check", "uid_changed"}, {"path", path}});
      key_.push_back({{"sop", sop}, {"check", "uid_consistent"}, {"path", path}});
    }
  }

  Status CtStudy(int64_t date) {
    const std::string study = Uid(o_.seed, 1, p_ * 10);
    const std::string series = Uid(o_.seed, 2, p_ * 10);
    const std::string frame_of_reference = Uid(o_.seed, 3, p_ * 10);
    study_uids_.push_back(study);
    std::string first_sop;
    for (int k = 0; k < 3; ++k) {
      const std::string sop = Uid(o_.seed, 4, p_ * 10 + k);
      Builder b;
      Common(b, sop, study, date, "CT");
      b.S(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2")
          .S(0x0008, 0x0018, "UI", sop)
          .S(0x0018, 0x0015, "CS", "CHEST")
          .S(0x0018, 0x0050, "DS", "2.5")
          .S(0x0020, 0x000E, "UI", series)
          .S(0x0020, 0x0011, "IS", "1")
          .S(0x0020, 0x0013, "IS", std::to_string(k + 1))
          .S(0x0020, 0x0052, "UI", frame_of_reference)
          .M(0x0020, 0x0032, "DS", {"0", "0", std::to_string(k * 2.5)})
          .M(0x0020, 0x0037, "DS", {"1", "0", "0", "0", "1", "0"})
          .M(0x0028, 0x0030, "DS", {"0.7", "0.7"})
          .S(0x0028, 0x0004, "CS", "MONOCHROME2")
          .U(0x0028, 0x0002, 1)
          .U(0x0028, 0x0010, 32)
          .U(0x0028, 0x0011, 32)
          .U(0x0028, 0x0100, 16)
          .U(0x0028, 0x0101, 12)
          .U(0x0028, 0x0102, 11)
          .U(0x0028, 0x0103, 0)
          .B(0x7FE0, 0x0010, "OW", std::string(32 * 32 * 2, '\x01'));
      if (k > 0) {
        b.Q(0x0008, 0x2112,
            {Builder()
                 .S(0x0008, 0x1150, "UI", "1.2.840.10008.5.1.4.1.1.2")
                 .S(0x0008, 0x1155, "UI", first_sop)
                 .Done()});
        key_.push_back(
            {{"sop", sop}, {"check", "uid_consistent"}, {"path", "00082112/0/00081155"}});
        key_.push_back({{"sop", sop}, {"check", "uid_changed"}, {"path", "00082112/0/00081155"}});
      } else {
        first_sop = sop;
      }
      key_.push_back({{"sop", sop}, {"check", "uid_changed"}, {"path", "00200052"}});
      key_.push_back({{"sop", sop}, {"check", "uid_consistent"}, {"path", "00200052"}});
      for (const char* path : {"00180015", "00280030", "00180050"}) {
        key_.push_back({{"sop", sop}, {"check", "tag_retained"}, {"path", path}});
      }
      DL_RETURN_IF_ERROR(Write(b.Done(), fmt::format("{}/CT/IM{}.dcm", id_, k + 1)));
    }
    return Status::Ok();
  }

  Status UsStudy(int64_t date) {
    const std::string study = Uid(o_.seed, 1, p_ * 10 + 1);
    const std::string series = Uid(o_.seed, 2, p_ * 10 + 1);
    const std::string sop = Uid(o_.seed, 4, p_ * 10 + 5);
    study_uids_.push_back(study);
    constexpr int kWidth = 320, kHeight = 240, kFrames = 2;
    std::string pixels(static_cast<size_t>(kWidth) * kHeight * kFrames, '\0');
    for (int f = 0; f < kFrames; ++f) {
      auto* frame = reinterpret_cast<uint8_t*>(&pixels[static_cast<size_t>(f) * kWidth * kHeight]);
      for (int y = 0; y < kHeight; ++y) {
        for (int x = 0; x < kWidth; ++x) {
          // Speckle, and a brighter sector where the probe looks.
          const int dx = x - kWidth / 2, dy = y - 10;
          const bool sector = dy > 30 && dy < 220 && std::abs(dx) * 10 < dy * 7;
          const int speckle = static_cast<int>(H(o_.seed, 7, p_ * 1000 + f, y * kWidth + x) % 50);
          frame[static_cast<size_t>(y) * kWidth + x] =
              static_cast<uint8_t>(speckle + (sector ? 90 : 0));
        }
      }
      // What ultrasound machines burn in: the name at the top, id and date at the bottom.
      for (const auto& [x, y, text, value] :
           std::vector<std::tuple<int, int, std::string, uint8_t>>{
               {8, 4, family_ + "^" + given_, 255},
               {8, 218, "ID " + id_ + "  " + FormatDate(date), 235}}) {
        DL_ASSIGN_OR_RETURN(TextExtent e, DrawText(frame, kWidth, kHeight, x, y, text, 16, value));
        key_.push_back({{"sop", sop},
                        {"check", "pixels_hidden"},
                        {"box", {f + 1, e.x, e.y, e.width, e.height}}});
      }
      key_.push_back(
          {{"sop", sop}, {"check", "pixels_retained"}, {"box", {f + 1, 120, 100, 80, 60}}});
    }
    Builder b;
    Common(b, sop, study, date, "US");
    b.S(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.3.1")
        .S(0x0008, 0x0018, "UI", sop)
        .S(0x0018, 0x0015, "CS", "ABDOMEN")
        .S(0x0020, 0x000E, "UI", series)
        .S(0x0020, 0x0011, "IS", "1")
        .S(0x0020, 0x0013, "IS", "1")
        .S(0x0028, 0x0004, "CS", "MONOCHROME2")
        .S(0x0028, 0x0008, "IS", std::to_string(kFrames))
        .S(0x0028, 0x0301, "CS", "YES")
        .U(0x0028, 0x0002, 1)
        .U(0x0028, 0x0010, kHeight)
        .U(0x0028, 0x0011, kWidth)
        .U(0x0028, 0x0100, 8)
        .U(0x0028, 0x0101, 8)
        .U(0x0028, 0x0102, 7)
        .U(0x0028, 0x0103, 0)
        .B(0x7FE0, 0x0010, "OB", std::move(pixels));
    key_.push_back({{"sop", sop}, {"check", "tag_retained"}, {"path", "00180015"}});
    return Write(b.Done(), fmt::format("{}/US/IM1.dcm", id_));
  }

  // The text value at `path` ("00400275/0/00080050": tag, item, tag ...) of `ds`, or "".
  static std::string ValueAt(const dicom::Dataset& ds, const std::string& path) {
    const dicom::Dataset* at = &ds;
    for (size_t start = 0;;) {
      size_t slash = path.find('/', start);
      uint32_t tag =
          static_cast<uint32_t>(std::stoul(path.substr(start, slash - start), nullptr, 16));
      const dicom::Element* e = at->Find(tag);
      if (e == nullptr) return "";
      if (slash == std::string::npos) return e->strings.empty() ? "" : e->strings[0].value_or("");
      size_t next = path.find('/', slash + 1);
      size_t item = std::stoul(path.substr(slash + 1, next - slash - 1));
      if (item >= e->items.size() || next == std::string::npos) return "";
      at = &e->items[item];
      start = next + 1;
    }
  }

  // `ds` with its elements in ascending tag order at every depth (what Dataset::Find expects).
  static dicom::Dataset Sorted(dicom::Dataset ds) {
    std::sort(ds.elements.begin(), ds.elements.end(),
              [](const dicom::Element& a, const dicom::Element& b) { return a.tag < b.tag; });
    for (auto& e : ds.elements)
      for (auto& item : e.items) item = Sorted(std::move(item));
    return ds;
  }

  Status Write(dicom::Dataset unsorted, const std::string& name) {
    const dicom::Dataset ds = Sorted(std::move(unsorted));
    // The original values of this instance's text_removed rows.
    const std::string sop = ds.FirstString(0x00080018);
    for (auto& row : key_) {
      if (row.value("sop", "") == sop && row["check"] == "text_removed" && row["value"] == "") {
        row["value"] = ValueAt(ds, row["path"].get<std::string>());
      }
    }
    const std::string path = fs::Join(dicom_dir_, name);
    DL_RETURN_IF_ERROR(fs::MakeDirs(path.substr(0, path.find_last_of('/'))));
    DL_RETURN_IF_ERROR(dicom::WriteDicomFile(ds, path, dicom::WriteSyntax::kExplicitLittle));
    ++counts_.instances;
    return Status::Ok();
  }

 private:
  const DeidTestSetOptions& o_;
  std::string dicom_dir_;
  json key_ = json::array();
  DeidTestSetCounts counts_;
  int p_ = 0;
  std::string id_, name_, family_, given_;
  int64_t birth_ = 0;
  std::vector<std::string> study_uids_;
};

}  // namespace

Result<DeidTestSetCounts> WriteDeidTestSet(const std::string& dicom_dir,
                                           const std::string& fhir_dir,
                                           const std::string& answer_key_path,
                                           const DeidTestSetOptions& options) {
  if (options.patients < 1 || options.patients > 1000) {
    return InvalidArgument("the test set holds 1 to 1000 patients");
  }
  TestSetWriter w(options, dicom_dir);
  std::string ndjson;
  for (int p = 0; p < options.patients; ++p) {
    DL_RETURN_IF_ERROR(w.Patient(p));
    for (const auto& r : w.Fhir(p)) ndjson += r.dump() + "\n";
  }
  DL_RETURN_IF_ERROR(fs::MakeDirs(fhir_dir));
  DL_RETURN_IF_ERROR(fs::WriteFileAtomic(
      fs::Join(fhir_dir, fmt::format("Patient-deid-{}.ndjson", options.seed)), ndjson));
  json key;
  key["description"] =
      "dicomlake de-identification answer key (MIDI-B categories); holds planted identity";
  key["options"] = json::array();
  for (const char* o : kOptions) key["options"].push_back(o);
  const json& rows = w.key();
  key["rows"] = rows;
  DL_RETURN_IF_ERROR(fs::WriteFileAtomic(answer_key_path, key.dump(1) + "\n"));
  DeidTestSetCounts counts = w.counts();
  counts.studies = counts.patients * 2;
  counts.key_rows = static_cast<int64_t>(rows.size());
  return counts;
}

}  // namespace dicomlake::sample
