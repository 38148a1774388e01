// Pixels for AI (issue 13), first part: the decoded frames of one DICOM file. The only module
// that includes codec libraries (through its DCMTK adapter, pixels/dcmtk_pixels.cc).
//
// Values are the stored values (PS3.3 C.7.6.3.1): Bits Stored taken from each Bits Allocated
// sample, sign-extended when Pixel Representation is 1; samples of colour images interleaved by
// pixel (whatever the Planar Configuration); little-endian. No Modality LUT, no colour
// conversion beyond what a codec does itself (JPEG's YBR to RGB): `Frame::photometric` says what
// the values are.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::pixels {

// The image pixel description of a file (PS3.3 C.7.6.3) and where its pixels stand.
struct PixelFormat {
  uint32_t rows = 0;
  uint32_t columns = 0;
  uint16_t samples_per_pixel = 1;
  uint16_t bits_allocated = 0;
  uint16_t bits_stored = 0;
  bool is_signed = false;   // Pixel Representation 1
  std::string photometric;  // Photometric Interpretation, as stored
  uint16_t planar_configuration = 0;
  uint32_t frames = 1;  // Number of Frames (1 when absent)
  std::string transfer_syntax_uid;
  // What was corrected, e.g. a Pixel Representation the JPEG 2000 codestream contradicts.
  std::vector<std::string> notes;

  // Bytes of one decoded frame (rows x columns x samples x bits_allocated / 8).
  uint64_t FrameBytes() const;
};

struct Frame {
  std::vector<uint8_t> bytes;  // FrameBytes() bytes, samples little-endian, interleaved
  std::string photometric;     // of the decoded values (RGB after a JPEG decoder's conversion)
};

// Reads the frames of one file. Errors (no pixel data, an unsupported transfer syntax or bit
// depth, a corrupt stream, fewer frames in the data than declared) name the reason; the path is
// not part of the message. Not thread-safe; one reader per thread. Call on a thread with a large
// stack (RunOnLargeStack), as for the DICOM reader.
class PixelReader {
 public:
  virtual ~PixelReader() = default;
  static Result<std::unique_ptr<PixelReader>> Open(const std::string& path);

  virtual const PixelFormat& format() const = 0;
  // Decodes frame `index` (0-based) without decoding the others.
  virtual Result<Frame> ReadFrame(uint32_t index) = 0;
};

// The NumPy dtype of the values ("|u1", "<u2", "<i2", "<u4", "<i4").
std::string NumpyDtype(const PixelFormat& format);

// An .npy file (format 1.0) holding `frames` of `format`: shape (frames, rows, columns) or
// (frames, rows, columns, samples).
std::string NpyHeader(const PixelFormat& format, uint32_t frames);

}  // namespace dicomlake::pixels
