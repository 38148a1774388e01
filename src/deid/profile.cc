#include "deid/profile.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace dicomlake::deid {

extern const char* const kTableE11Json;  // generated from data/deid/ (profile_data.cc.in)

namespace {

// "(0008,0050)" or "(60XX,4000)": the tag with 0 for each X, and the mask of the fixed digits.
bool ParseTag(const std::string& text, uint32_t* tag, uint32_t* mask) {
  if (text.size() != 11 || text[0] != '(' || text[5] != ',' || text[10] != ')') return false;
  std::string digits = text.substr(1, 4) + text.substr(6, 4);
  *tag = 0;
  *mask = 0;
  for (char c : digits) {
    *tag <<= 4;
    *mask <<= 4;
    if (c == 'X' || c == 'x') continue;
    int v = std::isxdigit(static_cast<unsigned char>(c)) ? std::stoi(std::string(1, c), nullptr, 16)
                                                         : -1;
    if (v < 0) return false;
    *tag |= static_cast<uint32_t>(v);
    *mask |= 0xF;
  }
  return true;
}

Result<Action> ParseAction(std::string_view a) {
  if (a == "K") return Action::kKeep;
  if (a == "X") return Action::kRemove;
  if (a == "Z") return Action::kZero;
  if (a == "D") return Action::kDummy;
  if (a == "C") return Action::kClean;
  if (a == "U" || a == "U*") return Action::kUid;
  return InvalidArgument(fmt::format("unknown action \"{}\"", a));
}

// A compound Basic Profile action (PS3.15 E.1.1: "X/Z": X unless Z is needed for the IOD ...).
Action ResolveBasic(const ProfileRow& row) {
  const std::string& b = row.basic;
  size_t slash = b.rfind('/');
  if (slash == std::string::npos) return *ParseAction(b);
  if (!row.in_standard_iod) return *ParseAction(b.substr(0, b.find('/')));
  return *ParseAction(b.substr(slash + 1));
}

}  // namespace

const char* ActionName(Action action) {
  switch (action) {
    case Action::kKeep:
      return "K";
    case Action::kRemove:
      return "X";
    case Action::kZero:
      return "Z";
    case Action::kDummy:
      return "D";
    case Action::kClean:
      return "C";
    case Action::kUid:
      return "U";
  }
  return "?";
}

const std::vector<OptionInfo>& AllOptions() {
  static const std::vector<OptionInfo> kOptions = {
      {Option::kCleanPixelData, "clean-pixel-data", "", "113101", "Clean Pixel Data Option"},
      {Option::kCleanGraphics, "clean-graphics", "cleanGraphOpt", "113103",
       "Clean Graphics Option"},
      {Option::kCleanStructuredContent, "clean-structured-content", "cleanStructContOpt", "113104",
       "Clean Structured Content Option"},
      {Option::kCleanDescriptors, "clean-descriptors", "cleanDescOpt", "113105",
       "Clean Descriptors Option"},
      {Option::kRetainLongitudinalFullDates, "retain-longitudinal-full-dates",
       "rtnLongFullDatesOpt", "113106",
       "Retain Longitudinal Temporal Information Full Dates Option"},
      {Option::kRetainLongitudinalModifiedDates, "retain-longitudinal-modified-dates",
       "rtnLongModifDatesOpt", "113107",
       "Retain Longitudinal Temporal Information Modified Dates Option"},
      {Option::kRetainPatientCharacteristics, "retain-patient-characteristics", "rtnPatCharsOpt",
       "113108", "Retain Patient Characteristics Option"},
      {Option::kRetainDeviceIdentity, "retain-device-identity", "rtnDevIdOpt", "113109",
       "Retain Device Identity Option"},
      {Option::kRetainUids, "retain-uids", "rtnUIDsOpt", "113110", "Retain UIDs Option"},
      {Option::kRetainSafePrivate, "retain-safe-private", "rtnSafePrivOpt", "113111",
       "Retain Safe Private Option"},
      {Option::kRetainInstitutionIdentity, "retain-institution-identity", "rtnInstIdOpt", "113112",
       "Retain Institution Identity Option"},
  };
  return kOptions;
}

