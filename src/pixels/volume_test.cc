#include "pixels/volume.h"

#include <gtest/gtest.h>

#include <cstring>

#include "pixels/writers.h"

namespace dicomlake::pixels {
namespace {

// An axial slice of file `file` at (x, y, z).
SliceRef Axial(size_t file, double x, double y, double z, int64_t instance = 0) {
  SliceRef s;
  s.file = file;
  s.rows = 4;
  s.columns = 3;
  s.instance_number = instance ? instance : static_cast<int64_t>(file) + 1;
  FrameAttributes& a = s.attributes;
  a.has_position = a.has_orientation = a.has_spacing = true;
  a.position[0] = x, a.position[1] = y, a.position[2] = z;
  a.spacing[0] = 0.5, a.spacing[1] = 0.7;
  a.slice_thickness = 5;  // deliberately not the spacing between positions
  return s;
}

TEST(PlanVolumesTest, SortsAlongTheNormalAndTakesSpacingFromPositions) {
  VolumePlan p = PlanVolumes({Axial(0, 0, 0, 4), Axial(1, 0, 0, -2), Axial(2, 0, 0, 1)});
  ASSERT_EQ(p.volumes.size(), 1u);
  const Volume& v = p.volumes[0];
  ASSERT_EQ(v.slices.size(), 3u);
  EXPECT_EQ(v.slices[0].file, 1u);
  EXPECT_EQ(v.slices[2].file, 0u);
  EXPECT_DOUBLE_EQ(v.spacing[2], 3);
  EXPECT_DOUBLE_EQ(v.spacing[0], 0.7);  // between columns: Pixel Spacing's second value
  EXPECT_DOUBLE_EQ(v.spacing[1], 0.5);
  EXPECT_DOUBLE_EQ(v.affine[0][0], 0.7);
  EXPECT_DOUBLE_EQ(v.affine[1][1], 0.5);
  EXPECT_DOUBLE_EQ(v.affine[2][2], 3);
  EXPECT_DOUBLE_EQ(v.affine[2][3], -2);
  EXPECT_FALSE(v.sheared);
  EXPECT_TRUE(v.notes.empty());
}

TEST(PlanVolumesTest, SplitsEvenRepeatsAndRefusesUnevenOnes) {
  std::vector<SliceRef> two_phases;
  for (size_t k = 0; k < 6; ++k) two_phases.push_back(Axial(k, 0, 0, static_cast<double>(k % 3)));
  VolumePlan p = PlanVolumes(two_phases);
  ASSERT_EQ(p.volumes.size(), 2u);
  EXPECT_EQ(p.volumes[0].slices.size(), 3u);
  EXPECT_EQ(p.volumes[0].slices[0].file, 0u);  // by Instance Number at each position
  EXPECT_EQ(p.volumes[1].slices[0].file, 3u);
  EXPECT_FALSE(p.volumes[1].notes.empty());

  VolumePlan q = PlanVolumes({Axial(0, 0, 0, 0), Axial(1, 0, 0, 0), Axial(2, 0, 0, 1)});
  EXPECT_TRUE(q.volumes.empty());
  ASSERT_EQ(q.problems.size(), 1u);
  EXPECT_NE(q.problems[0].find("repeated"), std::string::npos);
}

TEST(PlanVolumesTest, SplitsAtAMissingSlice) {
  VolumePlan p = PlanVolumes({Axial(0, 0, 0, 0), Axial(1, 0, 0, 1), Axial(2, 0, 0, 2),
                              Axial(3, 0, 0, 4), Axial(4, 0, 0, 5)});
  ASSERT_EQ(p.volumes.size(), 2u);
  EXPECT_EQ(p.volumes[0].slices.size(), 3u);
  EXPECT_EQ(p.volumes[1].slices.size(), 2u);
  EXPECT_NE(p.volumes[0].notes[0].find("uneven"), std::string::npos);
}

TEST(PlanVolumesTest, GantryTiltGivesAShearedAffine) {
  VolumePlan p = PlanVolumes({Axial(0, 0, 0, 0), Axial(1, 0, 0.5, 2), Axial(2, 0, 1, 4)});
  ASSERT_EQ(p.volumes.size(), 1u);
  const Volume& v = p.volumes[0];
  EXPECT_TRUE(v.sheared);
  EXPECT_DOUBLE_EQ(v.affine[1][2], 0.5);  // the slice axis follows the positions
  EXPECT_DOUBLE_EQ(v.affine[2][2], 2);
  ASSERT_FALSE(v.notes.empty());
  // The NIfTI header then has the sform only (qform_code 0).
  NiftiVolume h;
  h.columns = 3, h.rows = 4, h.slices = 3;
  std::string bytes = NiftiHeader(h, v);
  int16_t qform_code = 0, sform_code = 0;
  std::memcpy(&qform_code, bytes.data() + 252, 2);
  std::memcpy(&sform_code, bytes.data() + 254, 2);
  EXPECT_EQ(qform_code, 0);
  EXPECT_EQ(sform_code, 1);
}

TEST(PlanVolumesTest, SplitsByOrientationAndEcho) {
  SliceRef sagittal = Axial(2, 0, 0, 0);
  const double o[6] = {0, 1, 0, 0, 0, -1};
  std::memcpy(sagittal.attributes.orientation, o, sizeof o);
  SliceRef echo2 = Axial(3, 0, 0, 0);
  echo2.attributes.echo = "2";
  SliceRef a = Axial(0, 0, 0, 0), b = Axial(1, 0, 0, 1);
  a.attributes.echo = b.attributes.echo = "1";
  sagittal.attributes.echo = "1";
  VolumePlan p = PlanVolumes({a, b, sagittal, echo2});
  ASSERT_EQ(p.volumes.size(), 3u);
  EXPECT_EQ(p.volumes[0].slices.size(), 2u);
  EXPECT_EQ(p.volumes[2].label, "echo 2, orientation 1\\0\\0\\0\\1\\0");
  EXPECT_EQ(p.volumes[0].label, "echo 1, orientation 1\\0\\0\\0\\1\\0");
  EXPECT_EQ(p.volumes[1].label, "echo 1, orientation 0\\1\\0\\0\\0\\-1");
}

TEST(PlanVolumesTest, WithoutGeometryOneVolumePerFile) {
  SliceRef a = Axial(0, 0, 0, 0, 2), b = Axial(1, 0, 0, 0, 1), c = Axial(1, 0, 0, 0, 1);
  for (SliceRef* s : {&a, &b, &c}) s->attributes.has_position = false;
  c.frame = 1;
  VolumePlan p = PlanVolumes({a, b, c});
  ASSERT_EQ(p.volumes.size(), 2u);
  EXPECT_EQ(p.volumes[0].slices.size(), 2u);  // file 1 (Instance Number 1): its two frames
  EXPECT_EQ(p.volumes[0].slices[1].frame, 1u);
  EXPECT_FALSE(p.volumes[0].has_geometry);
}

TEST(NiftiHeaderTest, IsNifti1WithDcm2niixsAffine) {
  // An axial 32 x 32 CT slice at (-180, -180, -200) with 0.7 mm pixels, as in the sample:
  // dcm2niix writes srow_x (-0.7, 0, 0, 180), srow_y (0, 0.7, 0, 158.3), srow_z (0, 0, 2.5, -200).
  SliceRef s0 = Axial(0, -180, -180, -200), s1 = Axial(1, -180, -180, -197.5);
  for (SliceRef* s : {&s0, &s1}) {
    s->rows = s->columns = 32;
    s->attributes.spacing[0] = s->attributes.spacing[1] = 0.7;
  }
  VolumePlan p = PlanVolumes({s0, s1});
  ASSERT_EQ(p.volumes.size(), 1u);
  NiftiVolume h;
  h.columns = h.rows = 32;
  h.slices = 2;
  h.type = NiftiType::kUint16;
  h.scl_inter = -1024;
  std::string b = NiftiHeader(h, p.volumes[0]);
  ASSERT_EQ(b.size(), 352u);
  auto i32 = [&](size_t at) {
    int32_t v;
    std::memcpy(&v, b.data() + at, 4);
    return v;
  };
  auto i16 = [&](size_t at) {
    int16_t v;
    std::memcpy(&v, b.data() + at, 2);
    return v;
  };
  auto f32 = [&](size_t at) {
    float v;
    std::memcpy(&v, b.data() + at, 4);
    return v;
  };
  EXPECT_EQ(i32(0), 348);
  EXPECT_EQ(std::string(b.data() + 344, 3), "n+1");
  EXPECT_EQ(i16(40), 3);
  EXPECT_EQ(i16(42), 32);
  EXPECT_EQ(i16(46), 2);
  EXPECT_EQ(i16(70), 512);
  EXPECT_EQ(i16(72), 16);
  EXPECT_FLOAT_EQ(f32(108), 352);
  EXPECT_FLOAT_EQ(f32(116), -1024);
  const float srow[12] = {-0.7f, 0, 0, 180, 0, 0.7f, 0, 158.3f, 0, 0, 2.5f, -200};
  for (int k = 0; k < 12; ++k) EXPECT_NEAR(f32(280 + 4 * k), srow[k], 1e-4) << k;
  // x flipped: left-handed, so qfac -1 and the rotation a 180-degree turn about y (quatern_c 1),
  // as dcm2niix writes it.
  EXPECT_FLOAT_EQ(f32(76), -1);
  EXPECT_NEAR(f32(260), 1, 1e-6);
}

}  // namespace
}  // namespace dicomlake::pixels
