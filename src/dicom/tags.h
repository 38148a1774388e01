// The DICOM attributes dicomlake reads by name: one constant per attribute, holding its tag and
// its PS3.6 keyword. Code that reads a data set (dicom::Dataset), DICOM JSON (the eight hex
// digits of PS3.18 F.2) or SQL over DICOM JSON (a JSON path) builds all three forms from these
// constants, so an attribute is spelled once.
//
// Add an attribute: one X(keyword, tag) line in DICOMLAKE_DICOM_TAGS below, keyword verbatim
// from PS3.6. It becomes the constant tag::k<Keyword> and is found by FindTag("<Keyword>").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dicomlake::dicom {

// A DICOM attribute: its tag and its keyword. Compile-time constants; `json_key()` is the
// attribute's key in DICOM JSON ("0020000D").
class TagKey {
 public:
  constexpr TagKey(uint32_t tag, const char* keyword) : tag_(tag), keyword_(keyword), hex_{} {
    constexpr char kDigits[] = "0123456789ABCDEF";
    for (int i = 0; i < 8; ++i) hex_[i] = kDigits[(tag >> (28 - 4 * i)) & 0xF];
    hex_[8] = '\0';
  }

  constexpr uint32_t tag() const { return tag_; }
  constexpr uint16_t group() const { return static_cast<uint16_t>(tag_ >> 16); }
  constexpr uint16_t element() const { return static_cast<uint16_t>(tag_ & 0xFFFF); }
  constexpr const char* keyword() const { return keyword_; }
  // The DICOM JSON key: eight upper-case hex digits (PS3.18 F.2.1.1).
  constexpr const char* json_key() const { return hex_; }
  // "(0020,000D)", as messages write a tag.
  std::string Display() const;
  // The SQL/JSON path of value `index` in a DICOM JSON document: `$."0020000D".Value[0]`.
  std::string JsonValuePath(int index = 0) const;

  constexpr operator uint32_t() const { return tag_; }  // NOLINT(google-explicit-constructor)

 private:
  uint32_t tag_;
  const char* keyword_;
  char hex_[9];
};

// The attribute with `keyword` among the constants below (the keyword exactly), or nullptr.
const TagKey* FindTag(std::string_view keyword);

// The attributes dicomlake reads: X(keyword, tag).
#define DICOMLAKE_DICOM_TAGS(X)                  \
  X(MediaStorageSOPClassUID, 0x00020002)         \
  X(TransferSyntaxUID, 0x00020010)               \
  X(SpecificCharacterSet, 0x00080005)            \
  X(ImageType, 0x00080008)                       \
  X(SOPClassUID, 0x00080016)                     \
  X(SOPInstanceUID, 0x00080018)                  \
  X(StudyDate, 0x00080020)                       \
  X(SeriesDate, 0x00080021)                      \
  X(StudyTime, 0x00080030)                       \
  X(SeriesTime, 0x00080031)                      \
  X(AccessionNumber, 0x00080050)                 \
  X(IssuerOfAccessionNumberSequence, 0x00080051) \
  X(Modality, 0x00080060)                        \
  X(ModalitiesInStudy, 0x00080061)               \
  X(ReferringPhysicianName, 0x00080090)          \
  X(CodeValue, 0x00080100)                       \
  X(CodingSchemeDesignator, 0x00080102)          \
  X(CodeMeaning, 0x00080104)                     \
  X(LongCodeValue, 0x00080119)                   \
  X(URNCodeValue, 0x00080120)                    \
  X(TimezoneOffsetFromUTC, 0x00080201)           \
  X(StudyDescription, 0x00081030)                \
  X(ProcedureCodeSequence, 0x00081032)           \
  X(SeriesDescription, 0x0008103E)               \
  X(InstitutionalDepartmentName, 0x00081040)     \
  X(NameOfPhysiciansReadingStudy, 0x00081060)    \
  X(ManufacturerModelName, 0x00081090)           \
  X(PatientName, 0x00100010)                     \
  X(PatientID, 0x00100020)                       \
  X(IssuerOfPatientID, 0x00100021)               \
  X(PatientBirthDate, 0x00100030)                \
  X(PatientSex, 0x00100040)                      \
  X(PatientAge, 0x00101010)                      \
  X(BodyPartExamined, 0x00180015)                \
  X(StudyInstanceUID, 0x0020000D)                \
  X(SeriesInstanceUID, 0x0020000E)               \
  X(SeriesNumber, 0x00200011)                    \
  X(InstanceNumber, 0x00200013)                  \
  X(Laterality, 0x00200060)                      \
  X(ImageLaterality, 0x00200062)                 \
  X(NumberOfStudyRelatedSeries, 0x00201206)      \
  X(NumberOfStudyRelatedInstances, 0x00201208)   \
  X(NumberOfSeriesRelatedInstances, 0x00201209)  \
  X(PerformedProcedureStepStartDate, 0x00400244) \
  X(LocalNamespaceEntityID, 0x00400031)          \
  X(UniversalEntityID, 0x00400032)               \
  X(ReasonForTheRequestedProcedure, 0x00401002)  \
  X(ConceptNameCodeSequence, 0x0040A043)         \
  X(DocumentTitle, 0x00420010)

namespace tag {
#define DICOMLAKE_DECLARE_TAG(keyword, value) inline constexpr TagKey k##keyword{value, #keyword};
DICOMLAKE_DICOM_TAGS(DICOMLAKE_DECLARE_TAG)
#undef DICOMLAKE_DECLARE_TAG
}  // namespace tag

}  // namespace dicomlake::dicom
