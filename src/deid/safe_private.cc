#include "deid/safe_private.h"

#include <cctype>

namespace dicomlake::deid {

const std::vector<SafePrivateAttribute>& SafePrivateAttributes() {
  static const std::vector<SafePrivateAttribute> kList = {
      // GE CT and MR acquisition
      {0x0019, "GEMS_ACQU_01", 0x23, "DS", "Table Speed [mm/rotation]"},
      {0x0019, "GEMS_ACQU_01", 0x24, "DS", "Mid Scan Time [sec]"},
      {0x0019, "GEMS_ACQU_01", 0x27, "DS", "Rotation Speed [msec]"},
      {0x0043, "GEMS_PARM_01", 0x27, "SH", "Scan Pitch Ratio"},
      {0x0043, "GEMS_PARM_01", 0x39, "IS", "Slop_int_6... slop_int_9 (diffusion b-value)"},
      {0x0025, "GEMS_SERS_01", 0x07, "SL", "Images in Series"},
      {0x0045, "GEMS_HELIOS_01", 0x01, "SS", "Number of Macro Rows in Detector"},
      {0x0045, "GEMS_HELIOS_01", 0x02, "FL", "Macro width at ISO Center"},
      // Siemens MR diffusion and timing
      {0x0019, "SIEMENS MR HEADER", 0x0B, "DS", "Slice Measurement Duration"},
      {0x0019, "SIEMENS MR HEADER", 0x0C, "IS", "B Value"},
      {0x0019, "SIEMENS MR HEADER", 0x0D, "CS", "Diffusion Directionality"},
      {0x0019, "SIEMENS MR HEADER", 0x0E, "FD", "Diffusion Gradient Direction"},
      {0x0019, "SIEMENS MR HEADER", 0x27, "FD", "B Matrix"},
      {0x0019, "SIEMENS MR HEADER", 0x28, "FD", "Bandwidth per Pixel Phase Encode"},
      // Philips MR scaling and diffusion, PET quantitation
      {0x2005, "Philips MR Imaging DD 001", 0x0D, "FL", "Scale Intercept"},
      {0x2005, "Philips MR Imaging DD 001", 0x0E, "FL", "Scale Slope"},
      {0x2001, "Philips Imaging DD 001", 0x03, "FL", "Diffusion B-Factor"},
      {0x2001, "Philips Imaging DD 001", 0x04, "CS", "Diffusion Direction"},
      {0x7053, "Philips PET Private Group", 0x00, "DS", "SUV Factor"},
      {0x7053, "Philips PET Private Group", 0x09, "DS", "Activity Concentration Scale Factor"},
      // Elscint / Philips CT
      {0x00E1, "ELSCINT1", 0x21, "DS", "DLP"},
      {0x01F1, "ELSCINT1", 0x01, "CS", "Acquisition Type"},
      {0x01F1, "ELSCINT1", 0x26, "DS", "Pitch"},
      {0x01F1, "ELSCINT1", 0x27, "DS", "Rotation Time"},
  };
  return kList;
}

namespace {

std::string Normalised(const std::string& s) {
  size_t a = s.find_first_not_of(' ');
  if (a == std::string::npos) return "";
  std::string out = s.substr(a, s.find_last_not_of(' ') - a + 1);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool IsSafePrivate(uint16_t group, const std::string& creator, uint8_t element) {
  const std::string c = Normalised(creator);
  for (const auto& a : SafePrivateAttributes()) {
    if (a.group == group && a.element == element && Normalised(a.creator) == c) return true;
  }
  return false;
}

}  // namespace dicomlake::deid
