// De-identification (issue 14), the keyed part: every new identifier is a function of a secret
// key and the old value, so the same key gives the same research identifiers on every run, in
// every layer, with no table of what was replaced (PS3.15 E.1.1 wants UIDs "internally
// consistent"; users of other de-identifiers ask for exactly this: ../shared/reference/deid.md).
// Without the key nobody can confirm a guess (unlike an unkeyed MD5 of the UID).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace dicomlake::deid {

// A de-identification key: 32 random bytes.
class Key {
 public:
  // Reads the key file at `path` (64 hex digits and a newline), or creates it (and a missing
  // folder, mode 0700) when absent: 32
  // bytes from the system's random source, written with mode 0600 (owner only) and flushed.
  // `created` says which. A file that is not a key is an error naming it.
  static Result<Key> LoadOrCreate(const std::string& path, bool* created = nullptr);
  // A key from its 32 bytes (tests).
  static Key FromBytes(std::string bytes) { return Key(std::move(bytes)); }

  // HMAC-SHA256(key, message): 32 bytes.
  std::string Mac(const std::string& message) const;

  // The new UID of `uid`: "2.25." followed by the decimal of the first 128 bits of
  // HMAC-SHA256(key, uid) (PS3.5 B.2: a UUID-derived UID, at most 44 characters).
  std::string NewUid(const std::string& uid) const;

  // The pseudonym of a Patient ID: 16 upper-case hex digits of HMAC-SHA256(key, "PatientID" NUL
  // id), the same in DICOM, FHIR and the OMOP source values.
  std::string PatientPseudonym(const std::string& patient_id) const;

  // The days a patient's dates move by: a value in [min_days, max_days] other than 0, from
  // HMAC-SHA256(key, "DateShift" NUL patient_id); the same for every date of the patient, so
  // intervals within a patient are kept. Requires min_days <= max_days and a range with a
  // value other than 0.
  int DateShiftDays(const std::string& patient_id, int min_days, int max_days) const;

 private:
  explicit Key(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string bytes_;
};

// A DICOM date "YYYYMMDD" moved by `days`; anything else (a partial or broken date) gives "".
std::string ShiftDicomDate(const std::string& yyyymmdd, int days);

}  // namespace dicomlake::deid
