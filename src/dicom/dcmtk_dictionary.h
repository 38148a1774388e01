// Attributes by keyword from DCMTK's data dictionary (PS3.6): what `dicomlake patch --set
// Keyword=value` needs to write a value as DICOM JSON.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace dicomlake::dicom {

struct DictionaryAttribute {
  std::string keyword;   // as PS3.6 spells it
  std::string json_key;  // eight upper-case hex digits (PS3.18 F.2.1.1)
  std::string vr;        // the dictionary's VR; "" when it has several (e.g. "US or SS")
};

// The public attribute named `name`: a PS3.6 keyword ("PatientName"), or a tag written as
// eight hex digits ("00100010") or "(0010,0010)". NotFound for a name the dictionary lacks;
// InvalidArgument for a repeating-group or private tag.
Result<DictionaryAttribute> LookupAttribute(std::string_view name);

}  // namespace dicomlake::dicom
