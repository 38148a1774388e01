#include "sample/sample.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/parallel.h"
#include "common/time_util.h"
#include "dicom/dicom_writer.h"
#include "fhir/ndjson.h"
#include "sample/dataset_builder.h"
#include "sample/deterministic.h"

namespace dicomlake::sample {
namespace {

using dicom::Dataset;
using dicom::Element;
using json = nlohmann::ordered_json;

enum What : uint64_t {
  kPatient = 1,
  kStudyOwner,
  kStudyKind,
  kSeriesOwner,
  kStudyDate,
  kStudyUid,
  kSeriesUid,
  kSopUid,
  kFrameUid,
  kSyntax,
  kNaming,
  kZip,
  kNoise,
  kOffset,
  kIssuer,
};

// "2.25.<128-bit decimal>": a UUID-derived UID (PS3.5 B.2), at most 44 characters.
std::string Uid(uint64_t seed, uint64_t what, uint64_t index) {
  // A 127-bit number as four 32-bit limbs (most significant first), printed in decimal by
  // repeated division by 10.
  uint64_t hi = H(seed, what, index, 1) >> 1, lo = H(seed, what, index, 2);
  uint32_t limbs[4] = {static_cast<uint32_t>(hi >> 32), static_cast<uint32_t>(hi),
                       static_cast<uint32_t>(lo >> 32), static_cast<uint32_t>(lo)};
  std::string digits;
  for (;;) {
    bool zero = true;
    uint64_t rem = 0;
    for (uint32_t& limb : limbs) {
      uint64_t cur = (rem << 32) | limb;
      limb = static_cast<uint32_t>(cur / 10);
      rem = cur % 10;
      zero = zero && limb == 0;
    }
    digits += static_cast<char>('0' + rem);
    if (zero) break;
  }
  std::reverse(digits.begin(), digits.end());
  return "2.25." + digits;
}

// --- Study types -----------------------------------------------------------------------

struct StudyType {
  const char* modality;
  int weight;  // relative frequency
  const char* description;
  const char* body_part;
  const char* procedure_code;  // in the local coding scheme 99DLSAMPLE
  int base_instances;          // per series, before scaling to the target total
  int frames;                  // > 1: multi-frame instances
  const char* sop_class;
  const char* manufacturer;
  const char* model;
};

constexpr StudyType kTypes[] = {
    {"CT", 14, "CT CHEST W/O CONTRAST", "CHEST", "CTCHEST", 80, 1, "1.2.840.10008.5.1.4.1.1.2",
     "SIEMENS", "SOMATOM Force"},
    {"CT", 8, "CT ABDOMEN PELVIS W CONTRAST", "ABDOMENPELVIS", "CTABDPEL", 90, 1,
     "1.2.840.10008.5.1.4.1.1.2", "GE MEDICAL SYSTEMS", "Revolution CT"},
    {"CT", 5, "CT HEAD W/O CONTRAST", "HEAD", "CTHEAD", 40, 1, "1.2.840.10008.5.1.4.1.1.2",
     "Canon Medical Systems", "Aquilion ONE"},
    {"MR", 9, "MRI BRAIN W/O CONTRAST", "BRAIN", "MRBRAIN", 28, 1, "1.2.840.10008.5.1.4.1.1.4",
     "SIEMENS", "MAGNETOM Vida"},
    {"MR", 6, "MRI KNEE", "KNEE", "MRKNEE", 24, 1, "1.2.840.10008.5.1.4.1.1.4",
     "Philips Medical Systems", "Ingenia"},
    {"MR", 5, "MRI LUMBAR SPINE", "LSPINE", "MRLSPINE", 22, 1, "1.2.840.10008.5.1.4.1.1.4",
     "GE MEDICAL SYSTEMS", "SIGNA Premier"},
    {"CR", 15, "XR CHEST 2 VIEWS", "CHEST", "CRCHEST", 2, 1, "1.2.840.10008.5.1.4.1.1.1",
     "FUJIFILM Corporation", "FCR PROFECT"},
    {"DX", 12, "XR HAND 3 VIEWS", "HAND", "DXHAND", 3, 1, "1.2.840.10008.5.1.4.1.1.1.1",
     "Carestream Health", "DRX-Evolution"},
    {"US", 8, "US ABDOMEN COMPLETE", "ABDOMEN", "USABD", 8, 1, "1.2.840.10008.5.1.4.1.1.6.1",
     "GE Healthcare", "LOGIQ E10"},
    {"MG", 8, "MAMMO SCREENING BILATERAL", "BREAST", "MGSCREEN", 4, 1,
     "1.2.840.10008.5.1.4.1.1.1.2", "HOLOGIC, Inc.", "Selenia Dimensions"},
    {"PT", 4, "PET/CT WHOLE BODY FDG", "WHOLEBODY", "PTWB", 60, 1, "1.2.840.10008.5.1.4.1.1.128",
     "SIEMENS", "Biograph Vision"},
    {"NM", 3, "NM MYOCARDIAL PERFUSION", "HEART", "NMMPI", 2, 16, "1.2.840.10008.5.1.4.1.1.20",
     "GE MEDICAL SYSTEMS", "Discovery NM530c"},
    {"XA", 3, "XA CORONARY ANGIOGRAPHY", "HEART", "XACOR", 3, 12, "1.2.840.10008.5.1.4.1.1.12.1",
     "Philips Medical Systems", "Azurion 7"},
};
constexpr int kTypeCount = static_cast<int>(sizeof(kTypes) / sizeof(kTypes[0]));

const char* kFamilies[] = {"Smith",  "Müller",   "García",  "Nguyen",   "Okafor", "Johansson",
                           "Rossi",  "Kowalski", "Dubois",  "Øvergård", "Nuñez",  "Schmidt",
                           "Tanaka", "Brown",    "Ivanova", "Hughes",   "Kaur",   "Lefèvre"};
const char* kGivenF[] = {"Anna", "Maria", "Zoë", "Chloé", "Ingrid", "Aisha", "Emily", "Sofia"};
const char* kGivenM[] = {"John", "Lukas", "José", "Hiro", "Olaf", "Chidi", "Marek", "Noël"};

struct PatientPlan {
  std::string id, family, given, birth_date;  // birth YYYYMMDD
  char sex = 'F';
};
struct StudyPlan {
  int patient = 0;
  int type = 0;
  std::string uid, accession, date, time, offset;
  bool in_zip = false;
  std::vector<int> series;
};
struct SeriesPlan {
  int study = 0;
  int number = 1;
  int type = 0;  // the study type (PT studies also get CT series)
  std::string modality;
  int instances = 1;
  std::string uid, frame_uid, laterality;
};

struct Plan {
  std::vector<PatientPlan> patients;
  std::vector<StudyPlan> studies;
  std::vector<SeriesPlan> series;
  int clinical_only = 0;
};

int64_t Scaled(double base, double scale) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::llround(base * scale)));
}

