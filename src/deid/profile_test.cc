#include "deid/profile.h"

#include <gtest/gtest.h>

namespace dicomlake::deid {
namespace {

constexpr uint32_t Tag(uint16_t g, uint16_t e) { return (uint32_t{g} << 16) | e; }

Options With(std::initializer_list<Option> o) { return Options{{o}}; }

TEST(ProfileTest, TheCompiledInTableHasEveryRow) {
  const Profile& p = Profile::Pinned();
  EXPECT_EQ(p.size(), 621u);  // PS3.15 2024b Table E.1-1 as innolitics publishes it
  const ProfileRow* name = p.Find(Tag(0x0010, 0x0010));
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->name, "Patient's Name");
}

TEST(ProfileTest, BasicProfileActions) {
  const Profile& p = Profile::Pinned();
  Options none;
  EXPECT_EQ(p.ActionFor(Tag(0x0010, 0x0010), none), Action::kZero);    // Patient's Name
  EXPECT_EQ(p.ActionFor(Tag(0x0020, 0x000D), none), Action::kUid);     // Study Instance UID
  EXPECT_EQ(p.ActionFor(Tag(0x0010, 0x1000), none), Action::kRemove);  // Other Patient IDs
  EXPECT_EQ(p.ActionFor(Tag(0x0008, 0x0020), none), Action::kZero);    // Study Date
  // Not in the table: nothing to do (Rows, Modality).
  EXPECT_EQ(p.ActionFor(Tag(0x0028, 0x0010), none), std::nullopt);
  EXPECT_EQ(p.ActionFor(Tag(0x0008, 0x0060), none), std::nullopt);
}

TEST(ProfileTest, CompoundActionsKeepTheObjectValid) {
  const Profile& p = Profile::Pinned();
  Options none;
  EXPECT_EQ(p.Find(Tag(0x0010, 0x0020))->basic, "Z/D");  // Patient ID: D, type 1 somewhere
  EXPECT_EQ(p.ActionFor(Tag(0x0010, 0x0020), none), Action::kDummy);
  EXPECT_EQ(p.Find(Tag(0x0008, 0x0022))->basic, "X/Z");  // Acquisition Date
  EXPECT_EQ(p.ActionFor(Tag(0x0008, 0x0022), none), Action::kZero);
  EXPECT_EQ(p.ActionFor(Tag(0x0008, 0x002A), none), Action::kDummy);  // X/Z/D
  // X/Z/U*: the sequence stays, its UIDs are replaced.
  EXPECT_EQ(p.ActionFor(Tag(0x0008, 0x1140), none), Action::kUid);
}

TEST(ProfileTest, OptionsOverrideTheBasicProfile) {
  const Profile& p = Profile::Pinned();
  EXPECT_EQ(p.ActionFor(Tag(0x0020, 0x000D), With({Option::kRetainUids})), Action::kKeep);
  EXPECT_EQ(p.ActionFor(Tag(0x0008, 0x0020), With({Option::kRetainLongitudinalFullDates})),
            Action::kKeep);
  EXPECT_EQ(p.ActionFor(Tag(0x0008, 0x0020), With({Option::kRetainLongitudinalModifiedDates})),
            Action::kClean);
  EXPECT_EQ(p.ActionFor(Tag(0x0010, 0x0040), With({Option::kRetainPatientCharacteristics})),
            Action::kKeep);  // Patient's Sex
  EXPECT_EQ(p.ActionFor(Tag(0x0010, 0x0010), With({Option::kRetainPatientCharacteristics})),
            Action::kZero);  // the name is not a characteristic
  // An option that lists nothing for the attribute changes nothing.
  EXPECT_EQ(p.ActionFor(Tag(0x0010, 0x0010), With({Option::kRetainUids})), Action::kZero);
}

TEST(ProfileTest, RepeatingGroupsAndPrivateAttributes) {
  const Profile& p = Profile::Pinned();
  Options none;
  EXPECT_EQ(p.ActionFor(Tag(0x6002, 0x3000), none), Action::kRemove);  // Overlay Data, 60xx
  EXPECT_EQ(p.ActionFor(Tag(0x6002, 0x3000), With({Option::kCleanGraphics})), Action::kClean);
  EXPECT_EQ(p.ActionFor(Tag(0x5010, 0x0005), none), Action::kRemove);  // Curve Data, 50xx
  EXPECT_EQ(p.ActionFor(Tag(0x0009, 0x1001), none), Action::kRemove);  // any private attribute
  EXPECT_EQ(p.ActionFor(Tag(0x0009, 0x1001), With({Option::kRetainSafePrivate})), Action::kClean);
  EXPECT_EQ(p.Find(Tag(0x6002, 0x0010)), nullptr);  // Overlay Rows: not listed
}

TEST(ProfileTest, OptionsByNameAndTheirCodes) {
  auto o = ParseOption("retain-longitudinal-modified-dates");
  ASSERT_TRUE(o.ok());
  EXPECT_STREQ(InfoOf(*o).code_value, "113107");
  auto bad = ParseOption("retain-everything");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("clean-descriptors"), std::string::npos);
  EXPECT_FALSE(
      With({Option::kRetainLongitudinalFullDates, Option::kRetainLongitudinalModifiedDates})
          .Validate()
          .ok());
  EXPECT_EQ(AllOptions().size(), 11u);
}

TEST(ProfileTest, ATableThatDoesNotParseIsRefusedWithTheReason) {
  auto p = Profile::FromJson(R"js([{"tag":"(0010,0010)","basicProfile":"Q"}])js");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("unknown action \"Q\""), std::string::npos);
  EXPECT_FALSE(Profile::FromJson(R"js([{"tag":"(001G,0010)","basicProfile":"X"}])js").ok());
}

}  // namespace
}  // namespace dicomlake::deid
