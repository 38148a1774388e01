#include "deid/deidentifier.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>

#include "common/fs.h"
#include "common/large_stack.h"
#include "dicom/dicom_reader.h"
#include "dicom/dicom_writer.h"
#include "support/test_dir.h"

namespace dicomlake::deid {
namespace {

const std::string kData = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";

Key TestKey() { return Key::FromBytes(std::string(32, 'k')); }

// Calls `f` for every element at any depth.
void Visit(const dicom::Dataset& ds, const std::function<void(const dicom::Element&)>& f) {
  for (const auto& e : ds.elements) {
    f(e);
    for (const auto& item : e.items) Visit(item, f);
  }
}

class DeidentifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::Exists(kData + "CT_small.dcm")) GTEST_SKIP() << "python3-pydicom is not installed";
  }
  dicom::DicomFile Deidentify(const std::string& name, const DeidSettings& settings,
                              DeidReport* report = nullptr) {
    std::string out = dir_.Sub(name + ".deid");
    auto r = DeidentifyFile(kData + name, out, TestKey(), settings);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (report != nullptr && r.ok()) *report = *r;
    auto file = dicom::ReadDicomFile(out);
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? std::move(*file) : dicom::DicomFile{};
  }
  testing::TestDir dir_;
};

TEST_F(DeidentifierTest, BasicProfileRemovesIdentityKeyedAndConsistently) {
  auto original = dicom::ReadDicomFile(kData + "CT_small.dcm");
  ASSERT_TRUE(original.ok());
  DeidReport report;
  dicom::DicomFile f = Deidentify("CT_small.dcm", {}, &report);
  const dicom::Dataset& d = f.data;
  EXPECT_EQ(d.FirstString(0x00100010), "");  // Patient's Name: Z
  EXPECT_EQ(d.FirstString(0x00100020),
            TestKey().PatientPseudonym(original->data.FirstString(0x00100020)));
  EXPECT_EQ(d.FirstString(0x0020000D), TestKey().NewUid(original->data.FirstString(0x0020000D)));
  EXPECT_EQ(d.FirstString(0x00080018), TestKey().NewUid(original->data.FirstString(0x00080018)));
  EXPECT_EQ(f.meta.FirstString(0x00020003), d.FirstString(0x00080018));  // meta follows
  EXPECT_EQ(d.FirstString(0x00080020), "");                              // Study Date: Z
  EXPECT_EQ(d.FirstString(0x00120062), "YES");
  EXPECT_EQ(d.FirstString(0x00280303), "REMOVED");
  const dicom::Element* codes = d.Find(0x00120064);
  ASSERT_NE(codes, nullptr);
  ASSERT_EQ(codes->items.size(), 1u);
  EXPECT_EQ(codes->items[0].FirstString(0x00080100), "113100");
  int privates = 0;
  Visit(d, [&](const dicom::Element& e) { privates += e.is_private() ? 1 : 0; });
  EXPECT_EQ(privates, 0);
  EXPECT_FALSE(report.uids.empty());
  // The pixels are untouched.
  ASSERT_NE(d.Find(0x7FE00010), nullptr);
  // The same key gives the same bytes.
  std::string again = dir_.Sub("again.dcm");
  ASSERT_TRUE(DeidentifyFile(kData + "CT_small.dcm", again, TestKey(), {}).ok());
  EXPECT_EQ(*fs::ReadFile(again), *fs::ReadFile(dir_.Sub("CT_small.dcm.deid")));
}

TEST_F(DeidentifierTest, OptionsRetainWhatTheySayAndShiftDates) {
  auto original = dicom::ReadDicomFile(kData + "CT_small.dcm");
  ASSERT_TRUE(original.ok());
  DeidSettings settings;
  settings.options.applied = {Option::kRetainUids, Option::kRetainLongitudinalModifiedDates,
                              Option::kRetainPatientCharacteristics};
  settings.shift_min_days = -10;
  settings.shift_max_days = -10;
  DeidReport report;
  dicom::DicomFile f = Deidentify("CT_small.dcm", settings, &report);
  const dicom::Dataset& d = f.data;
  EXPECT_EQ(report.shift_days, -10);
  EXPECT_EQ(d.FirstString(0x0020000D), original->data.FirstString(0x0020000D));
  EXPECT_EQ(d.FirstString(0x00100040), original->data.FirstString(0x00100040));  // sex kept
  // CT_small's Study Date is 20040119: ten days earlier.
  EXPECT_EQ(original->data.FirstString(0x00080020), "20040119");
  EXPECT_EQ(d.FirstString(0x00080020), "20040109");
  EXPECT_EQ(d.FirstString(0x00280303), "MODIFIED");
  const dicom::Element* codes = d.Find(0x00120064);
  ASSERT_NE(codes, nullptr);
  EXPECT_EQ(codes->items.size(), 4u);  // the Basic Profile and three options
}

