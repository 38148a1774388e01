// Writing a Dataset as a DICOM Part 10 file (the adapter is dicom/dcmtk_writer.cc). Used by the
// sample generator; text is written as UTF-8 with Specific Character Set "ISO_IR 192".
#pragma once

#include <string>

#include "common/status.h"
#include "dicom/dataset.h"

namespace dicomlake::dicom {

enum class WriteSyntax {
  kExplicitLittle,  // 1.2.840.10008.1.2.1
  kImplicitLittle,  // 1.2.840.10008.1.2
  kDeflated,        // 1.2.840.10008.1.2.1.99 (the whole data set deflated)
  kRleLossless,     // 1.2.840.10008.1.2.5 (encapsulated pixel data, lossless)
};

// Writes `data` (elements in any order; text values in `strings`, numbers in `numbers`, binary
// in `binary`, sequences in `items`) with file meta information built from its SOP Class and
// SOP Instance UIDs. Pixel Data (7FE0,0010) must be OW/OB native pixels described by the usual
// image pixel module elements; kRleLossless compresses it. Thread-safe.
Status WriteDicomFile(const Dataset& data, const std::string& path, WriteSyntax syntax);

}  // namespace dicomlake::dicom
