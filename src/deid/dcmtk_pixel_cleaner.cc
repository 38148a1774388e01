#include "deid/dcmtk_pixel_cleaner.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpeg/djrplol.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/dcmjpls/djencode.h>
#include <dcmtk/dcmjpls/djrparam.h>
#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <string>

#include "dicom/dcmtk_setup.h"

namespace dicomlake::deid {
namespace {

std::string Str(DcmDataset& ds, const DcmTagKey& key) {
  OFString v;
  return ds.findAndGetOFString(key, v).good() ? std::string(v.c_str()) : std::string();
}

uint16_t U16(DcmDataset& ds, const DcmTagKey& key, uint16_t fallback) {
  Uint16 v = 0;
  return ds.findAndGetUint16(key, v).good() ? v : fallback;
}

struct Layout {
  int rows = 0, columns = 0, samples = 1, bits = 8, frames = 1, planar = 0;
  std::string photometric;
  size_t SampleBytes() const { return bits / 8; }
  size_t FrameBytes() const {
    return static_cast<size_t>(rows) * columns * samples * SampleBytes();
  }
};

// The value of sample `s` of pixel (x, y) in a frame, as an unsigned number.
uint32_t Sample(const Layout& l, const uint8_t* frame, int x, int y, int s) {
  size_t index = l.planar == 1 ? static_cast<size_t>(s) * l.rows * l.columns +
                                     static_cast<size_t>(y) * l.columns + x
                               : (static_cast<size_t>(y) * l.columns + x) * l.samples + s;
  if (l.bits == 8) return frame[index];
  return static_cast<uint32_t>(frame[2 * index]) |
         (static_cast<uint32_t>(frame[2 * index + 1]) << 8);
}

void SetSample(const Layout& l, uint8_t* frame, int x, int y, int s, uint32_t v) {
  size_t index = l.planar == 1 ? static_cast<size_t>(s) * l.rows * l.columns +
                                     static_cast<size_t>(y) * l.columns + x
                               : (static_cast<size_t>(y) * l.columns + x) * l.samples + s;
  if (l.bits == 8) {
    frame[index] = static_cast<uint8_t>(v);
  } else {
    frame[2 * index] = static_cast<uint8_t>(v & 0xFF);
    frame[2 * index + 1] = static_cast<uint8_t>(v >> 8);
  }
}

// The frame as 8-bit grey: luminance of RGB, Y of YBR, stored values of one sample stretched
// from their range in the frame to 0..255.
GreyImage Grey(const Layout& l, const uint8_t* frame) {
  GreyImage g{l.columns, l.rows, {}};
  g.pixels.resize(static_cast<size_t>(l.rows) * l.columns);
  std::vector<uint32_t> values(g.pixels.size());
  uint32_t lo = UINT32_MAX, hi = 0;
  const bool rgb = l.samples == 3 && l.photometric == "RGB";
  for (int y = 0; y < l.rows; ++y) {
    for (int x = 0; x < l.columns; ++x) {
      uint32_t v = rgb ? (299 * Sample(l, frame, x, y, 0) + 587 * Sample(l, frame, x, y, 1) +
                          114 * Sample(l, frame, x, y, 2)) /
                             1000
                       : Sample(l, frame, x, y, 0);
      values[static_cast<size_t>(y) * l.columns + x] = v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  for (size_t i = 0; i < values.size(); ++i) {
    g.pixels[i] = hi > lo ? static_cast<uint8_t>((values[i] - lo) * 255 / (hi - lo)) : 0;
  }
  return g;
}

bool LosslessEncodable(E_TransferSyntax x) {
  return x == EXS_RLELossless || x == EXS_JPEGLSLossless || x == EXS_JPEGProcess14SV1 ||
         x == EXS_JPEGProcess14;
}

}  // namespace

bool MayCarryBurnedInText(DcmDataset& ds, bool all) {
  if (!ds.tagExists(DCM_PixelData)) return false;
  if (all) return true;
  if (Str(ds, DCM_BurnedInAnnotation) == "YES") return true;
  if (Str(ds, DCM_Modality) == "US") return true;
  const std::string sop_class = Str(ds, DCM_SOPClassUID);
  return sop_class.rfind("1.2.840.10008.5.1.4.1.1.7", 0) == 0;  // Secondary Capture family
}

Status CleanBurnedInText(DcmDataset& ds, E_TransferSyntax original, TextFinder& finder,
                         std::vector<RedactedBox>* boxes, E_TransferSyntax* write_xfer) {
  dicom::RegisterDcmtkCodecs();
  *write_xfer = original;
  DcmXfer xfer(original);
  if (xfer.isEncapsulated() && ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr).bad()) {
    return Unsupported(
        fmt::format("burned-in text cannot be removed: its pixel data ({}) cannot be decoded here",
                    xfer.getXferName()));
  }
  Layout l;
  l.rows = U16(ds, DCM_Rows, 0);
  l.columns = U16(ds, DCM_Columns, 0);
  l.samples = U16(ds, DCM_SamplesPerPixel, 1);
  l.bits = U16(ds, DCM_BitsAllocated, 0);
  l.planar = U16(ds, DCM_PlanarConfiguration, 0);
  l.photometric = Str(ds, DCM_PhotometricInterpretation);
  std::string frames = Str(ds, DCM_NumberOfFrames);
  l.frames = frames.empty() ? 1 : std::max(1, std::atoi(frames.c_str()));
  if (l.rows == 0 || l.columns == 0 || (l.bits != 8 && l.bits != 16) ||
      (l.samples != 1 && l.samples != 3)) {
    return Unsupported(
        fmt::format("burned-in text cannot be removed: {} bits allocated, {} samples per pixel",
                    l.bits, l.samples));
  }
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) {
    return InvalidArgument("no Pixel Data");
  }
  auto* pixel_data = static_cast<DcmPixelData*>(element);
  Uint8* bytes = nullptr;
  if (pixel_data->getUint8Array(bytes).bad() || bytes == nullptr ||
      pixel_data->getLength() < l.FrameBytes() * static_cast<size_t>(l.frames)) {
    return InvalidArgument(
        "burned-in text cannot be removed: the Pixel Data is shorter than its frames");
  }
  const uint32_t black =
      l.photometric == "MONOCHROME1" ? (1u << U16(ds, DCM_BitsStored, l.bits)) - 1 : 0;
  const bool ybr = l.photometric.rfind("YBR", 0) == 0;
  bool changed = false;
  for (int f = 0; f < l.frames; ++f) {
    uint8_t* frame = bytes + l.FrameBytes() * static_cast<size_t>(f);
    DL_ASSIGN_OR_RETURN(std::vector<TextBox> found, finder.Find(Grey(l, frame)));
    for (const TextBox& b : found) {
      const int x0 = std::max(0, b.x - 2), y0 = std::max(0, b.y - 2);
      const int x1 = std::min(l.columns, b.x + b.width + 2),
                y1 = std::min(l.rows, b.y + b.height + 2);
      for (int y = y0; y < y1; ++y) {
        for (int x = x0; x < x1; ++x) {
          for (int s = 0; s < l.samples; ++s) {
            // YBR: Y black, Cb and Cr at their middle (no colour).
            uint32_t v = ybr && s > 0 ? (1u << (l.bits - 1)) : black;
            SetSample(l, frame, x, y, s, v);
          }
        }
      }
      boxes->push_back({f + 1, x0, y0, x1 - x0, y1 - y0, b.confidence, b.characters});
      changed = true;
    }
  }
  if (!changed) {
    // Nothing found: the original representation (still held) is written unchanged.
    return Status::Ok();
  }
  // The pixels were changed in place: no other representation may be written.
  pixel_data->removeAllButCurrentRepresentations();
  if (!xfer.isEncapsulated()) return Status::Ok();
  *write_xfer = EXS_LittleEndianExplicit;
  if (LosslessEncodable(original)) {
    DJ_RPLossless jpeg_lossless;
    DJLSRepresentationParameter jpeg_ls_lossless(0, OFTrue);
    const DcmRepresentationParameter* params =
        original == EXS_JPEGLSLossless
            ? static_cast<const DcmRepresentationParameter*>(&jpeg_ls_lossless)
        : original == EXS_RLELossless ? nullptr
                                      : &jpeg_lossless;
    if (ds.chooseRepresentation(original, params).good() && ds.canWriteXfer(original)) {
      *write_xfer = original;
    }
  }
  return Status::Ok();
}

}  // namespace dicomlake::deid
