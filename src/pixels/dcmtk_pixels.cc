// The DCMTK adapter of the pixels module: DCMTK's decoders for RLE (dcmdata), JPEG baseline,
// extended and lossless (dcmjpeg, IJG) and JPEG-LS (dcmjpls, CharLS). JPEG 2000 and HTJ2K, for
// which DCMTK has no decoder, go to OpenJPEG (openjpeg_decoder.h) frame by frame: this file finds
// each frame's fragments (Basic Offset Table, one fragment per frame, or codestream markers).
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfcache.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

#include "dicom/dcmtk_setup.h"
#include "dicom/dicom_reader.h"
#include "dicom/frame_index.h"
#include "pixels/openjpeg_decoder.h"
#include "pixels/pixels.h"

namespace dicomlake::pixels {
namespace {

// A frame larger than this is refused: no real image has one, and a lying header must not make
// the reader allocate gigabytes.
constexpr uint64_t kMaxFrameBytes = uint64_t{1} << 30;

uint16_t GetUint16(DcmItem& item, const DcmTagKey& key, uint16_t fallback) {
  Uint16 v = 0;
  return item.findAndGetUint16(key, v).good() ? v : fallback;
}

// Keeps the low `bits_stored` bits of each sample and sign-extends them when signed.
template <typename T>
void MaskSamples(std::vector<uint8_t>* bytes, uint16_t bits_stored, bool is_signed) {
  constexpr int kBits = static_cast<int>(sizeof(T) * 8);
  if (bits_stored >= kBits) return;
  const uint64_t mask = (uint64_t{1} << bits_stored) - 1;
  const uint64_t sign = uint64_t{1} << (bits_stored - 1);
  size_t n = bytes->size() / sizeof(T);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, bytes->data() + i * sizeof(T), sizeof(T));
    uint64_t u = static_cast<uint64_t>(v) & mask;
    if (is_signed && (u & sign) != 0) u |= ~mask;
    v = static_cast<T>(u);
    std::memcpy(bytes->data() + i * sizeof(T), &v, sizeof(T));
  }
}

// Big-endian samples of `bits_allocated` bits to little-endian, in place.
void SwapToLittleEndian(uint16_t bits_allocated, std::string* bytes) {
  const size_t width = bits_allocated / 8;
  if (width < 2) return;
  for (size_t i = 0; i + width <= bytes->size(); i += width)
    std::reverse(bytes->begin() + static_cast<std::ptrdiff_t>(i),
                 bytes->begin() + static_cast<std::ptrdiff_t>(i + width));
}

// Colour-by-plane samples (all of plane 0, then plane 1 ...) to colour-by-pixel.
std::vector<uint8_t> Interleave(const std::vector<uint8_t>& planar, uint64_t pixels,
                                uint16_t samples, size_t sample_bytes) {
  std::vector<uint8_t> out(planar.size());
  for (uint64_t p = 0; p < pixels; ++p) {
    for (uint16_t s = 0; s < samples; ++s) {
      std::memcpy(out.data() + (p * samples + s) * sample_bytes,
                  planar.data() + (s * pixels + p) * sample_bytes, sample_bytes);
    }
  }
  return out;
}

