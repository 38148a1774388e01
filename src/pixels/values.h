// Values as a model expects them (issue 13), from a decoded Frame (stored values):
// - monochrome frames: the Modality LUT applied (PS3.3 C.11.1: the Modality LUT Sequence's table
//   when present, else Rescale Slope and Intercept), so CT values are Hounsfield units; a
//   MONOCHROME1 frame is inverted within its value range, so that a larger value is always
//   brighter (MONOCHROME2's sense);
// - colour frames: RGB, 8 bits per sample: YBR_FULL and YBR_FULL_422 converted (PS3.3
//   C.7.6.3.1.2), PALETTE COLOR looked up (C.7.6.3.1.5), 16-bit samples scaled to 8 bits.
// No VOI LUT (windowing) except for previews (WindowTo8Bit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "pixels/pixels.h"

namespace dicomlake::pixels {

bool IsColour(const PixelFormat& format);

// The Modality LUT of one frame: a linear rescale, or a table.
struct ModalityTransform {
  double slope = 1;
  double intercept = 0;
  const LookupTable* table = nullptr;  // wins when set
  bool invert = false;                 // MONOCHROME1
  double low = 0, high = 0;            // the range of the output for the Bits Stored range

  double operator()(int64_t stored) const;
  // Linear, not inverted, and slope and intercept are integers: outputs are integers.
  bool IntegerValued() const;
};
ModalityTransform TransformOf(const PixelFormat& format, const ImageAttributes& attributes,
                              uint32_t frame);

// The stored value of sample `i` of a frame of `format`.
int64_t StoredSample(const Frame& frame, const PixelFormat& format, size_t i);

// Modality values of a monochrome frame, one per pixel, row by row.
std::vector<double> ModalityValues(const Frame& frame, const PixelFormat& format,
                                   const ModalityTransform& transform);

// RGB, 8 bits per sample, interleaved, of a colour frame (RGB, YBR_FULL, YBR_FULL_422 as
// decoded, or PALETTE COLOR). An unknown colour model is an error naming it.
Result<std::vector<uint8_t>> Rgb8(const Frame& frame, const PixelFormat& format,
                                  const ImageAttributes& attributes);

// The NumPy dtype that holds every value of `transform` for `format` exactly: "<i2" or "<i4"
// for integer-valued transforms whose range fits, else "<f4".
std::string ModelDtype(const PixelFormat& format, const ModalityTransform& transform);
// `values` in that dtype, little-endian, appended to `out`.
void AppendAs(const std::string& dtype, const std::vector<double>& values, std::string* out);

// A window (PS3.3 C.11.2.1.2, linear) of modality values into 0..255: the frame's Window Center
// and Width when it has them, else its minimum to maximum.
std::vector<uint8_t> WindowTo8Bit(const std::vector<double>& values, const FrameAttributes& frame);

}  // namespace dicomlake::pixels
