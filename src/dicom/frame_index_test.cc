#include "dicom/frame_index.h"

#include <gtest/gtest.h>

namespace dicomlake::dicom {
namespace {

std::string NoHead(size_t) { return ""; }

TEST(FrameIndexTest, NativeFramesFollowEachOther) {
  auto index = NativeFrameIndex(1000, 3 * 512, 3, 512);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ASSERT_EQ(index->size(), 3u);
  EXPECT_EQ((*index)[2], (FrameRange{3, 1000 + 1024, 512}));
}

TEST(FrameIndexTest, NativeFramesThatDoNotFitAreRefused) {
  EXPECT_FALSE(NativeFrameIndex(0, 8192, 999999, 8192).ok());
  // frames x bytes beyond 64 bits must not wrap around into "fits".
  EXPECT_FALSE(NativeFrameIndex(0, 8192, 0xFFFFFFFF, uint64_t{1} << 40).ok());
}

TEST(FrameIndexTest, ExtendedOffsetTableWinsOverTheBasicOne) {
  EncapsulatedLayout layout;
  layout.frames = 2;
  layout.fragment_lengths = {10, 20, 30};
  layout.basic_offsets = {0, 18};          // frame 2 at fragment 1
  layout.extended_offsets = {0, 18 + 28};  // frame 2 at fragment 2
  auto starts = FrameStartFragments(layout, NoHead);
  ASSERT_TRUE(starts.ok()) << starts.status().ToString();
  EXPECT_EQ(*starts, (std::vector<size_t>{0, 2}));
}

TEST(FrameIndexTest, BasicOffsetTableGroupsFragmentsIntoFrames) {
  EncapsulatedLayout layout;
  layout.frames = 2;
  layout.fragment_lengths = {10, 20, 30};
  layout.basic_offsets = {0, 18};
  auto index = EncapsulatedFrameIndex(layout, {108, 126, 154}, NoHead);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ(*index, (FrameIndex{{1, 108, 10}, {2, 126, 20}, {2, 154, 30}}));
}

TEST(FrameIndexTest, AnOffsetBetweenFragmentsIsAnError) {
  EncapsulatedLayout layout;
  layout.frames = 2;
  layout.fragment_lengths = {10, 20};
  layout.basic_offsets = {0, 17};
  auto starts = FrameStartFragments(layout, NoHead);
  ASSERT_FALSE(starts.ok());
  EXPECT_NE(starts.status().message().find("not the start of a fragment"), std::string::npos);
}

TEST(FrameIndexTest, OneFrameTakesEveryFragment) {
  EncapsulatedLayout layout;
  layout.fragment_lengths = {4, 4, 4};
  auto index = EncapsulatedFrameIndex(layout, {10, 22, 34}, NoHead);
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->size(), 3u);
  EXPECT_EQ(index->back().frame_number, 1u);
}

TEST(FrameIndexTest, WithoutTablesMarkersTellFramesApart) {
  EncapsulatedLayout layout;
  layout.frames = 2;
  layout.fragment_lengths = {4, 4, 4};
  layout.frame_start_marker = FrameStartMarker("1.2.840.10008.1.2.4.90");
  std::vector<std::string> heads = {"\xFF\x4F", "\x12\x34", "\xFF\x4F"};
  auto starts = FrameStartFragments(layout, [&](size_t k) { return heads[k]; });
  ASSERT_TRUE(starts.ok()) << starts.status().ToString();
  EXPECT_EQ(*starts, (std::vector<size_t>{0, 2}));
  // RLE has no marker: with more fragments than frames and no table, the frames are unknown.
  layout.frame_start_marker = FrameStartMarker("1.2.840.10008.1.2.5");
  EXPECT_FALSE(FrameStartFragments(layout, [&](size_t k) { return heads[k]; }).ok());
}

TEST(FrameIndexTest, FewerFragmentsThanFramesIsAnError) {
  EncapsulatedLayout layout;
  layout.frames = 1000000;
  layout.fragment_lengths = {4};
  EXPECT_FALSE(FrameStartFragments(layout, NoHead).ok());
}

}  // namespace
}  // namespace dicomlake::dicom
