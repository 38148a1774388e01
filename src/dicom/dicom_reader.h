// Reading a DICOM file into a Dataset (the adapter is dicom/dcmtk_reader.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "dicom/dataset.h"
#include "dicom/frame_index.h"

namespace dicomlake::dicom {

struct ReadOptions {
  // Binary values longer than this are not read: they become a BulkLocation (PS3.18 F.2.7).
  uint32_t max_inline_binary = 1024;
};

struct DicomFile {
  Dataset meta;  // file meta information (group 0002); empty when the file has none
  Dataset data;
  std::string transfer_syntax_uid;
  std::vector<std::string> warnings;  // what was odd but did not stop the read
  // Where each frame's bytes lie in the file (dicom/frame_index.h); std::nullopt without Pixel
  // Data, for deflated files, or when the frames cannot be located (then a warning says why).
  std::optional<FrameIndex> frame_index;
};

// True when `head` (the first bytes of a file, ideally 132 or more) looks like DICOM: the
// "DICM" magic at offset 128 (PS3.10 7.1), or a plausible first element of group 0002 or 0008
// (files without preamble, in explicit or implicit VR little endian).
bool LooksLikeDicom(const std::string& head);

// Reads a DICOM file: headers and small values in memory, large binary values located but not
// read, text converted to UTF-8 from the file's Specific Character Set. Errors (not DICOM,
// truncated, unreadable) are kInvalidArgument / kIoError with the reason; the path is not part
// of the message. Thread-safe; call it on a thread with a large stack (RunOnLargeStack).
Result<DicomFile> ReadDicomFile(const std::string& path, const ReadOptions& options = {});

}  // namespace dicomlake::dicom
