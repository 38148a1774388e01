// The private dictionary dicomlake adds to DCMTK's: private attributes by (private creator,
// element), from data/dicom/private_dictionary.tsv (compiled in). With it, private attributes
// of implicit VR data sets (and explicit UN ones) are read with their VR (PS3.5 7.8), as
// pydicom and GDCM read them.
#pragma once

#include <cstddef>

namespace dicomlake::dicom {

// Adds the entries to DCMTK's global data dictionary (replacing DCMTK's own entry where the two
// disagree on the VR). Call once, before reading; returns the number of entries added.
size_t AddPrivateDictionaryToDcmtk();

}  // namespace dicomlake::dicom