// The patients: ids, sex, names and birth dates.
void PlanPatients(uint64_t seed, const SampleCounts& target, Plan* out) {
  Plan& plan = *out;
  for (int64_t p = 0; p < target.patients; ++p) {
    PatientPlan pp;
    char id[48];
    std::snprintf(id, sizeof id, "S%llu-%05lld", static_cast<unsigned long long>(seed),
                  static_cast<long long>(p + 1));
    pp.id = id;
    uint64_t h = H(seed, kPatient, static_cast<uint64_t>(p));
    pp.sex = (h & 1) ? 'F' : 'M';
    pp.family = kFamilies[Pick(h >> 8, 18)];
    pp.given = pp.sex == 'F' ? kGivenF[Pick(h >> 16, 8)] : kGivenM[Pick(h >> 16, 8)];
    int64_t days = DaysFromCivil(1935, 1, 1) + Pick(h >> 24, 365 * 85);
    pp.birth_date = FormatDate(days);
    pp.birth_date.erase(std::remove(pp.birth_date.begin(), pp.birth_date.end(), '-'),
                        pp.birth_date.end());
    plan.patients.push_back(pp);
  }
}

// The studies: owner, type (by weight), UID, accession, date and time, offset, ZIP or not.
void PlanStudies(uint64_t seed, const SampleCounts& target, bool archives, Plan* out) {
  Plan& plan = *out;
  int total_weight = 0;
  for (const auto& t : kTypes) total_weight += t.weight;
  for (int64_t s = 0; s < target.studies; ++s) {
    StudyPlan sp;
    sp.patient = s < target.patients ? static_cast<int>(s)
                                     : Pick(H(seed, kStudyOwner, static_cast<uint64_t>(s)),
                                            static_cast<int>(target.patients));
    int w = Pick(H(seed, kStudyKind, static_cast<uint64_t>(s)), total_weight);
    for (int t = 0; t < kTypeCount; ++t) {
      if (w < kTypes[t].weight) {
        sp.type = t;
        break;
      }
      w -= kTypes[t].weight;
    }
    sp.uid = Uid(seed, kStudyUid, static_cast<uint64_t>(s));
    char acc[48];
    std::snprintf(acc, sizeof acc, "A%llu%06lld", static_cast<unsigned long long>(seed % 1000),
                  static_cast<long long>(s + 1));
    sp.accession = acc;
    uint64_t h = H(seed, kStudyDate, static_cast<uint64_t>(s));
    int64_t day = DaysFromCivil(2015, 1, 1) + Pick(h, 3650);
    sp.date = FormatDate(day);
    sp.date.erase(std::remove(sp.date.begin(), sp.date.end(), '-'), sp.date.end());
    int minutes = 7 * 60 + Pick(h >> 20, 12 * 60);
    char tm[16];
    std::snprintf(tm, sizeof tm, "%02d%02d%02d", minutes / 60, minutes % 60, Pick(h >> 40, 60));
    sp.time = tm;
    if (Pick(H(seed, kOffset, static_cast<uint64_t>(s)), 2) == 0) sp.offset = "+0100";
    sp.in_zip = archives && Pick(H(seed, kZip, static_cast<uint64_t>(s)), 10) == 0;
    plan.studies.push_back(sp);
  }
}