TEST_F(DeidentifierTest, SequencesAreDeidentifiedAtAnyDepth) {
  // A file with nested sequences holding UIDs (Referenced ... Sequences).
  const std::string name = "rtplan.dcm";
  if (!fs::Exists(kData + name)) GTEST_SKIP() << name << " is missing";
  auto original = dicom::ReadDicomFile(kData + name);
  ASSERT_TRUE(original.ok());
  std::vector<std::string> old_uids;
  Visit(original->data, [&](const dicom::Element& e) {
    if (e.tag == 0x00081155) old_uids.push_back(*e.strings[0]);  // Referenced SOP Instance UID
  });
  ASSERT_FALSE(old_uids.empty());
  dicom::DicomFile f = Deidentify(name, {});
  std::vector<std::string> new_uids;
  Visit(f.data, [&](const dicom::Element& e) {
    if (e.tag == 0x00081155) new_uids.push_back(*e.strings[0]);
  });
  ASSERT_EQ(new_uids.size(), old_uids.size());
  for (size_t i = 0; i < new_uids.size(); ++i)
    EXPECT_EQ(new_uids[i], TestKey().NewUid(old_uids[i]));
}

dicom::Element Text(uint32_t tag, const std::string& vr, const std::string& value) {
  dicom::Element e;
  e.tag = tag;
  e.vr = vr;
  e.strings = {value};
  return e;
}