std::string GetString(DcmItem& item, const DcmTagKey& key) {
  OFString v;
  if (item.findAndGetOFStringArray(key, v).bad()) return "";
  std::string out = v.c_str();
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The `n` numbers of a DS attribute, when it has at least that many.
bool GetNumbers(DcmItem& item, const DcmTagKey& key, double* out, int n) {
  for (int i = 0; i < n; ++i) {
    Float64 v = 0;
    if (item.findAndGetFloat64(key, v, static_cast<unsigned long>(i)).bad()) return false;
    out[i] = v;
  }
  return true;
}

// The first item of sequence `key` in `item`, or null.
DcmItem* FirstItem(DcmItem* item, const DcmTagKey& key) {
  if (item == nullptr) return nullptr;
  DcmItem* found = nullptr;
  return item->findAndGetSequenceItem(key, found, 0).good() ? found : nullptr;
}

// A LUT (descriptor + data, PS3.3 C.11.1.1): the descriptor's first value 0 means 65536 entries;
// its second is signed when the input values are. 8-bit entries may be packed two per 16-bit
// word (OW) or one per word.
Result<LookupTable> ReadLut(DcmItem& item, const DcmTagKey& descriptor_key,
                            const DcmTagKey& data_key, bool signed_input) {
  LookupTable lut;
  Uint16 d[3] = {0, 0, 0};
  for (unsigned long i = 0; i < 3; ++i) {
    if (item.findAndGetUint16(descriptor_key, d[i], i).bad())
      return InvalidArgument("a LUT Descriptor without three values");
  }
  size_t entries = d[0] == 0 ? 65536 : d[0];
  lut.first_mapped = signed_input ? static_cast<int16_t>(d[1]) : d[1];
  lut.bits = d[2] <= 8 ? 8 : 16;
  DcmElement* element = nullptr;
  if (item.findAndGetElement(data_key, element).bad() || element == nullptr)
    return InvalidArgument("a LUT Descriptor without LUT Data");
  Uint16* words = nullptr;
  Uint8* bytes = nullptr;
  unsigned long count = element->getLength();
  if (element->getUint16Array(words).good() && words != nullptr) {
    count /= 2;
    if (lut.bits == 8 && count * 2 == entries) {  // packed: two entries per word
      for (unsigned long i = 0; i < count; ++i) {
        lut.data.push_back(words[i] & 0xFF);
        lut.data.push_back(words[i] >> 8);
      }
    } else {
      lut.data.assign(words, words + std::min<size_t>(count, entries));
    }
  } else if (element->getUint8Array(bytes).good() && bytes != nullptr) {
    lut.data.assign(bytes, bytes + std::min<size_t>(count, entries));
  }
  if (lut.data.size() != entries) {
    return InvalidArgument(
        fmt::format("a LUT declares {} entries and holds {}", entries, lut.data.size()));
  }
  return lut;
}

// Reads one frame's attributes from the functional group items (either may be null) and the
// top-level data set, in that order of precedence.
FrameAttributes ReadFrameAttributes(DcmItem* per_frame, DcmItem* shared, DcmItem& top) {
  FrameAttributes a;
  DcmItem* groups[2] = {per_frame, shared};
  // The first of the groups' `sequence` items that has `key`, else the top-level data set.
  auto numbers = [&](const DcmTagKey& sequence, const DcmTagKey& key, double* out, int n) {
    for (DcmItem* g : groups) {
      DcmItem* item = FirstItem(g, sequence);
      if (item != nullptr && GetNumbers(*item, key, out, n)) return true;
    }
    return GetNumbers(top, key, out, n);
  };
  auto text = [&](const DcmTagKey& sequence, const DcmTagKey& key) {
    for (DcmItem* g : groups) {
      DcmItem* item = FirstItem(g, sequence);
      std::string v = item != nullptr ? GetString(*item, key) : "";
      if (!v.empty()) return v;
    }
    return GetString(top, key);
  };
  a.has_position = numbers(DCM_PlanePositionSequence, DCM_ImagePositionPatient, a.position, 3);
  a.has_orientation =
      numbers(DCM_PlaneOrientationSequence, DCM_ImageOrientationPatient, a.orientation, 6);
  a.has_spacing = numbers(DCM_PixelMeasuresSequence, DCM_PixelSpacing, a.spacing, 2);
  numbers(DCM_PixelMeasuresSequence, DCM_SliceThickness, &a.slice_thickness, 1);
  if (!numbers(DCM_PixelValueTransformationSequence, DCM_RescaleSlope, &a.rescale_slope, 1) ||
      a.rescale_slope == 0)
    a.rescale_slope = 1;
  numbers(DCM_PixelValueTransformationSequence, DCM_RescaleIntercept, &a.rescale_intercept, 1);
  a.has_window = numbers(DCM_FrameVOILUTSequence, DCM_WindowCenter, &a.window_center, 1) &&
                 numbers(DCM_FrameVOILUTSequence, DCM_WindowWidth, &a.window_width, 1) &&
                 a.window_width > 0;
  a.echo = text(DCM_MREchoSequence, DCM_EffectiveEchoTime);
  if (a.echo.empty()) a.echo = GetString(top, DCM_EchoNumbers);
  a.temporal = text(DCM_FrameContentSequence, DCM_TemporalPositionIndex);
  if (a.temporal.empty()) a.temporal = GetString(top, DCM_TemporalPositionIdentifier);
  a.stack = text(DCM_FrameContentSequence, DCM_StackID);
  a.acquisition = GetString(top, DCM_AcquisitionNumber);
  return a;
}

// The reasons a file is not DICOM, in the DICOM reader's words (it decides by content).
Status CheckIsDicom(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return ErrnoError(errno, "cannot open the file");
  std::string head(132, '\0');
  head.resize(std::fread(head.data(), 1, head.size(), f));
  std::fclose(f);
  if (dicom::LooksLikeDicom(head)) return Status::Ok();
  return InvalidArgument(
      "not DICOM: no \"DICM\" prefix at byte 128 and no plausible group 0002 or 0008 element at "
      "the start");
}

class DcmtkPixelReader : public PixelReader {
 public:
  Status Load(const std::string& path) {
    dicom::RegisterDcmtkCodecs();
    DL_RETURN_IF_ERROR(CheckIsDicom(path));
    // Values larger than 4 KiB (the pixel data) stay in the file; frames are read from it.
    OFCondition cond =
        file_.loadFile(OFFilename(path.c_str()), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
    if (cond.bad()) return InvalidArgument(std::string("not readable as DICOM: ") + cond.text());
    return Init();
  }

  // A one-frame object in memory: the image pixel description of `format` and `bytes`, one
  // frame as the frame index gives it (native: its bytes; encapsulated: its fragments, joined).
  Status LoadFrame(const PixelFormat& format, std::string bytes) {
    dicom::RegisterDcmtkCodecs();
    DcmDataset& ds = *file_.getDataset();
    ds.putAndInsertUint16(DCM_Rows, static_cast<Uint16>(format.rows));
    ds.putAndInsertUint16(DCM_Columns, static_cast<Uint16>(format.columns));
    ds.putAndInsertUint16(DCM_SamplesPerPixel, format.samples_per_pixel);
    ds.putAndInsertUint16(DCM_BitsAllocated, format.bits_allocated);
    ds.putAndInsertUint16(DCM_BitsStored, format.bits_stored);
    ds.putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(format.bits_stored - 1));
    ds.putAndInsertUint16(DCM_PixelRepresentation, format.is_signed ? 1 : 0);
    ds.putAndInsertUint16(DCM_PlanarConfiguration, format.planar_configuration);
    ds.putAndInsertString(DCM_PhotometricInterpretation, format.photometric.c_str());
    std::string uid = format.transfer_syntax_uid;
    DcmXfer xfer(uid.c_str());
    if (bytes.size() % 2 != 0) bytes.push_back('\0');  // DICOM values have even lengths
    if (!xfer.isEncapsulated() && dicom::FrameStartMarker(uid) != "\xFF\x4F") {
      // Native: given to DCMTK as little endian words (this machine's order) whatever the file.
      if (xfer.isBigEndian()) SwapToLittleEndian(format.bits_allocated, &bytes);
      if (xfer.isBigEndian() || uid == "1.2.840.10008.1.2.1.99") uid = "1.2.840.10008.1.2.1";
      auto* pixels =
          new DcmPixelData(DcmTag(DCM_PixelData, format.bits_allocated > 8 ? EVR_OW : EVR_OB));
      OFCondition put = format.bits_allocated > 8
                            ? pixels->putUint16Array(reinterpret_cast<const Uint16*>(bytes.data()),
                                                     static_cast<unsigned long>(bytes.size() / 2))
                            : pixels->putUint8Array(reinterpret_cast<const Uint8*>(bytes.data()),
                                                    static_cast<unsigned long>(bytes.size()));
      if (put.bad() || ds.insert(pixels, true).bad()) return Internal("cannot hold the frame");
    } else {
      auto* sequence = new DcmPixelSequence(DCM_PixelSequenceTag);
      sequence->insert(new DcmPixelItem(DCM_PixelItemTag));  // an empty Basic Offset Table
      auto* fragment = new DcmPixelItem(DCM_PixelItemTag);
      fragment->putUint8Array(reinterpret_cast<const Uint8*>(bytes.data()),
                              static_cast<unsigned long>(bytes.size()));
      sequence->insert(fragment);
      // DCMTK 3.6.7 does not know HTJ2K: any JPEG 2000 key does, OpenJPEG decodes either.
      E_TransferSyntax key = xfer.getXfer() != EXS_Unknown ? xfer.getXfer() : EXS_JPEG2000;
      auto* pixels = new DcmPixelData(DCM_PixelData);
      pixels->putOriginalRepresentation(key, nullptr, sequence);
      if (ds.insert(pixels, true).bad()) return Internal("cannot hold the frame");
    }
    file_.getMetaInfo()->putAndInsertString(DCM_TransferSyntaxUID, uid.c_str());
    return Init();
  }

 private:
  // What Load and LoadFrame share once the object is read or built.
  Status Init() {
    DcmDataset& ds = *file_.getDataset();
    OFString ts;
    if (file_.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts).good()) {
      format_.transfer_syntax_uid = ts.c_str();
    } else {
      format_.transfer_syntax_uid = DcmXfer(ds.getOriginalXfer()).getXferID();
    }
    DcmElement* element = nullptr;
    if (ds.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) {
      return NotFound("no Pixel Data (7FE0,0010)");
    }
    pixel_data_ = static_cast<DcmPixelData*>(element);
    DL_RETURN_IF_ERROR(ReadFormat(ds));
    encapsulated_ = DcmXfer(format_.transfer_syntax_uid.c_str()).isEncapsulated();
    rle_ = format_.transfer_syntax_uid == "1.2.840.10008.1.2.5";
    const std::string& uid = format_.transfer_syntax_uid;
    jpeg2000_ = uid == "1.2.840.10008.1.2.4.90" || uid == "1.2.840.10008.1.2.4.91" ||
                uid == "1.2.840.10008.1.2.4.201" || uid == "1.2.840.10008.1.2.4.202" ||
                uid == "1.2.840.10008.1.2.4.203";
    // DCMTK 3.6.7 predates HTJ2K: it does not know those transfer syntaxes are encapsulated.
    encapsulated_ = encapsulated_ || jpeg2000_;
    big_endian_ = DcmXfer(format_.transfer_syntax_uid.c_str()).isBigEndian();
    // Uncompressed YBR_FULL_422 stores two luminance and one pair of chrominance samples per two
    // pixels (PS3.3 C.7.6.3.1.2): two thirds of the bytes of a full frame.
    subsampled_ = !encapsulated_ && format_.photometric == "YBR_FULL_422" &&
                  format_.samples_per_pixel == 3 && format_.bits_allocated == 8 &&
                  format_.columns % 2 == 0;
    if (jpeg2000_) DL_RETURN_IF_ERROR(CheckJpeg2000Header());
    DL_RETURN_IF_ERROR(CheckFrameCount());
    // Per-frame attributes last: the frame count they are read for is now known to be possible.
    return ReadAttributes(ds);
  }

 public:
  const PixelFormat& format() const override { return format_; }
  const ImageAttributes& attributes() const override { return attributes_; }

  Result<Frame> ReadFrame(uint32_t index) override {
    if (index >= format_.frames) {
      return InvalidArgument(
          fmt::format("frame {} does not exist (the file has {})", index, format_.frames));
    }
    // The decoder finds a frame's first fragment itself only when frames are read in order
    // (DCMTK: "may fail otherwise"), and never by an Extended Offset Table: it is told where the
    // frame starts (item numbers count the Basic Offset Table as 0) when the frames are located.
    if (index != next_frame_) start_fragment_ = 0;
    if (jpeg2000_) return ReadJpeg2000Frame(index);
    if (encapsulated_ && format_.frames > 1 && FramesLocated())
      start_fragment_ = static_cast<Uint32>(frame_starts_[index] + 1);
    uint64_t frame_bytes = StoredFrameBytes();
    Frame frame;
    frame.bytes.resize(frame_bytes + (frame_bytes % 2));  // DCMTK wants an even buffer
    OFString color_model;
    OFCondition cond =
        subsampled_
            // DCMTK sizes frames as if they were not subsampled: read the bytes themselves.
            ? pixel_data_->getPartialValue(frame.bytes.data(),
                                           static_cast<Uint32>(index * frame_bytes),
                                           static_cast<Uint32>(frame_bytes), &cache_)
            : pixel_data_->getUncompressedFrame(
                  file_.getDataset(), index, start_fragment_, frame.bytes.data(),
                  static_cast<Uint32>(frame.bytes.size()), color_model, &cache_);
    if (cond.bad()) {
      next_frame_ = 0;
      start_fragment_ = 0;
      return InvalidArgument(fmt::format("frame {} not decoded ({}): {}", index,
                                         DcmXfer(format_.transfer_syntax_uid.c_str()).getXferName(),
                                         cond.text()));
    }
    next_frame_ = index + 1;
    frame.bytes.resize(frame_bytes);
    frame.photometric = color_model.empty() ? format_.photometric : color_model.c_str();
    if (big_endian_) FixBigEndianOrder(&frame.bytes);
    if (subsampled_) {
      frame.bytes = Upsample422(frame.bytes);
      frame.photometric = "YBR_FULL";
    }
    // Native and RLE frames come out as the Planar Configuration says (DCMTK's RLE decoder lays
    // the segments out by it); the JPEG decoders by pixel (registered so).
    bool planar = (!encapsulated_ || rle_) && !subsampled_ && format_.planar_configuration == 1;
    if (format_.samples_per_pixel > 1 && planar) {
      frame.bytes = Interleave(frame.bytes, uint64_t{format_.rows} * format_.columns,
                               format_.samples_per_pixel, format_.bits_allocated / 8);
    }
    MaskFrame(&frame.bytes);
    return frame;
  }

 private:
  // Number of Frames must be possible given the Pixel Data: native data holds every frame's
  // bytes, encapsulated data at least one fragment per frame (PS3.5 A.4). Checked before
  // anything is done per frame, so a lying count (999999 frames in 8 KiB) is refused at once
  // instead of making the reader walk a million frames.
  Status CheckFrameCount() {
    if (!encapsulated_) {
      uint64_t need = StoredFrameBytes() * format_.frames;
      uint64_t have = pixel_data_->getLength();
      if (have < need) {
        return InvalidArgument(fmt::format(
            "Pixel Data holds {} bytes, but {} frame(s) of {}x{} x {} sample(s) of {} bits need {}",
            have, format_.frames, format_.rows, format_.columns, format_.samples_per_pixel,
            format_.bits_allocated, need));
      }
      return Status::Ok();
    }
    DcmPixelSequence* sequence = EncapsulatedSequence();
    if (sequence == nullptr) {
      return InvalidArgument("the Pixel Data is not encapsulated as its transfer syntax says");
    }
    // The first item is the Basic Offset Table, not a fragment.
    unsigned long fragments = sequence->card() > 0 ? sequence->card() - 1 : 0;
    if (fragments < format_.frames) {
      return InvalidArgument(
          fmt::format("Number of Frames says {}, but the encapsulated Pixel Data holds {} "
                      "fragment(s) (at least one per frame)",
                      format_.frames, fragments));
    }
    return Status::Ok();
  }

  // True when LoadFragments located every frame (tried once).
  bool FramesLocated() {
    if (!frames_located_) frames_located_ = LoadFragments().ok();
    return *frames_located_ && frame_starts_.size() == format_.frames;
  }

  // The encapsulated pixel sequence as read (by the transfer syntax DCMTK recognised the data
  // set in, which for HTJ2K is not the meta header's), or null.
  DcmPixelSequence* EncapsulatedSequence() {
    DcmPixelSequence* sequence = nullptr;
    E_TransferSyntax xfer = EXS_Unknown;
    const DcmRepresentationParameter* parameter = nullptr;
    pixel_data_->getOriginalRepresentationKey(xfer, parameter);
    if (pixel_data_->getEncapsulatedRepresentation(xfer, parameter, sequence).bad()) return nullptr;
    return sequence;
  }

  Result<Frame> ReadJpeg2000Frame(uint32_t index) {
    DL_ASSIGN_OR_RETURN(std::string codestream, FrameFragments(index));
    Frame frame;
    DL_RETURN_IF_ERROR(DecodeJpeg2000(codestream, format_, &frame.bytes));
    bool transformed = format_.photometric == "YBR_RCT" || format_.photometric == "YBR_ICT";
    frame.photometric = transformed ? "RGB" : format_.photometric;
    MaskFrame(&frame.bytes);
    return frame;
  }

  // The bytes of frame `index` of encapsulated pixel data, read from the file fragment by
  // fragment (the other frames' fragments are not read).
  Result<std::string> FrameFragments(uint32_t index) {
    DL_RETURN_IF_ERROR(LoadFragments());
    if (index >= frame_starts_.size()) {
      return InvalidArgument("the encapsulated Pixel Data holds " +
                             std::to_string(frame_starts_.size()) +
                             " frame(s), Number of Frames says " + std::to_string(format_.frames));
    }
    size_t end = index + 1 < frame_starts_.size() ? frame_starts_[index + 1] : fragments_.size();
    std::string out;
    for (size_t f = frame_starts_[index]; f < end; ++f) {
      DL_ASSIGN_OR_RETURN(std::string bytes,
                          FragmentBytes(fragments_[f], fragments_[f]->getLength()));
      out += bytes;
    }
    return out;
  }

  // The first `length` bytes of a fragment's value, from memory or the file.
  Result<std::string> FragmentBytes(DcmPixelItem* item, Uint32 length) {
    std::string bytes(length, '\0');
    if (length > 0 && item->getPartialValue(bytes.data(), 0, length, &cache_).bad()) {
      return InvalidArgument("a fragment of the Pixel Data is unreadable");
    }
    return bytes;
  }

  // Finds the fragments, once: the Basic Offset Table and where each frame starts.
  Status LoadFragments() {
    if (!fragments_.empty()) return Status::Ok();
    DcmPixelSequence* sequence = EncapsulatedSequence();
    if (sequence == nullptr) {
      return InvalidArgument("the Pixel Data is not encapsulated as its transfer syntax says");
    }
    dicom::EncapsulatedLayout layout;
    layout.frames = format_.frames;
    layout.frame_start_marker = dicom::FrameStartMarker(format_.transfer_syntax_uid);
    const Uint64* extended = nullptr;
    unsigned long extended_count = 0;
    if (file_.getDataset()
            ->findAndGetUint64Array(DCM_ExtendedOffsetTable, extended, &extended_count)
            .good() &&
        extended != nullptr) {
      layout.extended_offsets.assign(extended, extended + extended_count);
    }
    for (unsigned long k = 0; k < sequence->card(); ++k) {
      DcmPixelItem* item = nullptr;
      if (sequence->getItem(item, k).bad() || item == nullptr) {
        return InvalidArgument("fragment " + std::to_string(k) + " unreadable");
      }
      if (k > 0) {
        fragments_.push_back(item);
        layout.fragment_lengths.push_back(item->getLength());
        continue;
      }
      // The Basic Offset Table: 32-bit little-endian offsets, or empty.
      DL_ASSIGN_OR_RETURN(std::string table, FragmentBytes(item, item->getLength()));
      for (size_t i = 0; i + 3 < table.size(); i += 4) {
        uint32_t v = 0;
        for (int b = 3; b >= 0; --b) v = (v << 8) | static_cast<uint8_t>(table[i + b]);
        layout.basic_offsets.push_back(v);
      }
    }
    // Where each frame starts (PS3.5 A.4), as the frame index at ingest finds it.
    auto starts = dicom::FrameStartFragments(layout, [&](size_t f) {
      auto head = FragmentBytes(fragments_[f], std::min<Uint32>(2, fragments_[f]->getLength()));
      return head.ok() ? *head : std::string();
    });
    if (!starts.ok()) return starts.status();
    frame_starts_ = std::move(*starts);
    return Status::Ok();
  }

  // The sign of the first JPEG 2000 codestream's first component (its SIZ marker segment, ISO
  // 15444-1 A.5.1) wins over Pixel Representation when they differ: the encoder wrote the values
  // that way (pydicom and GDCM do the same). The format's notes say so.
  Status CheckJpeg2000Header() {
    DL_RETURN_IF_ERROR(LoadFragments());
    // The main header's SIZ segment is within its first bytes.
    DL_ASSIGN_OR_RETURN(
        std::string b,
        FragmentBytes(fragments_[0], std::min<Uint32>(512, fragments_[0]->getLength())));
    size_t siz = b.find("\xFF\x51");
    if (siz == std::string::npos || siz + 41 > b.size()) return Status::Ok();  // OpenJPEG will say
    auto ssiz = static_cast<uint8_t>(b[siz + 40]);
    bool is_signed = (ssiz & 0x80) != 0;
    auto precision = static_cast<uint16_t>((ssiz & 0x7F) + 1);
    if (is_signed != format_.is_signed) {
      format_.notes.push_back(std::string("Pixel Representation says ") +
                              (format_.is_signed ? "signed" : "unsigned") +
                              ", the JPEG 2000 codestream " + (is_signed ? "signed" : "unsigned") +
                              ": the codestream's is used");
      format_.is_signed = is_signed;
    }
    // A precision above Bits Stored is an encoder's habit (the container's width, e.g. 16 for
    // 12-bit CT): Bits Stored still says which bits are the value. One below it would leave
    // bits the codestream never had: the codestream's is used.
    if (precision < format_.bits_stored) {
      format_.notes.push_back("Bits Stored is " + std::to_string(format_.bits_stored) +
                              ", the JPEG 2000 codestream's precision " +
                              std::to_string(precision) + ": the codestream's is used");
      format_.bits_stored = precision;
    }
    return Status::Ok();
  }

  void MaskFrame(std::vector<uint8_t>* bytes) const {
    switch (format_.bits_allocated) {
      case 8:
        MaskSamples<uint8_t>(bytes, format_.bits_stored, format_.is_signed);
        break;
      case 16:
        MaskSamples<uint16_t>(bytes, format_.bits_stored, format_.is_signed);
        break;
      default:
        MaskSamples<uint32_t>(bytes, format_.bits_stored, format_.is_signed);
    }
  }

  uint64_t StoredFrameBytes() const {
    return subsampled_ ? uint64_t{format_.rows} * format_.columns * 2 : format_.FrameBytes();
  }

  // DCMTK hands Explicit VR Big Endian pixel data over swapped by the element's VR (16-bit words
  // for OW); samples of another width need that undone and their own order applied.
  void FixBigEndianOrder(std::vector<uint8_t>* bytes) const {
    bool ow = pixel_data_->getVR() == EVR_OW;
    if (format_.bits_allocated == 8 && ow) {
      for (size_t i = 0; i + 1 < bytes->size(); i += 2) std::swap((*bytes)[i], (*bytes)[i + 1]);
    } else if (format_.bits_allocated == 32) {
      for (size_t i = 0; i + 3 < bytes->size(); i += 4) {
        if (ow) {  // words already swapped: swap the two halves
          std::swap((*bytes)[i], (*bytes)[i + 2]);
          std::swap((*bytes)[i + 1], (*bytes)[i + 3]);
        } else {
          std::swap((*bytes)[i], (*bytes)[i + 3]);
          std::swap((*bytes)[i + 1], (*bytes)[i + 2]);
        }
      }
    }
  }

  // Y1 Y2 Cb Cr per pixel pair to (Y1 Cb Cr)(Y2 Cb Cr).
  std::vector<uint8_t> Upsample422(const std::vector<uint8_t>& in) const {
    std::vector<uint8_t> out(format_.FrameBytes());
    for (size_t pair = 0; pair * 4 + 3 < in.size(); ++pair) {
      const uint8_t* q = in.data() + pair * 4;
      uint8_t* o = out.data() + pair * 6;
      o[0] = q[0], o[1] = q[2], o[2] = q[3];
      o[3] = q[1], o[4] = q[2], o[5] = q[3];
    }
    return out;
  }

  Status ReadFormat(DcmItem& ds) {
    format_.rows = GetUint16(ds, DCM_Rows, 0);
    format_.columns = GetUint16(ds, DCM_Columns, 0);
    format_.samples_per_pixel = GetUint16(ds, DCM_SamplesPerPixel, 1);
    format_.bits_allocated = GetUint16(ds, DCM_BitsAllocated, 0);
    format_.bits_stored = GetUint16(ds, DCM_BitsStored, format_.bits_allocated);
    format_.is_signed = GetUint16(ds, DCM_PixelRepresentation, 0) == 1;
    format_.planar_configuration = GetUint16(ds, DCM_PlanarConfiguration, 0);
    OFString text;
    if (ds.findAndGetOFString(DCM_PhotometricInterpretation, text).good())
      format_.photometric = text.c_str();
    if (ds.findAndGetOFString(DCM_NumberOfFrames, text).good() && !text.empty()) {
      long frames = std::strtol(text.c_str(), nullptr, 10);
      if (frames < 1)
        return InvalidArgument("Number of Frames \"" + std::string(text.c_str()) +
                               "\" is not a positive integer");
      format_.frames = static_cast<uint32_t>(frames);
    }
    if (format_.rows == 0 || format_.columns == 0) {
      return InvalidArgument("Rows or Columns missing or 0");
    }
    if (format_.bits_allocated != 8 && format_.bits_allocated != 16 &&
        format_.bits_allocated != 32) {
      return InvalidArgument(
          fmt::format("Bits Allocated {} is not supported (8, 16 or 32)", format_.bits_allocated));
    }
    if (format_.bits_stored == 0 || format_.bits_stored > format_.bits_allocated) {
      return InvalidArgument(fmt::format("Bits Stored {} does not fit Bits Allocated {}",
                                         format_.bits_stored, format_.bits_allocated));
    }
    if (format_.samples_per_pixel != 1 && format_.samples_per_pixel != 3) {
      return InvalidArgument(
          fmt::format("Samples per Pixel {} is not supported (1 or 3)", format_.samples_per_pixel));
    }
    if (format_.FrameBytes() > kMaxFrameBytes) {
      return InvalidArgument(
          fmt::format("a frame of {} bytes is larger than the 1 GiB limit", format_.FrameBytes()));
    }
    return Status::Ok();
  }

  Status ReadAttributes(DcmDataset& ds) {
    ImageAttributes& a = attributes_;
    a.sop_instance_uid = GetString(ds, DCM_SOPInstanceUID);
    a.series_instance_uid = GetString(ds, DCM_SeriesInstanceUID);
    a.modality = GetString(ds, DCM_Modality);
    a.instance_number = std::strtoll(GetString(ds, DCM_InstanceNumber).c_str(), nullptr, 10);
    a.rescale_type = GetString(ds, DCM_RescaleType);
    if (DcmItem* lut = FirstItem(&ds, DCM_ModalityLUTSequence)) {
      auto table = ReadLut(*lut, DCM_LUTDescriptor, DCM_LUTData, format_.is_signed);
      if (!table.ok()) return InvalidArgument("Modality LUT Sequence: " + table.status().message());
      a.modality_lut = std::move(*table);
      if (a.rescale_type.empty()) a.rescale_type = GetString(*lut, DCM_ModalityLUTType);
    }
    if (format_.photometric == "PALETTE COLOR") {
      if (ds.tagExists(DCM_SegmentedRedPaletteColorLookupTableData))
        return InvalidArgument("segmented palette colour lookup tables are not supported");
      const DcmTagKey descriptors[3] = {DCM_RedPaletteColorLookupTableDescriptor,
                                        DCM_GreenPaletteColorLookupTableDescriptor,
                                        DCM_BluePaletteColorLookupTableDescriptor};
      const DcmTagKey data[3] = {DCM_RedPaletteColorLookupTableData,
                                 DCM_GreenPaletteColorLookupTableData,
                                 DCM_BluePaletteColorLookupTableData};
      for (int c = 0; c < 3; ++c) {
        auto table = ReadLut(ds, descriptors[c], data[c], format_.is_signed);
        if (!table.ok()) return InvalidArgument("palette colour: " + table.status().message());
        a.palette[c] = std::move(*table);
      }
    }
    DcmItem* shared = FirstItem(&ds, DCM_SharedFunctionalGroupsSequence);
    DcmSequenceOfItems* per_frame = nullptr;
    if (ds.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per_frame).bad())
      per_frame = nullptr;
    a.frames.reserve(format_.frames);
    // The items are walked in order (getItem(i) seeks from the first: quadratic in frames).
    DcmObject* item = nullptr;
    for (uint32_t i = 0; i < format_.frames; ++i) {
      if (per_frame != nullptr && (i == 0 || item != nullptr))
        item = per_frame->nextInContainer(item);
      a.frames.push_back(ReadFrameAttributes(static_cast<DcmItem*>(item), shared, ds));
    }
    return Status::Ok();
  }

  DcmFileFormat file_;
  ImageAttributes attributes_;
  DcmPixelData* pixel_data_ = nullptr;
  DcmFileCache cache_;
  PixelFormat format_;
  bool encapsulated_ = false;
  bool rle_ = false;
  bool jpeg2000_ = false;                 // JPEG 2000 or HTJ2K: decoded by OpenJPEG
  std::vector<DcmPixelItem*> fragments_;  // the fragments (values stay in the file)
  std::vector<size_t> frame_starts_;      // index of each frame's first fragment
  std::optional<bool> frames_located_;    // FramesLocated(), once known
  bool big_endian_ = false;
  bool subsampled_ = false;  // uncompressed YBR_FULL_422
  uint32_t next_frame_ = 0;
  Uint32 start_fragment_ = 0;
};

}  // namespace

