// The frame index from DCMTK's reading of a file: where the Pixel Data's value (native) or each
// fragment's value (encapsulated) lies in the file. DCMTK remembers the file offset of a value
// it left in the file (over the inline limit); the others follow from the item lengths, counted
// from such a value or back from the end of the file, and every position is checked against the
// header bytes in the file before it is believed.
#include "dicom/dcmtk_frame_index.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcistrmf.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

namespace dicomlake::dicom {
namespace {

constexpr const char* kDeflatedExplicitVrLittleEndian = "1.2.840.10008.1.2.1.99";

// A file opened for reads at offsets (unbuffered: a few small reads per file).
class FileBytes {
 public:
  explicit FileBytes(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    struct stat st {};
    if (fd_ >= 0 && ::fstat(fd_, &st) == 0) size_ = static_cast<int64_t>(st.st_size);
  }
  ~FileBytes() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  bool ok() const { return fd_ >= 0 && size_ >= 0; }
  int64_t size() const { return size_; }
  // Up to `n` bytes at `offset` (fewer at the end of the file).
  std::string Read(int64_t offset, size_t n) {
    std::string out;
    if (offset < 0 || offset >= size_) return out;
    out.resize(n);
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(fd_, out.data() + done, n - done, static_cast<off_t>(offset) + done);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      done += static_cast<size_t>(got);
    }
    out.resize(done);
    return out;
  }

 private:
  int fd_;
  int64_t size_ = -1;
};

uint32_t Le32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
}
uint32_t Be32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3]));
}

// Where DCMTK found a value it left in the file, or -1.
int64_t DeferredOffset(DcmElement& element) {
  const DcmInputStreamFactory* factory = element.getInputStream();
  if (factory == nullptr || factory->ident() != DFT_DcmInputFileStreamFactory) return -1;
  return static_cast<int64_t>(static_cast<const DcmInputFileStreamFactory*>(factory)->getOffset());
}

// True when the element header before `value_offset` is Pixel Data's with `length`: explicit VR
// (tag, VR, 2 reserved bytes, 32-bit length) or implicit (tag, length), little or big endian.
bool PixelDataHeaderBefore(FileBytes& file, int64_t value_offset, uint32_t length) {
  if (value_offset < 12) return false;
  std::string h = file.Read(value_offset - 12, 12);
  if (h.size() != 12) return false;
  const std::string tag_le("\xE0\x7F\x10\x00", 4), tag_be("\x7F\xE0\x00\x10", 4);
  if (h.compare(0, 4, tag_le) == 0 && Le32(h, 8) == length) return true;  // explicit LE
  if (h.compare(0, 4, tag_be) == 0 && Be32(h, 8) == length) return true;  // explicit BE
  return h.compare(4, 4, tag_le) == 0 && Le32(h, 8) == length;            // implicit LE
}

// True when an item header (FFFE,E000) with `length` precedes `value_offset`.
bool ItemHeaderBefore(FileBytes& file, int64_t value_offset, uint64_t length) {
  std::string h = file.Read(value_offset - 8, 8);
  return h.size() == 8 && h.compare(0, 4, std::string("\xFE\xFF\x00\xE0", 4)) == 0 &&
         Le32(h, 4) == length;
}

uint32_t NumberOfFrames(DcmDataset& ds, std::string* error) {
  OFString text;
  if (ds.findAndGetOFString(DCM_NumberOfFrames, text).bad() || text.empty()) return 1;
  long frames = std::strtol(text.c_str(), nullptr, 10);
  if (frames < 1 || frames > 0x7FFFFFFF) {
    *error = fmt::format("Number of Frames \"{}\" is not a positive integer", text.c_str());
    return 0;
  }
  return static_cast<uint32_t>(frames);
}

Result<FrameIndex> NativeIndex(FileBytes& file, DcmDataset& ds, DcmPixelData& pixels,
                               uint32_t frames) {
  Uint16 rows = 0, columns = 0, samples = 1, bits = 0;
  ds.findAndGetUint16(DCM_Rows, rows);
  ds.findAndGetUint16(DCM_Columns, columns);
  ds.findAndGetUint16(DCM_SamplesPerPixel, samples);
  ds.findAndGetUint16(DCM_BitsAllocated, bits);
  OFString photometric;
  ds.findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  uint64_t frame_bits = uint64_t{rows} * columns * samples * bits;
  // Uncompressed YBR_FULL_422: two thirds of the bytes (PS3.3 C.7.6.3.1.2).
  if (photometric == "YBR_FULL_422" && samples == 3) frame_bits = frame_bits / 3 * 2;
  if (frame_bits == 0) return InvalidArgument("Rows, Columns or Bits Allocated missing or 0");
  if (frame_bits % 8 != 0) {
    return InvalidArgument(
        fmt::format("frames of {} bits do not start on byte boundaries", frame_bits));
  }
  const uint32_t length = pixels.getLengthField();
  int64_t offset = DeferredOffset(pixels);
  // A small value DCMTK read into memory: Pixel Data is normally the file's last element.
  if (offset < 0) offset = file.size() - length;
  if (!PixelDataHeaderBefore(file, offset, length))
    return InvalidArgument("the Pixel Data element could not be located in the file");
  if (offset + int64_t{length} > file.size())
    return InvalidArgument("the Pixel Data is cut off by the end of the file");
  return NativeFrameIndex(offset, length, frames, frame_bits / 8);
}

