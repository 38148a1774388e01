// Retain Safe Private (PS3.15 E.3.10): the private attributes known to hold no identity, by
// private creator, group and element within the creator's block. With the option, these keep
// their values (with their Private Creator elements) and every other private attribute is
// removed; without it, every private attribute is removed.
//
// The list is the subset of Table E.3.10-1 that dicomlake ships (docs/deid.md lists it): the
// acquisition and scaling parameters of GE, Siemens, Philips and Elscint CT, MR and PET that
// quantitative research needs. An attribute not on it is removed, which is the safe side.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dicomlake::deid {

struct SafePrivateAttribute {
  uint16_t group;       // odd
  const char* creator;  // the Private Creator value, compared without trailing spaces
  uint8_t element;      // the element within the block: (gggg,xxEE) -> EE
  const char* vr;
  const char* name;
};

const std::vector<SafePrivateAttribute>& SafePrivateAttributes();

// True when (group, element within block) of a block reserved by `creator` is on the list.
// The creator is compared case-insensitively after trimming spaces (vendors differ in case).
bool IsSafePrivate(uint16_t group, const std::string& creator, uint8_t element);

}  // namespace dicomlake::deid