Result<Frame> DecodeFrameBytes(PixelFormat* format, std::string bytes) {
  if (!dcmDataDict.isDictionaryLoaded()) {
    return Internal("the DICOM data dictionary is not loaded (DCMDICTPATH)");
  }
  DcmtkPixelReader reader;
  DL_RETURN_IF_ERROR(reader.LoadFrame(*format, std::move(bytes)));
  DL_ASSIGN_OR_RETURN(Frame frame, reader.ReadFrame(0));
  // Only the stream's corrections: the reader's own format describes the one-frame object.
  const PixelFormat& decoded = reader.format();
  format->is_signed = decoded.is_signed;
  format->bits_stored = decoded.bits_stored;
  for (const std::string& note : decoded.notes) {
    if (std::find(format->notes.begin(), format->notes.end(), note) == format->notes.end())
      format->notes.push_back(note);
  }
  return frame;
}

Result<std::unique_ptr<PixelReader>> PixelReader::Open(const std::string& path) {
  dicom::ConfigureDcmtk();
  if (!dcmDataDict.isDictionaryLoaded()) {
    return Internal("the DICOM data dictionary is not loaded (DCMDICTPATH)");
  }
  auto reader = std::make_unique<DcmtkPixelReader>();
  DL_RETURN_IF_ERROR(reader->Load(path));
  return std::unique_ptr<PixelReader>(std::move(reader));
}

}  // namespace dicomlake::pixels
