// De-identification (issue 14), its rules as data: DICOM PS3.15 Table E.1-1, the Basic
// Application Level Confidentiality Profile and its options, edition 2024b, compiled in from
// data/deid/ps3.15-table-e.1-1-2024b.json (innolitics/dicom-standard's machine-readable table).
// Facts: ../shared/reference/deid.md. This file decides, for an attribute and a set of options,
// which action applies; applying it to data sets is the de-identifier's work.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace dicomlake::deid {

// The actions of Table E.1-1 (PS3.15 E.1.1).
enum class Action {
  kKeep,    // K
  kRemove,  // X
  kZero,    // Z: an empty value
  kDummy,   // D: a dummy value of the VR
  kClean,   // C: identifying content replaced, meaning kept (dates: shifted)
  kUid,     // U: a new UID, the same for the same old UID
};
const char* ActionName(Action action);  // "K", "X", ...

// The options of PS3.15 E.3 with their CID 7050 codes (Clean Recognizable Visual Features has
// no row in the table and is not an option here).
enum class Option {
  kCleanPixelData,
  kCleanGraphics,
  kCleanStructuredContent,
  kCleanDescriptors,
  kRetainLongitudinalFullDates,
  kRetainLongitudinalModifiedDates,
  kRetainPatientCharacteristics,
  kRetainDeviceIdentity,
  kRetainUids,
  kRetainSafePrivate,
  kRetainInstitutionIdentity,
};

struct OptionInfo {
  Option option;
  const char* name;        // as given on the command line: "retain-uids"
  const char* column;      // its column in the table: "rtnUIDsOpt" ("" when it has none)
  const char* code_value;  // CID 7050, scheme DCM: "113110"
  const char* code_meaning;
};
const std::vector<OptionInfo>& AllOptions();
const OptionInfo& InfoOf(Option option);
// kInvalidArgument listing the valid names for an unknown one.
Result<Option> ParseOption(std::string_view name);

// CID 7050 code of the Basic Profile itself.
inline constexpr const char* kBasicProfileCode = "113100";
inline constexpr const char* kBasicProfileMeaning = "Basic Application Confidentiality Profile";

// A set of options; the two Retain Longitudinal Temporal Information options exclude each other.
struct Options {
  std::set<Option> applied;
  bool Has(Option o) const { return applied.count(o) != 0; }
  Status Validate() const;
};

// One row of the table.
struct ProfileRow {
  std::string name;                 // "Patient's Name"
  uint32_t tag = 0;                 // (group << 16) | element, with the repeating digits 0
  uint32_t mask = 0xFFFFFFFF;       // the digits that must match (repeating groups: 50xx, 60xx)
  bool private_attributes = false;  // the "(gggg,eeee) where gggg is odd" row
  bool in_standard_iod = false;     // stdCompIOD: used in a standard composite IOD
  std::string basic;                // the Basic Profile's action as written: "X/Z/D"
  std::vector<std::pair<Option, std::string>> by_option;  // "K", "C" per option column
};

// The table, loaded once.
class Profile {
 public:
  static constexpr const char* kEdition = "2024b";
  // The compiled-in table (the process ends with a message if it does not parse: it is data of
  // this build, tested).
  static const Profile& Pinned();
  // Parses a table in innolitics' JSON shape (tests, other editions).
  static Result<Profile> FromJson(const std::string& json);

  // The row of public attribute `tag` (exact, or a repeating group), or null when the table does
  // not list it; for a private attribute (odd group), the private attributes row.
  const ProfileRow* Find(uint32_t tag) const;

  // The action for attribute `tag` under `options` (PS3.15 E.1.1 and E.3): an action of an
  // applied option wins over the Basic Profile's (K before C when two apply); a compound Basic
  // action (X/Z, X/D, Z/D, X/Z/D, X/Z/U*) becomes what keeps the object valid whatever its IOD
  // needs: for attributes used in standard IODs the last of Z or D (U* keeps a sequence so its
  // UIDs can be replaced: kUid), X otherwise. nullopt: the table does not list the attribute.
  std::optional<Action> ActionFor(uint32_t tag, const Options& options) const;

  size_t size() const { return rows_.size(); }
  const std::vector<ProfileRow>& rows() const { return rows_; }

 private:
  std::vector<ProfileRow> rows_;
};

}  // namespace dicomlake::deid
