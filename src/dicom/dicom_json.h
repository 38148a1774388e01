// The DICOM JSON Model (PS3.18 Annex F) of a data set: the `metadata_string` of bronze.
#pragma once

#include <string>

#include "dicom/dataset.h"

namespace dicomlake::dicom {

struct JsonOptions {
  // BulkDataURI of a value over the inline limit is `<bulk_uri_base>?offset=<o>&length=<l>`
  // (or `?tag=<tag>` when the offset is unknown; `&` instead of `?` when the base has a query,
  // e.g. `file:///p/a.zip?member=x.dcm`). Empty: "bulk:" is used as the base.
  std::string bulk_uri_base;
};

// Writes `meta` (file meta information, group 0002) and `data` as one DICOM JSON object,
// attributes sorted by tag (F.2.1). Rules, with the section of PS3.18 Annex F:
//  - group length elements (gggg,0000) are left out;
//  - an element without value has only "vr" (F.2.5); an empty value inside a multi-valued
//    element is null;
//  - PN values are objects of component groups "Alphabetic", "Ideographic", "Phonetic",
//    empty groups left out (F.2.2);
//  - IS and DS values are JSON numbers when they are valid numbers, strings otherwise (F.2.3);
//  - numeric binary VRs are numbers; AT values 8 hex digits;
//  - binary values are "InlineBinary" base64 (F.2.7) up to the inline limit, "BulkDataURI"
//    beyond it;
//  - sequences nest items as JSON objects (F.2.6); private tags are kept with their creators.
std::string ToDicomJson(const Dataset& meta, const Dataset& data, const JsonOptions& options = {});

}  // namespace dicomlake::dicom