// The series: one per study, then the extra ones to studies of modalities that have several.
void PlanSeries(uint64_t seed, const SampleCounts& target, Plan* out) {
  Plan& plan = *out;
  auto add_series = [&](int study, const std::string& modality) {
    SeriesPlan se;
    se.study = study;
    se.type = plan.studies[static_cast<size_t>(study)].type;
    se.modality = modality;
    se.number = static_cast<int>(plan.studies[static_cast<size_t>(study)].series.size()) + 1;
    uint64_t idx = plan.series.size();
    se.uid = Uid(seed, kSeriesUid, idx);
    se.frame_uid = Uid(seed, kFrameUid, idx);
    plan.studies[static_cast<size_t>(study)].series.push_back(static_cast<int>(idx));
    plan.series.push_back(se);
  };
  for (size_t s = 0; s < plan.studies.size(); ++s)
    add_series(static_cast<int>(s), kTypes[plan.studies[s].type].modality);
  std::vector<int> multi;  // studies that may take more series
  for (size_t s = 0; s < plan.studies.size(); ++s) {
    std::string m = kTypes[plan.studies[s].type].modality;
    if (m == "CT" || m == "MR" || m == "PT") multi.push_back(static_cast<int>(s));
  }
  if (multi.empty()) multi.push_back(0);
  for (int64_t k = 0; static_cast<int64_t>(plan.series.size()) < target.series; ++k) {
    int study = multi[static_cast<size_t>(
        Pick(H(seed, kSeriesOwner, static_cast<uint64_t>(k)), static_cast<int>(multi.size())))];
    std::string m = kTypes[plan.studies[static_cast<size_t>(study)].type].modality;
    add_series(study, m == "PT" ? "CT" : m);  // PET/CT: the CT of the PET study
  }
}

// Instances: the base count of each series scaled to the target total, then the rounding
// difference spread over the series with many instances.
void PlanInstances(const SampleCounts& target, Plan* out) {
  Plan& plan = *out;
  double base_total = 0;
  for (const auto& se : plan.series) base_total += kTypes[se.type].base_instances;
  double factor = static_cast<double>(target.instances) / base_total;
  int64_t total = 0;
  for (auto& se : plan.series) {
    se.instances = static_cast<int>(
        std::max<int64_t>(1, std::llround(kTypes[se.type].base_instances * factor)));
    total += se.instances;
  }
  for (size_t i = 0; total != target.instances; i = (i + 1) % plan.series.size()) {
    auto& se = plan.series[i];
    if (kTypes[se.type].base_instances < 20 && total < target.instances) continue;
    if (total > target.instances && se.instances > 1) {
      se.instances--;
      total--;
    } else if (total < target.instances) {
      se.instances++;
      total++;
    }
  }
}

