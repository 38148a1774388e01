// Images for people rather than for models: a frame windowed to 8 bits (as `export --format png`
// does), scaled to fit, encoded as PNG or JPEG. What DICOMweb's /rendered and /thumbnail answer
// (PS3.18 §8.3.5, §9.5), and the dashboard's previews.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::pixels {

struct RenderOptions {
  std::string media_type = "image/jpeg";  // or "image/png"
  uint32_t max_columns = 0;               // fit within, keeping the aspect ratio; 0: full size
  uint32_t max_rows = 0;
  bool has_window = false;  // a window of the request; else the frame's first, else min..max
  double window_center = 0;
  double window_width = 0;
  int quality = 90;  // JPEG
};

// Renders frame `index` (0-based) of the DICOM file at `path`: grey images through the modality
// LUT and the window (MONOCHROME1 inverted after it), colour images as RGB. Errors name the
// reason (no pixel data, a frame the file lacks, an unsupported encoding).
Result<std::string> RenderFrame(const std::string& path, uint32_t index,
                                const RenderOptions& options);

// 8-bit grey (samples 1) or RGB (samples 3) pixels, rows top first, as a PNG or JPEG file's
// bytes.
Result<std::string> EncodePng(uint32_t columns, uint32_t rows, int samples, const uint8_t* pixels);
Result<std::string> EncodeJpeg(uint32_t columns, uint32_t rows, int samples, const uint8_t* pixels,
                               int quality);

// Scales an 8-bit image down (box filter) to fit within max_columns x max_rows; an image that
// fits is returned unchanged. `columns` and `rows` are updated.
std::vector<uint8_t> FitWithin(std::vector<uint8_t> pixels, int samples, uint32_t* columns,
                               uint32_t* rows, uint32_t max_columns, uint32_t max_rows);

// The DICOM file at `path` written again in `transfer_syntax_uid` (compressed pixel data
// decoded, for Explicit or Implicit VR Little Endian): WADO-RS retrieval in a transfer syntax
// other than the stored one. kUnsupported when DCMTK cannot make that transfer syntax from this
// file.
Result<std::string> TranscodeFile(const std::string& path, const std::string& transfer_syntax_uid);

}  // namespace dicomlake::pixels