Result<FrameIndex> EncapsulatedIndex(FileBytes& file, DcmDataset& ds, DcmPixelSequence& sequence,
                                     const std::string& transfer_syntax_uid, uint32_t frames) {
  const unsigned long items = sequence.card();
  if (items < 2) return InvalidArgument("the encapsulated Pixel Data has no fragment");
  std::vector<DcmPixelItem*> item(items);
  std::vector<uint64_t> lengths(items);
  for (unsigned long k = 0; k < items; ++k) {
    if (sequence.getItem(item[k], k).bad() || item[k] == nullptr)
      return InvalidArgument(fmt::format("item {} of the Pixel Data unreadable", k));
    lengths[k] = item[k]->getLengthField();
  }
  // The value offset of every item (the Basic Offset Table first), from one whose offset DCMTK
  // knows, else back from the sequence delimiter that ends the file.
  std::vector<int64_t> offsets(items, -1);
  unsigned long anchor = items;
  for (unsigned long k = 0; k < items && anchor == items; ++k) {
    offsets[k] = DeferredOffset(*item[k]);
    if (offsets[k] >= 0) anchor = k;
  }
  if (anchor == items) {
    anchor = items - 1;
    offsets[anchor] = file.size() - 8 - static_cast<int64_t>(lengths[anchor]);
  }
  for (unsigned long k = anchor; k + 1 < items; ++k)
    offsets[k + 1] = offsets[k] + static_cast<int64_t>(lengths[k]) + 8;
  for (unsigned long k = anchor; k > 0; --k)
    offsets[k - 1] = offsets[k] - 8 - static_cast<int64_t>(lengths[k - 1]);
  for (unsigned long k = 0; k < items; ++k) {
    if (!ItemHeaderBefore(file, offsets[k], lengths[k]))
      return InvalidArgument(fmt::format("item {} of the Pixel Data could not be located", k));
  }
  if (offsets.back() + static_cast<int64_t>(lengths.back()) > file.size())
    return InvalidArgument("the Pixel Data is cut off by the end of the file");

  EncapsulatedLayout layout;
  layout.frames = frames;
  layout.fragment_lengths.assign(lengths.begin() + 1, lengths.end());
  layout.frame_start_marker = FrameStartMarker(transfer_syntax_uid);
  if (lengths[0] > 0) {
    // The Basic Offset Table: 32-bit little-endian offsets.
    std::string table = file.Read(offsets[0], lengths[0]);
    for (size_t i = 0; i + 3 < table.size(); i += 4) layout.basic_offsets.push_back(Le32(table, i));
  }
  const Uint64* extended = nullptr;
  unsigned long extended_count = 0;
  if (ds.findAndGetUint64Array(DCM_ExtendedOffsetTable, extended, &extended_count).good() &&
      extended != nullptr) {
    layout.extended_offsets.assign(extended, extended + extended_count);
  }
  std::vector<int64_t> fragment_offsets(offsets.begin() + 1, offsets.end());
  return EncapsulatedFrameIndex(layout, fragment_offsets,
                                [&](size_t f) { return file.Read(fragment_offsets[f], 2); });
}

}  // namespace

std::optional<FrameIndex> BuildFrameIndex(const std::string& path, DcmDataset& ds,
                                          const std::string& transfer_syntax_uid,
                                          std::vector<std::string>* warnings) {
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element, OFFalse).bad() || element == nullptr)
    return std::nullopt;
  if (transfer_syntax_uid == kDeflatedExplicitVrLittleEndian) return std::nullopt;
  auto fail = [&](const std::string& why) -> std::optional<FrameIndex> {
    warnings->push_back("no frame index: " + why);
    return std::nullopt;
  };
  auto* pixels = static_cast<DcmPixelData*>(element);
  std::string error;
  uint32_t frames = NumberOfFrames(ds, &error);
  if (frames == 0) return fail(error);
  FileBytes file(path);
  if (!file.ok()) return fail("the file cannot be reopened");
  // Encapsulated when DCMTK read a pixel sequence (also for transfer syntaxes it does not know).
  E_TransferSyntax xfer = EXS_Unknown;
  const DcmRepresentationParameter* parameter = nullptr;
  pixels->getOriginalRepresentationKey(xfer, parameter);
  DcmPixelSequence* sequence = nullptr;
  bool encapsulated = pixels->getLengthField() == DCM_UndefinedLength &&
                      pixels->getEncapsulatedRepresentation(xfer, parameter, sequence).good() &&
                      sequence != nullptr;
  Result<FrameIndex> index =
      encapsulated ? EncapsulatedIndex(file, ds, *sequence, transfer_syntax_uid, frames)
                   : NativeIndex(file, ds, *pixels, frames);
  if (!index.ok()) return fail(index.status().message());
  return std::move(*index);
}

}  // namespace dicomlake::dicom
