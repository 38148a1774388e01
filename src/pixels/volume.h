// Volumes from the frames of a series (issue 13): which frames form one regular stack, in which
// order, with which geometry. Frames are grouped by everything that must be equal within a volume
// (size, samples, orientation, pixel spacing, echo, temporal position, stack); each group is
// sorted along the normal of Image Orientation (Patient) and its spacing taken from the
// positions, not from Slice Thickness. What is not one regular stack is split or refused, with a
// reason, never stacked silently:
// - several orientations, sizes, echoes, time points or stacks: one volume each;
// - every position repeated the same number of times: one volume per repetition (in order of
//   Acquisition Number, then Instance Number), e.g. phases without a temporal attribute;
// - other duplicate positions: refused;
// - uneven spacing (a missing slice): split into runs of even spacing;
// - positions not along the normal (gantry tilt): kept, with a sheared affine, and noted;
// - no position or orientation: one volume per file (its frames, in order), geometry unknown.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pixels/pixels.h"

namespace dicomlake::pixels {

// One frame of one file of the series, as PlanVolumes sees it.
struct SliceRef {
  size_t file = 0;  // the caller's index of the file
  uint32_t frame = 0;
  uint32_t rows = 0, columns = 0;
  uint16_t samples = 1;
  int64_t instance_number = 0;
  FrameAttributes attributes;
};

struct Volume {
  std::vector<SliceRef> slices;  // in order: increasing position along the normal
  // Voxel (column i, row j, slice k, 1) to patient coordinates in mm, DICOM's LPS convention:
  // affine[r][c], rows x, y, z, 1.
  double affine[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
  double spacing[3] = {1, 1, 1};  // between columns, between rows, between slices (mm)
  bool has_geometry = false;
  bool sheared = false;  // gantry tilt: the slice axis is not the normal
  std::string label;     // what sets it apart from the series' other volumes, or empty
  std::vector<std::string> notes;
};

struct VolumePlan {
  std::vector<Volume> volumes;
  std::vector<std::string> problems;  // frames left out, and why
};

VolumePlan PlanVolumes(std::vector<SliceRef> slices);

}  // namespace dicomlake::pixels
