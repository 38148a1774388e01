#include "dicom/frame_index.h"

#include <fmt/format.h>

namespace dicomlake::dicom {
namespace {

// The fragment each offset of an offset table points at. Offsets count from the first byte of
// the first fragment's item header; each fragment takes 8 header bytes and its value.
Result<std::vector<size_t>> FragmentsAtOffsets(const std::vector<uint64_t>& offsets,
                                               const std::vector<uint64_t>& lengths,
                                               const char* table) {
  std::vector<size_t> starts;
  uint64_t position = 0;
  size_t f = 0;
  for (uint64_t offset : offsets) {
    while (f < lengths.size() && position < offset) position += 8 + lengths[f++];
    if (position != offset || f >= lengths.size()) {
      return InvalidArgument(
          fmt::format("the {} offset {} of frame {} is not the start of a fragment", table, offset,
                      starts.size() + 1));
    }
    if (!starts.empty() && f == starts.back()) {
      return InvalidArgument(fmt::format("the {} gives frames {} and {} the same offset", table,
                                         starts.size(), starts.size() + 1));
    }
    starts.push_back(f);
  }
  return starts;
}

}  // namespace

std::string FrameStartMarker(const std::string& uid) {
  static const char* kJpeg[] = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
                                "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
                                "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"};
  static const char* kJpeg2000[] = {"1.2.840.10008.1.2.4.90",  "1.2.840.10008.1.2.4.91",
                                    "1.2.840.10008.1.2.4.92",  "1.2.840.10008.1.2.4.93",
                                    "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
                                    "1.2.840.10008.1.2.4.203"};
  for (const char* u : kJpeg)
    if (uid == u) return "\xFF\xD8";  // SOI
  for (const char* u : kJpeg2000)
    if (uid == u) return "\xFF\x4F";  // SOC
  return "";
}

Result<std::vector<size_t>> FrameStartFragments(const EncapsulatedLayout& layout,
                                                const FragmentHead& head) {
  const std::vector<uint64_t>& lengths = layout.fragment_lengths;
  if (lengths.empty()) return InvalidArgument("the encapsulated Pixel Data has no fragment");
  if (lengths.size() < layout.frames) {
    return InvalidArgument(fmt::format(
        "Number of Frames says {}, but the encapsulated Pixel Data holds {} fragment(s)",
        layout.frames, lengths.size()));
  }
  if (layout.extended_offsets.size() == layout.frames && layout.frames > 0)
    return FragmentsAtOffsets(layout.extended_offsets, lengths, "Extended Offset Table");
  if (layout.frames == 1) return std::vector<size_t>{0};
  if (layout.basic_offsets.size() == layout.frames)
    return FragmentsAtOffsets(layout.basic_offsets, lengths, "Basic Offset Table");
  std::vector<size_t> starts;
  if (lengths.size() == layout.frames) {
    for (size_t f = 0; f < lengths.size(); ++f) starts.push_back(f);
    return starts;
  }
  if (layout.frame_start_marker.empty()) {
    return InvalidArgument(fmt::format(
        "{} fragments for {} frames without an offset table: where frames start is unknown",
        lengths.size(), layout.frames));
  }
  for (size_t f = 0; f < lengths.size(); ++f) {
    if (head(f).compare(0, 2, layout.frame_start_marker) == 0) starts.push_back(f);
  }
  if (starts.size() != layout.frames || starts.front() != 0) {
    return InvalidArgument(fmt::format(
        "{} fragments for {} frames without an offset table, and {} of them open a frame",
        lengths.size(), layout.frames, starts.size()));
  }
  return starts;
}

Result<FrameIndex> EncapsulatedFrameIndex(const EncapsulatedLayout& layout,
                                          const std::vector<int64_t>& fragment_offsets,
                                          const FragmentHead& head) {
  DL_ASSIGN_OR_RETURN(std::vector<size_t> starts, FrameStartFragments(layout, head));
  FrameIndex index;
  for (size_t i = 0; i < starts.size(); ++i) {
    size_t end = i + 1 < starts.size() ? starts[i + 1] : layout.fragment_lengths.size();
    for (size_t f = starts[i]; f < end; ++f) {
      index.push_back({static_cast<uint32_t>(i + 1), fragment_offsets[f],
                       static_cast<int64_t>(layout.fragment_lengths[f])});
    }
  }
  return index;
}

Result<FrameIndex> NativeFrameIndex(int64_t value_offset, int64_t value_length, uint32_t frames,
                                    uint64_t frame_bytes) {
  if (frame_bytes == 0 || frames == 0) return InvalidArgument("frames of no bytes");
  // Checked as 128-bit arithmetic would: frames x frame_bytes may exceed 64 bits.
  if (frame_bytes > static_cast<uint64_t>(value_length) / frames) {
    return InvalidArgument(
        fmt::format("Pixel Data holds {} bytes, fewer than {} frame(s) of {} bytes", value_length,
                    frames, frame_bytes));
  }
  FrameIndex index;
  index.reserve(frames);
  for (uint32_t i = 0; i < frames; ++i) {
    index.push_back({i + 1, value_offset + static_cast<int64_t>(i * frame_bytes),
                     static_cast<int64_t>(frame_bytes)});
  }
  return index;
}

}  // namespace dicomlake::dicom
