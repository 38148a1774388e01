// De-identification of one DICOM file (issue 14): the profile's actions (deid/profile.h) applied
// to every attribute at any depth, with the keyed identifiers of deid/keyed.h, and the
// conformance attributes of PS3.15 E.1.1 written. The adapter is deid/dcmtk_deidentifier.cc.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "deid/keyed.h"
#include "deid/profile.h"

namespace dicomlake::deid {

struct DeidSettings {
  Options options;
  // The range of a patient's date shift in days (never 0): with the modified-dates option,
  // dates move by Key::DateShiftDays(PatientID, min, max).
  int shift_min_days = -3650;
  int shift_max_days = -1;
  // With Clean Pixel Data: look for burned-in text in every image, not only in those that may
  // carry it (Burned In Annotation YES, ultrasound, secondary capture).
  bool clean_all_images = false;
};

// A box of burned-in text blacked out (Clean Pixel Data), in pixels of its frame.
struct RedactedBox {
  int frame = 1;  // 1-based
  int x = 0, y = 0, width = 0, height = 0;
  int confidence = 0;  // the OCR's, 0..100
  int characters = 0;  // letters and digits read in it (the text itself is never kept)
};

// What was done to one file.
struct DeidReport {
  std::string patient_id;                   // the original Patient ID ("" when absent)
  std::string patient_pseudonym;            // its pseudonym
  int shift_days = 0;                       // the patient's date shift (modified-dates option)
  std::map<std::string, std::string> uids;  // old UID -> new UID, every one replaced
  int removed = 0, emptied = 0, dummied = 0, cleaned = 0, kept = 0;
  bool pixels_searched = false;         // Clean Pixel Data looked at this instance's frames
  std::vector<RedactedBox> redactions;  // what was blacked out
  std::string transfer_syntax_uid;      // of the file written
};

// Reads `in`, de-identifies it, and writes `out` (same transfer syntax, a new file meta group)
// whole or not at all. With Clean Pixel Data, burned-in text is blacked out (deid/text_finder.h;
// the pixels re-encoded losslessly in the original syntax where possible, else Explicit VR
// Little Endian); an instance whose text cannot be removed is an error, never written. Errors name
// the reason (not DICOM, unreadable, cannot write). Call on a thread with a large stack
// (RunOnLargeStack), as for the DICOM reader: sequences nest deeply.
Result<DeidReport> DeidentifyFile(const std::string& in, const std::string& out, const Key& key,
                                  const DeidSettings& settings);

}  // namespace dicomlake::deid
