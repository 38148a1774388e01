// Pixels for AI (issue 13), first part: the decoded frames of one DICOM file. The only module
// that includes codec libraries (through its DCMTK adapter, pixels/dcmtk_pixels.cc).
//
// Values are the stored values (PS3.3 C.7.6.3.1): Bits Stored taken from each Bits Allocated
// sample, sign-extended when Pixel Representation is 1; samples of colour images interleaved by
// pixel (whatever the Planar Configuration); little-endian. No Modality LUT, no colour
// conversion beyond what a codec does itself (JPEG's YBR to RGB): `Frame::photometric` says what
// the values are. pixels/values.h turns them into the values a model expects; the attributes
// that needs (and volumes need: pixels/volume.h) come with each frame (FrameAttributes).
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

// A lookup table (PS3.3 C.11.1: Modality LUT; C.7.6.3.1.5: palette colour): `data[i]` is the
// output for input `first_mapped + i`; inputs below or above map to the first or last entry.
struct LookupTable {
  int32_t first_mapped = 0;
  uint16_t bits = 16;  // bits per entry (8 or 16)
  std::vector<uint16_t> data;
  bool empty() const { return data.empty(); }
  uint16_t operator()(int64_t input) const;
};

// What a frame's values mean and where it lies: from the frame's Per-Frame Functional Groups
// item, else the Shared Functional Groups item, else the top-level attributes (enhanced and
// classic objects alike).
struct FrameAttributes {
  bool has_position = false;  // Image Position (Patient), mm, LPS
  double position[3] = {0, 0, 0};
  bool has_orientation = false;  // Image Orientation (Patient): row then column direction
  double orientation[6] = {1, 0, 0, 0, 1, 0};
  bool has_spacing = false;  // Pixel Spacing: between rows, then between columns (mm)
  double spacing[2] = {1, 1};
  double slice_thickness = 0;
  // Modality LUT: Rescale Slope / Intercept, or a table (which then wins).
  double rescale_slope = 1;
  double rescale_intercept = 0;
  bool has_window = false;  // the first Window Center / Width
  double window_center = 0;
  double window_width = 0;
  // What tells frames of one series apart beyond their position: they belong to different
  // volumes when any of these differ.
  std::string echo;         // Echo Numbers, or Effective Echo Time (enhanced MR)
  std::string temporal;     // Temporal Position Identifier / Index
  std::string stack;        // Stack ID (enhanced)
  std::string acquisition;  // Acquisition Number
};

// Attributes of the whole file beside its PixelFormat.
struct ImageAttributes {
  std::string sop_instance_uid;
  std::string series_instance_uid;
  std::string modality;
  int64_t instance_number = 0;
  LookupTable modality_lut;             // Modality LUT Sequence, when present
  std::string rescale_type;             // e.g. HU
  LookupTable palette[3];               // PALETTE COLOR: red, green, blue
  std::vector<FrameAttributes> frames;  // one per frame
};

struct Frame {
  std::vector<uint8_t> bytes;  // FrameBytes() bytes, samples little-endian, interleaved
  std::string photometric;     // of the decoded values (RGB after a JPEG decoder's conversion)
};

// Reads the frames of one file. Errors (no pixel data, an unsupported transfer syntax or bit
// depth, a corrupt stream, fewer frames in the data than declared) name the reason; the path is
// not part of the message. A file without Pixel Data is kNotFound. Not thread-safe; one reader per
// thread. Call on a thread with a large stack (RunOnLargeStack), as for the DICOM reader.
class PixelReader {
 public:
  virtual ~PixelReader() = default;
  static Result<std::unique_ptr<PixelReader>> Open(const std::string& path);

  virtual const PixelFormat& format() const = 0;
  virtual const ImageAttributes& attributes() const = 0;
  // Decodes frame `index` (0-based) without decoding the others.
  virtual Result<Frame> ReadFrame(uint32_t index) = 0;
};

// Decodes one frame from its bytes alone, as the frame index locates them (dicom/frame_index.h)
// without the rest of the file: a native frame's bytes, or the fragments of an encapsulated
// frame joined in order. `format` is the instance's image pixel description
// (PixelFormatFromDicomJson gives it from the stored metadata); what the stream corrects in it
// (a JPEG 2000 codestream's sign or precision, as PixelReader does) is applied to it, with a
// note. The values are those PixelReader::ReadFrame gives for the same frame of the whole file.
Result<Frame> DecodeFrameBytes(PixelFormat* format, std::string bytes);

// The image pixel description from a data set's DICOM JSON (bronze metadata_string): Rows,
// Columns, Samples per Pixel, Bits Allocated / Stored, Pixel Representation, Photometric
// Interpretation, Planar Configuration, Number of Frames, and the transfer syntax (0002,0010).
// An error names what is missing or not supported.
Result<PixelFormat> PixelFormatFromDicomJson(const std::string& dicom_json);

// The NumPy dtype of the values ("|u1", "<u2", "<i2", "<u4", "<i4").
std::string NumpyDtype(const PixelFormat& format);

// The header of an .npy file (format 1.0) of `dtype` (e.g. "<f4") and `shape`.
std::string NpyHeader(const std::string& dtype, const std::vector<uint64_t>& shape);

// An .npy file holding `frames` of `format`: shape (frames, rows, columns) or
// (frames, rows, columns, samples).
std::string NpyHeader(const PixelFormat& format, uint32_t frames);

}  // namespace dicomlake::pixels
