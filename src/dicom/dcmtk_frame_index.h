// The frame index of a file DCMTK has read (dicom/frame_index.h): the DCMTK side, used by the
// reader (dcmtk_reader.cc). DCMTK types are only forward-declared here and appear in no other
// header.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dicom/frame_index.h"

class DcmDataset;

namespace dicomlake::dicom {

// The frame index of the top-level Pixel Data of `dataset`, read from `path` with values over
// the inline limit left in the file. std::nullopt without Pixel Data, for deflated data sets
// (whose bytes are not the file's) and when the frames cannot be located; in the last case a
// warning says why ("no frame index: ..."). Every range is checked against the file: the item
// or element header before it must be where the lengths put it.
std::optional<FrameIndex> BuildFrameIndex(const std::string& path, DcmDataset& dataset,
                                          const std::string& transfer_syntax_uid,
                                          std::vector<std::string>* warnings);

}  // namespace dicomlake::dicom