Plan MakePlan(uint64_t seed, double scale, bool archives) {
  SampleCounts target = PlannedCounts(scale);
  Plan plan;
  plan.clinical_only = static_cast<int>(target.clinical_only);
  PlanPatients(seed, target, &plan);
  PlanStudies(seed, target, archives, &plan);
  PlanSeries(seed, target, &plan);
  PlanInstances(target, &plan);
  for (auto& se : plan.series) {
    if (se.modality == "MG") se.laterality = (se.number % 2) ? "R" : "L";
  }
  return plan;
}

// --- Pixels ----------------------------------------------------------------------------

struct Image {
  int rows = 32, cols = 32, frames = 1, samples = 1, bits = 16, stored = 12;
  bool is_signed = false;
  std::string photometric = "MONOCHROME2";
  double intercept = 0, slope = 1;
  std::string pixels;  // little endian
};

// A smooth anatomical phantom with modest noise: an elliptic body with two lungs and a spine
// that change with the slice position `z` (0..1), so neighbouring slices differ a little, the
// way real slices do. Values are CT-like (HU + 1024) scaled to the modality.
uint16_t Phantom(double x, double y, double z, const std::string& modality) {
  double body = (x / 0.85) * (x / 0.85) + (y / 0.7) * (y / 0.7);
  if (body > 1) return 0;
  double hu = 40 + 20 * std::sin(6 * x + 4 * z) * std::cos(5 * y);  // soft tissue texture
  double lung_r = 0.22 + 0.08 * std::sin(3.14159 * z);
  for (double cx : {-0.38, 0.38}) {
    double l = ((x - cx) / lung_r) * ((x - cx) / lung_r) +
               ((y + 0.05) / (lung_r * 1.5)) * ((y + 0.05) / (lung_r * 1.5));
    if (l < 1) hu = -820 + 60 * l;
  }
  double spine = (x * x + (y - 0.45) * (y - 0.45)) / (0.09 * 0.09);
  if (spine < 1) hu = 650 + 200 * (1 - spine);
  if (body > 0.9) hu = -100;  // fat layer at the skin
  double v = hu + 1024;
  if (modality == "MR") v = 300 + 0.6 * (hu + 1000) * (spine < 1 ? 0.3 : 1.0);
  if (modality == "PT" || modality == "NM") v = 200 + 0.5 * (hu + 1000) * (0.5 + z);
  return static_cast<uint16_t>(std::clamp(v, 0.0, 4095.0));
}

Image MakeImage(const SeriesPlan& se, int instance, uint64_t seed, PixelSize size) {
  Image img;
  const std::string& m = se.modality;
  bool big = size == PixelSize::kRealistic;
  img.frames = kTypes[se.type].frames > 1 ? (big ? kTypes[se.type].frames * 2 : 4) : 1;
  if (m == "CT" || m == "MR") {
    img.rows = img.cols = big ? 512 : 32;
  } else if (m == "PT" || m == "NM") {
    img.rows = img.cols = big ? 128 : 32;
  } else if (m == "CR" || m == "DX") {
    img.rows = img.cols = big ? 1024 : 64;
  } else if (m == "MG") {
    img.rows = big ? 1024 : 64;
    img.cols = big ? 832 : 48;
  } else if (m == "US") {
    img.rows = big ? 480 : 32;
    img.cols = big ? 640 : 48;
    img.samples = 3;
    img.bits = img.stored = 8;
    img.photometric = "RGB";
  } else if (m == "XA") {
    img.rows = img.cols = big ? 512 : 32;
    img.bits = img.stored = 8;
  }
  if (m == "CT") {
    img.intercept = -1024;
  }
  size_t bytes_per_sample = img.bits / 8;
  size_t n = static_cast<size_t>(img.rows) * img.cols * img.frames;
  img.pixels.resize(n * img.samples * bytes_per_sample);
  uint64_t noise = H(seed, kNoise, static_cast<uint64_t>(instance), se.study);
  size_t k = 0;
  for (int f = 0; f < img.frames; ++f) {
    double z = (instance + f * 0.1) / std::max(1.0, static_cast<double>(se.instances));
    for (int r = 0; r < img.rows; ++r) {
      double y = 2.0 * r / img.rows - 1;
      for (int c = 0; c < img.cols; ++c) {
        double x = 2.0 * c / img.cols - 1;
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        int jitter = static_cast<int>(noise & 15) - 8;  // modest noise: +-8
        int v = Phantom(x, y, z, m) + (Phantom(x, y, z, m) > 0 ? jitter : 0);
        v = std::clamp(v, 0, (1 << img.stored) - 1);
        if (img.bits == 8) {
          uint8_t b = static_cast<uint8_t>(img.stored == 8 ? v >> 4 : v);
          for (int s = 0; s < img.samples; ++s) img.pixels[k++] = static_cast<char>(b);
        } else {
          img.pixels[k++] = static_cast<char>(v & 0xFF);
          img.pixels[k++] = static_cast<char>(v >> 8);
        }
      }
    }
  }
  return img;
}

