#include "dicom/tags.h"

#include <fmt/format.h>

namespace dicomlake::dicom {
namespace {

#define DICOMLAKE_TAG_ADDRESS(keyword, value) &tag::k##keyword,
constexpr const TagKey* kKnownTags[] = {DICOMLAKE_DICOM_TAGS(DICOMLAKE_TAG_ADDRESS)};
#undef DICOMLAKE_TAG_ADDRESS

}  // namespace

std::string TagKey::Display() const { return fmt::format("({:04X},{:04X})", group(), element()); }

std::string TagKey::JsonValuePath(int index) const {
  return fmt::format("$.\"{}\".Value[{}]", json_key(), index);
}

const TagKey* FindTag(std::string_view keyword) {
  for (const TagKey* t : kKnownTags)
    if (keyword == t->keyword()) return t;
  return nullptr;
}

}  // namespace dicomlake::dicom