const OptionInfo& InfoOf(Option option) {
  for (const OptionInfo& info : AllOptions())
    if (info.option == option) return info;
  std::abort();  // every Option has a row above
}

Result<Option> ParseOption(std::string_view name) {
  std::string names;
  for (const OptionInfo& info : AllOptions()) {
    if (name == info.name) return info.option;
    names += std::string(names.empty() ? "" : ", ") + info.name;
  }
  return InvalidArgument(
      fmt::format("unknown de-identification option \"{}\" (options: {})", name, names));
}

Status Options::Validate() const {
  if (Has(Option::kRetainLongitudinalFullDates) && Has(Option::kRetainLongitudinalModifiedDates)) {
    return InvalidArgument(
        "retain-longitudinal-full-dates and retain-longitudinal-modified-dates exclude each other");
  }
  return Status::Ok();
}

Result<Profile> Profile::FromJson(const std::string& text) {
  nlohmann::json rows = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!rows.is_array()) return InvalidArgument("Table E.1-1: not a JSON array");
  Profile profile;
  for (const auto& r : rows) {
    if (!r.is_object() || !r.contains("tag") || !r.contains("basicProfile"))
      return InvalidArgument("Table E.1-1: a row without tag or basicProfile");
    ProfileRow row;
    row.name = r.value("name", "");
    const std::string tag = r["tag"].get<std::string>();
    row.private_attributes = tag.rfind("(GGGG,EEEE)", 0) == 0;
    if (!row.private_attributes && !ParseTag(tag, &row.tag, &row.mask))
      return InvalidArgument("Table E.1-1: tag " + tag + " not understood");
    row.in_standard_iod = r.value("stdCompIOD", "") == "Y";
    row.basic = r["basicProfile"].get<std::string>();
    for (size_t p = 0, q; p <= row.basic.size(); p = q + 1) {
      q = row.basic.find('/', p);
      if (q == std::string::npos) q = row.basic.size();
      DL_RETURN_IF_ERROR(ParseAction(row.basic.substr(p, q - p))
                             .status()
                             .WithContext("Table E.1-1 " + tag + " basicProfile"));
    }
    for (const OptionInfo& info : AllOptions()) {
      if (*info.column == '\0' || !r.contains(info.column)) continue;
      std::string action = r[info.column].get<std::string>();
      DL_RETURN_IF_ERROR(
          ParseAction(action).status().WithContext("Table E.1-1 " + tag + " " + info.column));
      row.by_option.emplace_back(info.option, action);
    }
    profile.rows_.push_back(std::move(row));
  }
  return profile;
}

const Profile& Profile::Pinned() {
  static const Profile kProfile = [] {
    auto p = FromJson(kTableE11Json);
    if (!p.ok()) {
      std::fprintf(stderr, "dicomlake: the compiled-in Table E.1-1 is broken: %s\n",
                   p.status().message().c_str());
      std::abort();
    }
    return std::move(*p);
  }();
  return kProfile;
}

const ProfileRow* Profile::Find(uint32_t tag) const {
  const bool is_private = ((tag >> 16) & 1) != 0;
  for (const ProfileRow& row : rows_) {
    if (is_private ? row.private_attributes
                   : !row.private_attributes && (tag & row.mask) == row.tag) {
      return &row;
    }
  }
  return nullptr;
}

std::optional<Action> Profile::ActionFor(uint32_t tag, const Options& options) const {
  const ProfileRow* row = Find(tag);
  if (row == nullptr) return std::nullopt;
  std::optional<Action> by_option;
  for (const auto& [option, text] : row->by_option) {
    if (!options.Has(option)) continue;
    Action a = *ParseAction(text);
    if (!by_option || a == Action::kKeep) by_option = a;
  }
  return by_option ? *by_option : ResolveBasic(*row);
}

}  // namespace dicomlake::deid