// --- Data sets -------------------------------------------------------------------------

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

Dataset MakeInstance(const Plan& plan, const SeriesPlan& se, int index, uint64_t seed,
                     PixelSize size, std::string* sop_uid) {
  const StudyPlan& st = plan.studies[static_cast<size_t>(se.study)];
  const PatientPlan& pt = plan.patients[static_cast<size_t>(st.patient)];
  const StudyType& type = kTypes[se.modality == kTypes[se.type].modality ? se.type : 0];
  uint64_t series_index = static_cast<uint64_t>(&se - plan.series.data());
  *sop_uid = Uid(seed, kSopUid, series_index * 100000 + static_cast<uint64_t>(index));
  Image img = MakeImage(se, index, seed, size);
  Builder b;
  b.S(0x0008, 0x0005, "CS", "ISO_IR 192")
      .M(0x0008, 0x0008, "CS", {"ORIGINAL", "PRIMARY", se.modality == "CT" ? "AXIAL" : "OTHER"})
      .S(0x0008, 0x0012, "DA", st.date)
      .S(0x0008, 0x0016, "UI", type.sop_class)
      .S(0x0008, 0x0018, "UI", *sop_uid)
      .S(0x0008, 0x0020, "DA", st.date)
      .S(0x0008, 0x0021, "DA", st.date)
      .S(0x0008, 0x0030, "TM", st.time)
      .S(0x0008, 0x0031, "TM", st.time)
      .S(0x0008, 0x0050, "SH", st.accession)
      .S(0x0008, 0x0060, "CS", se.modality)
      .S(0x0008, 0x0070, "LO", type.manufacturer)
      .S(0x0008, 0x0080, "LO", "Dicomlake Sample Hospital")
      .S(0x0008, 0x0090, "PN", "Referrer^Rita^^Dr")
      .S(0x0008, 0x1010, "SH", std::string("STATION-") + se.modality)
      .S(0x0008, 0x1030, "LO", kTypes[st.type].description)
      .S(0x0008, 0x103E, "LO",
         se.modality + " " + kTypes[se.type].body_part + " series " + std::to_string(se.number))
      .S(0x0008, 0x1040, "LO", "Radiology")
      .M(0x0008, 0x1060, "PN", {"Reader^Rahul^^Dr"})
      .S(0x0008, 0x1090, "LO", type.model)
      .Q(0x0008, 0x1032,
         {Builder()
              .S(0x0008, 0x0100, "SH", kTypes[st.type].procedure_code)
              .S(0x0008, 0x0102, "SH", "99DLSAMPLE")
              .S(0x0008, 0x0104, "LO", kTypes[st.type].description)
              .Done()})
      .S(0x0010, 0x0010, "PN", pt.family + "^" + pt.given)
      .S(0x0010, 0x0020, "LO", pt.id)
      .S(0x0010, 0x0021, "LO", SamplePatientIdentifierSystem().substr(8))  // the OID
      .S(0x0010, 0x0030, "DA", pt.birth_date)
      .S(0x0010, 0x0040, "CS", std::string(1, pt.sex))
      .S(0x0018, 0x0015, "CS", kTypes[se.type].body_part)
      .S(0x0018, 0x1020, "LO", "VA10A")
      .S(0x0020, 0x000D, "UI", st.uid)
      .S(0x0020, 0x000E, "UI", se.uid)
      .S(0x0020, 0x0010, "SH", "S" + std::to_string(se.study + 1))
      .S(0x0020, 0x0011, "IS", std::to_string(se.number))
      .S(0x0020, 0x0013, "IS", std::to_string(index + 1))
      .S(0x0020, 0x0052, "UI", se.frame_uid)
      .Q(0x0040, 0x0275,
         {Builder()
              .S(0x0040, 0x0009, "SH", "SPS" + st.accession)
              .S(0x0040, 0x1001, "SH", "RP" + st.accession)
              .S(0x0032, 0x1060, "LO", kTypes[st.type].description)
              .Done()})
      .S(0x0009, 0x0010, "LO", "DICOMLAKE SAMPLE")
      .S(0x0009, 0x1001, "LO", "synthetic data, seed " + std::to_string(seed));
  if (!st.offset.empty()) b.S(0x0008, 0x0201, "SH", st.offset);
  if (!se.laterality.empty()) b.S(0x0020, 0x0060, "CS", se.laterality);
  if (se.modality == "CT" || se.modality == "MR" || se.modality == "PT") {
    double spacing = se.modality == "PT" ? 4.0 : 0.7;
    double z = -200.0 + index * 2.5;
    b.S(0x0018, 0x0050, "DS", se.modality == "PT" ? "3" : "2.5")
        .M(0x0020, 0x0032, "DS", {"-180", "-180", Num(z)})
        .M(0x0020, 0x0037, "DS", {"1", "0", "0", "0", "1", "0"})
        .S(0x0020, 0x1041, "DS", Num(z))
        .M(0x0028, 0x0030, "DS", {Num(spacing), Num(spacing)});
  }
  if (se.modality == "CT") b.S(0x0018, 0x0060, "DS", "120");
  if (se.modality == "MR") b.S(0x0018, 0x0087, "DS", "3");
  if (img.frames > 1) b.S(0x0028, 0x0008, "IS", std::to_string(img.frames));
  b.U(0x0028, 0x0002, img.samples)
      .S(0x0028, 0x0004, "CS", img.photometric)
      .U(0x0028, 0x0010, img.rows)
      .U(0x0028, 0x0011, img.cols)
      .U(0x0028, 0x0100, img.bits)
      .U(0x0028, 0x0101, img.stored)
      .U(0x0028, 0x0102, img.stored - 1)
      .U(0x0028, 0x0103, 0);
  if (img.samples == 3) b.U(0x0028, 0x0006, 0);
  if (img.intercept != 0)
    b.S(0x0028, 0x1052, "DS", Num(img.intercept)).S(0x0028, 0x1053, "DS", "1");
  b.B(0x7FE0, 0x0010, img.bits == 8 ? "OB" : "OW", std::move(img.pixels));
  return b.Done();
}

