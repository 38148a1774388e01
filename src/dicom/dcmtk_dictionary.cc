#include "dicom/dcmtk_dictionary.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdicent.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcvr.h>

#include <cctype>
#include <cstdio>

#include "dicom/dcmtk_setup.h"

namespace dicomlake::dicom {
namespace {

// "00100010" or "(0010,0010)" as a tag; false for anything else.
bool ParseTag(std::string_view name, unsigned* group, unsigned* element) {
  std::string hex;
  for (char c : name) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      hex.push_back(c);
    } else if (c != '(' && c != ')' && c != ',') {
      return false;
    }
  }
  if (hex.size() != 8 || (name.front() == '(') != (name.back() == ')')) return false;
  return std::sscanf(hex.c_str(), "%4x%4x", group, element) == 2;
}

}  // namespace

Result<DictionaryAttribute> LookupAttribute(std::string_view name) {
  ConfigureDcmtk();
  std::string text(name);
  unsigned group = 0, element = 0;
  const bool is_tag = !text.empty() && ParseTag(text, &group, &element);
  if (is_tag && (group & 1) != 0) {
    return InvalidArgument(text + " is a private attribute: name a public one");
  }
  const DcmDataDictionary& dict = dcmDataDict.rdlock();
  const DcmDictEntry* entry =
      is_tag ? dict.findEntry(DcmTagKey(static_cast<Uint16>(group), static_cast<Uint16>(element)),
                              nullptr)
             : dict.findEntry(text.c_str());
  DictionaryAttribute out;
  if (entry != nullptr) {
    if (entry->isRepeating() && !is_tag) {
      dcmDataDict.rdunlock();
      return InvalidArgument(text + " is a repeating-group attribute: name it by its tag");
    }
    out.keyword = entry->getTagName() != nullptr ? entry->getTagName() : "";
    DcmVR vr(entry->getEVR());
    const char* vr_name = vr.getValidVRName();
    // Dictionary VRs like "US or SS" (ox, xs, lt) have no single JSON form.
    if (vr.isStandard()) out.vr = vr_name != nullptr ? vr_name : "";
  }
  dcmDataDict.rdunlock();
  if (entry == nullptr) {
    return NotFound("no attribute " + text + " in the DICOM dictionary (PS3.6 keyword or tag)");
  }
  char key[9];
  std::snprintf(key, sizeof key, "%04X%04X", is_tag ? group : entry->getGroup(),
                is_tag ? element : entry->getElement());
  out.json_key = key;
  return out;
}

}  // namespace dicomlake::dicom
