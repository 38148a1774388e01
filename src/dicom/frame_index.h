// Where each frame of a file's Pixel Data lies (issue 13, the frame index): so one frame can be
// read and decoded without reading or parsing the rest of the file. Built by the DICOM reader at
// ingest (DicomFile::frame_index), stored in bronze ImagingDicom.frameIndex, read by
// `dicomlake frames` and the DICOMweb frame retrieval.
//
// This file is the encoding logic of PS3.5 A.4 (encapsulated frames) and 8.1.1 (native frames)
// on plain numbers, without DCMTK; the reader's DCMTK adapter gathers the numbers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::dicom {

// One contiguous byte range of a frame in the file (offsets from the first byte of the file
// whose hash is the row's contentHash): a native frame's bytes, or the value of one fragment of
// an encapsulated frame (item header excluded). Frames are numbered from 1, as in DICOM and
// WADO-RS; a frame of several fragments has several ranges, in order.
struct FrameRange {
  uint32_t frame_number = 1;
  int64_t offset = 0;
  int64_t length = 0;
  friend bool operator==(const FrameRange&, const FrameRange&) = default;
};
using FrameIndex = std::vector<FrameRange>;

// How the fragments of encapsulated Pixel Data are described.
struct EncapsulatedLayout {
  uint32_t frames = 1;                     // Number of Frames
  std::vector<uint64_t> fragment_lengths;  // every fragment after the Basic Offset Table
  std::vector<uint64_t> basic_offsets;     // the Basic Offset Table (empty when empty)
  std::vector<uint64_t> extended_offsets;  // Extended Offset Table (7FE0,0001), when present
  // The two bytes that open a frame of this transfer syntax (FF D8 for JPEG and JPEG-LS, FF 4F
  // for JPEG 2000 and HTJ2K), "" when unknown: used only when no table says where frames start.
  std::string frame_start_marker;
};

// The first bytes of fragment `k` (at least two when it has them).
using FragmentHead = std::function<std::string(size_t k)>;

// The index of the first fragment of each frame (PS3.5 A.4): by the Extended Offset Table when
// it has one offset per frame, else the Basic Offset Table when it has one per frame, else every
// fragment for a single frame, else one fragment per frame when the counts agree, else each
// fragment that opens with the transfer syntax's start marker. Errors say why frames cannot be
// told apart (an offset that is not a fragment boundary, fewer fragments than frames, ...).
Result<std::vector<size_t>> FrameStartFragments(const EncapsulatedLayout& layout,
                                                const FragmentHead& head);

// The frame index of encapsulated Pixel Data whose fragment `k` has its value at
// `fragment_offsets[k]`.
Result<FrameIndex> EncapsulatedFrameIndex(const EncapsulatedLayout& layout,
                                          const std::vector<int64_t>& fragment_offsets,
                                          const FragmentHead& head);

// The frame index of native Pixel Data whose value starts at `value_offset` and holds
// `value_length` bytes: `frames` ranges of `frame_bytes` each. An error when they do not fit.
Result<FrameIndex> NativeFrameIndex(int64_t value_offset, int64_t value_length, uint32_t frames,
                                    uint64_t frame_bytes);

// The two-byte marker that opens each frame of `transfer_syntax_uid` ("" when none is known).
std::string FrameStartMarker(const std::string& transfer_syntax_uid);

}  // namespace dicomlake::dicom