Status AddToZip(archive* zip, const std::string& member, const std::string& path) {
  DL_ASSIGN_OR_RETURN(std::string data, fs::ReadFile(path));
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, member.c_str());
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_mtime(e, 1700000000, 0);
  bool ok =
      archive_write_header(zip, e) == ARCHIVE_OK &&
      archive_write_data(zip, data.data(), data.size()) == static_cast<la_ssize_t>(data.size());
  archive_entry_free(e);
  if (!ok) return IoError("cannot add " + member + " to a ZIP: " + archive_error_string(zip));
  return Status::Ok();
}

}  // namespace

std::string SamplePatientIdentifierSystem() {
  return "urn:oid:2.25.301234017893746627468274656734265489321";
}

SampleCounts PlannedCounts(double scale) {
  SampleCounts c;
  c.patients = Scaled(302, scale);
  c.studies = std::max(c.patients, Scaled(340, scale));
  c.series = std::max(c.studies, Scaled(389, scale));
  c.instances = std::max(c.series, Scaled(7739, scale));
  c.clinical_only = Scaled(8, scale);
  c.invalid_files = 1;
  return c;
}

Result<SampleCounts> WriteSample(const std::string& dicom_dir, const std::string& fhir_dir,
                                 const SampleOptions& options) {
  if (!(options.scale > 0) || options.scale > 1000)
    return InvalidArgument("--scale must be above 0 and at most 1000");
  Plan plan = MakePlan(options.seed, options.scale, options.archives);
  SampleCounts counts = PlannedCounts(options.scale);
  DL_RETURN_IF_ERROR(fs::MakeDirs(dicom_dir));
  std::atomic<int64_t> bytes{0};
  std::mutex manifest_mutex;
  std::vector<std::string> manifest;
  std::string staging = fs::Join(dicom_dir, ".sample-staging");
  // One task per series; files of studies that go into a ZIP are written to staging first.
  Status status = ParallelFor(plan.series.size(), options.threads, [&](size_t i) {
    const SeriesPlan& se = plan.series[i];
    const StudyPlan& st = plan.studies[static_cast<size_t>(se.study)];
    const PatientPlan& pt = plan.patients[static_cast<size_t>(st.patient)];
    std::string rel =
        pt.id + "/" + st.accession + "/" + std::to_string(se.number) + "-" + se.modality;
    std::string folder = fs::Join(st.in_zip ? staging : dicom_dir, rel);
    if (!fs::MakeDirs(folder).ok()) return;
    for (int k = 0; k < se.instances; ++k) {
      std::string sop;
      Dataset ds = MakeInstance(plan, se, k, options.seed, options.pixels, &sop);
      uint64_t h = H(options.seed, kSyntax, i, static_cast<uint64_t>(k));
      int roll = Pick(h, 100);
      dicom::WriteSyntax syntax = roll < 70   ? dicom::WriteSyntax::kExplicitLittle
                                  : roll < 85 ? dicom::WriteSyntax::kImplicitLittle
                                  : roll < 93 ? dicom::WriteSyntax::kDeflated
                                              : dicom::WriteSyntax::kRleLossless;
      char name[32];
      bool extension = Pick(H(options.seed, kNaming, i, static_cast<uint64_t>(k)), 5) != 0;
      std::snprintf(name, sizeof name, "IM%05d%s", k + 1, extension ? ".dcm" : "");
      std::string path = fs::Join(folder, name);
      Status st_write = dicom::WriteDicomFile(ds, path, syntax);
      if (!st_write.ok()) {
        std::lock_guard<std::mutex> lock(manifest_mutex);
        manifest.push_back("ERROR " + st_write.ToString());
        return;
      }
      auto info = fs::Stat(path);
      if (info.ok()) bytes += static_cast<int64_t>(info->size);
      if (!options.manifest_path.empty()) {
        json line = {{"file", st.in_zip ? "" : path},
                     {"member", st.in_zip ? rel + "/" + name : ""},
                     {"zip", st.in_zip ? pt.id + "-" + st.accession + ".zip" : ""},
                     {"studyInstanceUid", st.uid},
                     {"seriesInstanceUid", se.uid},
                     {"sopInstanceUid", sop},
                     {"modality", se.modality},
                     {"patientId", pt.id},
                     {"patientName", pt.family + "^" + pt.given},
                     {"patientBirthDate", pt.birth_date},
                     {"patientSex", std::string(1, pt.sex)}};
        std::lock_guard<std::mutex> lock(manifest_mutex);
        manifest.push_back(line.dump());
      }
    }
  });
  DL_RETURN_IF_ERROR(status);
  for (const auto& m : manifest)
    if (m.rfind("ERROR ", 0) == 0) return Internal("sample: " + m.substr(6));

  // The studies that go into ZIP archives, with their folders.
  for (const auto& st : plan.studies) {
    if (!st.in_zip) continue;
    const PatientPlan& pt = plan.patients[static_cast<size_t>(st.patient)];
    std::string zip_dir = fs::Join(dicom_dir, "archives");
    DL_RETURN_IF_ERROR(fs::MakeDirs(zip_dir));
    std::string zip_path = fs::Join(zip_dir, pt.id + "-" + st.accession + ".zip");
    archive* zip = archive_write_new();
    archive_write_set_format_zip(zip);
    if (archive_write_open_filename(zip, zip_path.c_str()) != ARCHIVE_OK) {
      std::string why = archive_error_string(zip);
      archive_write_free(zip);
      return IoError("cannot create " + zip_path + ": " + why);
    }
    Status zst;
    for (int s : st.series) {
      const SeriesPlan& se = plan.series[static_cast<size_t>(s)];
      std::string rel =
          pt.id + "/" + st.accession + "/" + std::to_string(se.number) + "-" + se.modality;
      auto entries = fs::ListDir(fs::Join(staging, rel));
      if (!entries.ok()) {
        zst = entries.status();
        break;
      }
      std::sort(entries->begin(), entries->end(),
                [](const fs::FileInfo& a, const fs::FileInfo& b) { return a.name < b.name; });
      for (const auto& e : *entries) {
        zst = AddToZip(zip, rel + "/" + e.name, fs::Join(fs::Join(staging, rel), e.name));
        if (!zst.ok()) break;
      }
      if (!zst.ok()) break;
    }
    archive_write_close(zip);
    archive_write_free(zip);
    DL_RETURN_IF_ERROR(zst);
    counts.archives++;
  }
  DL_RETURN_IF_ERROR(fs::RemoveAll(staging));

  // Exactly one file named .dcm that is not DICOM.
  std::string bad = fs::Join(dicom_dir, "misc/report-not-dicom.dcm");
  DL_RETURN_IF_ERROR(fs::MakeDirs(fs::Join(dicom_dir, "misc")));
  DL_RETURN_IF_ERROR(fs::WriteFileAtomic(
      bad, "This is a scanned report saved with a .dcm name; it is not a DICOM file.\n"));

  // Clinical FHIR: every imaging patient, plus patients only the clinical system knows.
  std::vector<std::string> lines;
  auto patient_json = [&](const std::string& id, const std::string& mrn, const std::string& family,
                          const std::string& given, char sex, const std::string& birth) {
    json p = {
        {"resourceType", "Patient"},
        {"id", id},
        {"meta", {{"lastUpdated", "2025-01-01T00:00:00Z"}}},
        {"identifier",
         json::array({{{"use", "usual"},
                       {"type",
                        {{"coding", json::array({{{"system",
                                                   "http://terminology.hl7.org/CodeSystem/"
                                                   "v2-0203"},
                                                  {"code", "MR"}}})}}},
                       {"system", SamplePatientIdentifierSystem()},
                       {"value", mrn}}})},
        {"active", true},
        {"name", json::array({{{"family", family}, {"given", json::array({given})}}})},
        {"gender", sex == 'F' ? "female" : "male"},
        {"birthDate", birth.substr(0, 4) + "-" + birth.substr(4, 2) + "-" + birth.substr(6, 2)}};
    return p.dump();
  };
  for (const auto& pt : plan.patients) {
    std::string id = "smp-" + pt.id;
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    lines.push_back(patient_json(id, pt.id, pt.family, pt.given, pt.sex, pt.birth_date));
  }
  for (int k = 0; k < plan.clinical_only; ++k) {
    char mrn[48];
    std::snprintf(mrn, sizeof mrn, "S%llu-C%04d", static_cast<unsigned long long>(options.seed),
                  k + 1);
    std::string id = "smp-" + std::string(mrn);
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    uint64_t h = H(options.seed, kPatient, 1000000 + static_cast<uint64_t>(k));
    lines.push_back(
        patient_json(id, mrn, kFamilies[Pick(h, 18)], kGivenF[Pick(h >> 8, 8)], 'F', "19700101"));
  }
  DL_RETURN_IF_ERROR(fs::MakeDirs(fhir_dir));
  std::string ndjson;
  for (const auto& l : lines) ndjson += l + "\n";
  DL_RETURN_IF_ERROR(fs::WriteFileAtomic(
      fs::Join(fhir_dir, "Patient-sample-" + std::to_string(options.seed) + ".ndjson"), ndjson));

  if (!options.manifest_path.empty()) {
    std::sort(manifest.begin(), manifest.end());
    std::string text;
    for (const auto& m : manifest) text += m + "\n";
    DL_RETURN_IF_ERROR(fs::WriteFileAtomic(options.manifest_path, text));
  }
  counts.bytes = bytes.load();
  return counts;
}

}  // namespace dicomlake::sample