// A secondary capture with a GE private block (one attribute on the safe list, one not), an
// overlay, and a graphic annotation with a text object.
dicom::Dataset PrivateOverlayAndAnnotation() {
  dicom::Dataset ds;
  auto add = [&](dicom::Element e) { ds.elements.push_back(std::move(e)); };
  add(Text(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"));
  add(Text(0x00080018, "UI", "1.2.3.4.5.6.7"));
  add(Text(0x00080060, "CS", "OT"));
  add(Text(0x00100010, "PN", "Doe^Jane"));
  add(Text(0x00100020, "LO", "P-1"));
  add(Text(0x00190010, "LO", "GEMS_ACQU_01"));
  add(Text(0x00191023, "DS", "12.5"));      // Table Speed: safe
  add(Text(0x00191030, "LO", "Jane Doe"));  // not on the list
  add(Text(0x0020000D, "UI", "1.2.3.4"));
  add(Text(0x0020000E, "UI", "1.2.3.4.5"));
  dicom::Dataset text_object;
  text_object.elements.push_back(Text(0x00700006, "ST", "Jane Doe, 1970"));
  dicom::Dataset annotation;
  annotation.elements.push_back(Text(0x00700002, "CS", "LAYER1"));
  dicom::Element texts;
  texts.tag = 0x00700008;
  texts.vr = "SQ";
  texts.items = {text_object};
  annotation.elements.push_back(texts);
  dicom::Element graphic;
  graphic.tag = 0x00700001;
  graphic.vr = "SQ";
  graphic.items = {annotation};
  add(graphic);
  dicom::Element rows;
  rows.tag = 0x60000010;
  rows.vr = "US";
  rows.numbers = {"8"};
  add(rows);
  add(Text(0x60000022, "LO", "Jane's overlay"));
  dicom::Element overlay;
  overlay.tag = 0x60003000;
  overlay.vr = "OW";
  overlay.binary = std::string(8, '\xff');
  add(overlay);
  return ds;
}

TEST_F(DeidentifierTest, PrivateAttributesOverlaysAndAnnotationText) {
  ASSERT_TRUE(dicom::WriteDicomFile(PrivateOverlayAndAnnotation(), dir_.Sub("in.dcm"),
                                    dicom::WriteSyntax::kExplicitLittle)
                  .ok());
  auto run = [&](std::set<Option> options) {
    DeidSettings settings;
    settings.options.applied = std::move(options);
    std::string out = dir_.Sub("out.dcm");
    auto r = DeidentifyFile(dir_.Sub("in.dcm"), out, TestKey(), settings);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    auto f = dicom::ReadDicomFile(out);
    EXPECT_TRUE(f.ok());
    return f.ok() ? f->data : dicom::Dataset{};
  };
  // The Basic Profile: every private attribute, the whole overlay, the text objects go.
  dicom::Dataset basic = run({});
  EXPECT_EQ(basic.Find(0x00190010), nullptr);
  EXPECT_EQ(basic.Find(0x00191023), nullptr);
  EXPECT_EQ(basic.Find(0x60000010), nullptr);
  EXPECT_EQ(basic.Find(0x60000022), nullptr);
  EXPECT_EQ(basic.Find(0x60003000), nullptr);
  const dicom::Element* g = basic.Find(0x00700001);
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(g->items.size(), 1u);
  EXPECT_EQ(g->items[0].Find(0x00700008), nullptr);
  EXPECT_EQ(g->items[0].FirstString(0x00700002), "LAYER1");
  // Retain Safe Private: the safe attribute and its creator stay, the other goes.
  dicom::Dataset safe = run({Option::kRetainSafePrivate});
  EXPECT_EQ(safe.FirstString(0x00190010), "GEMS_ACQU_01");
  EXPECT_EQ(safe.FirstString(0x00191023), "12.5");
  EXPECT_EQ(safe.Find(0x00191030), nullptr);
}

TEST_F(DeidentifierTest, ANonDicomFileIsRefused) {
  ASSERT_TRUE(fs::WriteFileAtomic(dir_.Sub("x.dcm"), "not dicom").ok());
  auto r = DeidentifyFile(dir_.Sub("x.dcm"), dir_.Sub("y.dcm"), TestKey(), {});
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(fs::Exists(dir_.Sub("y.dcm")));
}

// Robustness: every file of the malformed corpus (../shared/corpus) and of pydicom's test data is
// de-identified or refused with a reason, never crashes (run under ASan in the robustness label:
// ctest Robustness.DeidSurvivesEveryCorpusFile).
TEST(DeidentifierCorpus, EveryFileIsDeidentifiedOrRefusedWithAReason) {
  std::vector<std::string> roots;
  if (const char* src = std::getenv("DICOMLAKE_SOURCE_DIR")) {
    roots.push_back(std::string(src) + "/../shared/corpus/fuzz-pwnlab-v3");
  }
  roots.push_back("/usr/lib/python3/dist-packages/pydicom/data");
  std::vector<std::string> files;
  for (const std::string& root : roots) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      std::string ext = it->path().extension().string();
      if (ext == ".md" || ext == ".json" || ext == ".py" || ext == ".pyc") continue;
      files.push_back(it->path().string());
    }
  }
  if (files.empty()) GTEST_SKIP() << "no corpus (../shared/corpus or python3-pydicom)";
  testing::TestDir dir;
  // The Basic Profile; then Clean Pixel Data on every image (decoding, OCR and re-encoding of
  // malformed pixel data) with Retain Safe Private.
  DeidSettings everything;
  everything.options.applied = {Option::kCleanPixelData, Option::kRetainSafePrivate,
                                Option::kRetainLongitudinalModifiedDates};
  everything.clean_all_images = true;
  for (const DeidSettings& settings : {DeidSettings{}, everything}) {
    int done = 0, refused = 0, searched = 0;
    for (const std::string& f : files) {
      Result<DeidReport> r = Internal("not run");
      ASSERT_TRUE(RunOnLargeStack([&] {
                    r = DeidentifyFile(f, dir.Sub("out.dcm"), TestKey(), settings);
                  }).ok());
      if (r.ok()) {
        ++done;
        searched += r->pixels_searched ? 1 : 0;
      } else {
        ++refused;
        EXPECT_FALSE(r.status().message().empty()) << f;
      }
    }
    std::printf(
        "de-identification (%zu options) over %zu files: %d written (%d searched for burned-in "
        "text), %d refused with a reason\n",
        settings.options.applied.size(), files.size(), done, searched, refused);
    EXPECT_GT(done, 0);
  }
}

}  // namespace
}  // namespace dicomlake::deid
