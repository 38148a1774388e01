#include "pixels/writers.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <png.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "pixels/pixels.h"

namespace dicomlake::pixels {
namespace {

template <typename T>
void Put(std::string* h, size_t offset, T value) {
  std::memcpy(h->data() + offset, &value, sizeof(T));
}

Status RenameInto(const std::string& partial, const std::string& path) {
  if (std::rename(partial.c_str(), path.c_str()) != 0)
    return ErrnoError(errno, "cannot rename " + partial + " to " + path);
  return Status::Ok();
}

// The quaternion of a proper rotation matrix (nifti1_io.c's nifti_mat44_to_quatern, for an
// orthonormal `r`): b, c, d with a >= 0.
void Quaternion(const double r[3][3], double* b, double* c, double* d) {
  double a = r[0][0] + r[1][1] + r[2][2] + 1;
  if (a > 0.5) {
    a = 0.5 * std::sqrt(a);
    *b = 0.25 * (r[2][1] - r[1][2]) / a;
    *c = 0.25 * (r[0][2] - r[2][0]) / a;
    *d = 0.25 * (r[1][0] - r[0][1]) / a;
    return;
  }
  double xd = 1 + r[0][0] - (r[1][1] + r[2][2]);
  double yd = 1 + r[1][1] - (r[0][0] + r[2][2]);
  double zd = 1 + r[2][2] - (r[0][0] + r[1][1]);
  if (xd > 1) {
    *b = 0.5 * std::sqrt(xd);
    *c = 0.25 * (r[0][1] + r[1][0]) / *b;
    *d = 0.25 * (r[0][2] + r[2][0]) / *b;
    a = 0.25 * (r[2][1] - r[1][2]) / *b;
  } else if (yd > 1) {
    *c = 0.5 * std::sqrt(yd);
    *b = 0.25 * (r[0][1] + r[1][0]) / *c;
    *d = 0.25 * (r[1][2] + r[2][1]) / *c;
    a = 0.25 * (r[0][2] - r[2][0]) / *c;
  } else {
    *d = 0.5 * std::sqrt(zd);
    *b = 0.25 * (r[0][2] + r[2][0]) / *d;
    *c = 0.25 * (r[1][2] + r[2][1]) / *d;
    a = 0.25 * (r[1][0] - r[0][1]) / *d;
  }
  if (a < 0) *b = -*b, *c = -*c, *d = -*d;
}

}  // namespace

int NiftiBytesPerVoxel(NiftiType type) {
  switch (type) {
    case NiftiType::kUint8:
    case NiftiType::kInt8:
      return 1;
    case NiftiType::kInt16:
    case NiftiType::kUint16:
      return 2;
    case NiftiType::kRgb24:
      return 3;
    default:
      return 4;
  }
}

void NiftiAffine(const Volume& geometry, uint32_t rows, double out[4][4]) {
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) out[r][c] = geometry.affine[r][c];
  // Rows counted from the bottom: j = rows - 1 - j'.
  for (int r = 0; r < 3; ++r) {
    out[r][3] += (rows - 1.0) * geometry.affine[r][1];
    out[r][1] = -geometry.affine[r][1];
  }
  // LPS to RAS: x and y change sign.
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 4; ++c) out[r][c] = -out[r][c] + 0.0;
}

std::string NiftiHeader(const NiftiVolume& header, const Volume& geometry) {
  std::string h(352, '\0');
  Put<int32_t>(&h, 0, 348);
  h[38] = 'r';
  const int16_t dim[8] = {3,
                          static_cast<int16_t>(header.columns),
                          static_cast<int16_t>(header.rows),
                          static_cast<int16_t>(header.slices),
                          1,
                          1,
                          1,
                          1};
  for (int i = 0; i < 8; ++i) Put<int16_t>(&h, 40 + 2 * i, dim[i]);
  Put<int16_t>(&h, 70, static_cast<int16_t>(header.type));
  Put<int16_t>(&h, 72, static_cast<int16_t>(8 * NiftiBytesPerVoxel(header.type)));
  double m[4][4];
  NiftiAffine(geometry, header.rows, m);
  double size[3];
  for (int c = 0; c < 3; ++c)
    size[c] = std::sqrt(m[0][c] * m[0][c] + m[1][c] * m[1][c] + m[2][c] * m[2][c]);
  // The rotation (columns normalised); a left-handed one gets qfac -1 and its third column
  // negated (NIfTI-1's qform rule).
  double r[3][3];
  for (int row = 0; row < 3; ++row)
    for (int c = 0; c < 3; ++c) r[row][c] = size[c] > 0 ? m[row][c] / size[c] : (row == c);
  double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
               r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
               r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
  double qfac = det < 0 ? -1 : 1;
  if (qfac < 0)
    for (auto& row : r) row[2] = -row[2];
  const float pixdim[8] = {static_cast<float>(qfac),
                           static_cast<float>(size[0]),
                           static_cast<float>(size[1]),
                           static_cast<float>(size[2]),
                           1,
                           1,
                           1,
                           1};
  for (int i = 0; i < 8; ++i) Put<float>(&h, 76 + 4 * i, pixdim[i]);
  Put<float>(&h, 108, 352);  // vox_offset
  Put<float>(&h, 112, static_cast<float>(header.scl_slope));
  Put<float>(&h, 116, static_cast<float>(header.scl_inter));
  h[123] = 2 | 8;  // xyzt_units: mm, seconds
  std::string description = header.description.substr(0, 79);
  std::memcpy(h.data() + 148, description.data(), description.size());
  Put<int16_t>(&h, 252, static_cast<int16_t>(geometry.sheared ? 0 : 1));  // qform_code: scanner
  Put<int16_t>(&h, 254, 1);                                               // sform_code: scanner
  if (!geometry.sheared) {
    double b, c, d;
    Quaternion(r, &b, &c, &d);
    Put<float>(&h, 256, static_cast<float>(b));
    Put<float>(&h, 260, static_cast<float>(c));
    Put<float>(&h, 264, static_cast<float>(d));
  }
  for (int i = 0; i < 3; ++i) Put<float>(&h, 268 + 4 * i, static_cast<float>(m[i][3]));
  for (int row = 0; row < 3; ++row)
    for (int c = 0; c < 4; ++c)
      Put<float>(&h, 280 + 16 * row + 4 * c, static_cast<float>(m[row][c]));
  std::memcpy(h.data() + 344, "n+1\0", 4);
  return h;  // bytes 348..351: the extension flag, 0 (none)
}

// Each slice is compressed whole by libdeflate (several times faster than zlib at the same
// level) into its own gzip member: a .nii.gz of several members is one valid gzip file (RFC
// 1952 2.2), which zlib's gzread, Python's gzip (nibabel, MONAI) and ITK read as one stream.
struct NiftiWriter::Impl {
  std::string path, partial;
  std::FILE* file = nullptr;
  libdeflate_compressor* compressor = nullptr;
  uint32_t rows = 0;
  size_t row_bytes = 0, slice_bytes = 0;
  uint32_t slices_left = 0;
  std::vector<uint8_t> flipped, compressed;

  ~Impl() {
    if (compressor != nullptr) libdeflate_free_compressor(compressor);
    if (file != nullptr) {
      std::fclose(file);
      std::remove(partial.c_str());
    }
  }

  // Writes `bytes` as one gzip member.
  Status WriteMember(const void* data, size_t bytes) {
    compressed.resize(libdeflate_gzip_compress_bound(compressor, bytes));
    size_t n =
        libdeflate_gzip_compress(compressor, data, bytes, compressed.data(), compressed.size());
    if (n == 0) return Internal("libdeflate could not compress a slice");
    if (std::fwrite(compressed.data(), 1, n, file) != n)
      return ErrnoError(errno, "cannot write " + partial);
    return Status::Ok();
  }
};

Result<std::unique_ptr<NiftiWriter>> NiftiWriter::Create(const std::string& path,
                                                         const NiftiVolume& header,
                                                         const Volume& geometry, int level) {
  std::unique_ptr<NiftiWriter> w(new NiftiWriter());
  w->impl_ = std::make_unique<Impl>();
  Impl& i = *w->impl_;
  i.path = path;
  i.partial = path + ".partial";
  i.rows = header.rows;
  i.row_bytes = size_t{header.columns} * NiftiBytesPerVoxel(header.type);
  i.slice_bytes = i.row_bytes * header.rows;
  i.slices_left = header.slices;
  i.compressor = libdeflate_alloc_compressor(level);
  if (i.compressor == nullptr) return OutOfMemory("libdeflate_alloc_compressor failed");
  i.file = std::fopen(i.partial.c_str(), "wb");
  if (i.file == nullptr) return ErrnoError(errno, "cannot write " + i.partial);
  std::string h = NiftiHeader(header, geometry);
  DL_RETURN_IF_ERROR(i.WriteMember(h.data(), h.size()));
  return w;
}

NiftiWriter::~NiftiWriter() = default;

Status NiftiWriter::AppendSlice(const void* voxels, size_t bytes) {
  Impl& i = *impl_;
  if (bytes != i.slice_bytes || i.slices_left == 0)
    return Internal(fmt::format("a slice of {} bytes where {} are due", bytes, i.slice_bytes));
  i.flipped.resize(bytes);
  const auto* in = static_cast<const uint8_t*>(voxels);
  for (uint32_t r = 0; r < i.rows; ++r)
    std::memcpy(i.flipped.data() + r * i.row_bytes, in + (i.rows - 1 - r) * i.row_bytes,
                i.row_bytes);
  DL_RETURN_IF_ERROR(i.WriteMember(i.flipped.data(), bytes));
  --i.slices_left;
  return Status::Ok();
}

Status NiftiWriter::Close() {
  Impl& i = *impl_;
  if (i.slices_left != 0) return Internal("the NIfTI volume is missing slices");
  int rc = std::fclose(i.file);
  i.file = nullptr;
  if (rc != 0) {
    std::remove(i.partial.c_str());
    return ErrnoError(errno, "cannot finish " + i.partial);
  }
  return RenameInto(i.partial, i.path);
}

Result<std::unique_ptr<NpyWriter>> NpyWriter::Create(const std::string& path,
                                                     const std::string& dtype,
                                                     const std::vector<uint64_t>& shape) {
  std::unique_ptr<NpyWriter> w(new NpyWriter());
  w->path_ = path;
  w->partial_ = path + ".partial";
  w->file_ = std::fopen(w->partial_.c_str(), "wb");
  if (w->file_ == nullptr) return ErrnoError(errno, "cannot write " + w->partial_);
  uint64_t itemsize = dtype.back() - '0';
  w->expected_ = itemsize;
  for (uint64_t d : shape) w->expected_ *= d;
  std::string header = NpyHeader(dtype, shape);
  if (std::fwrite(header.data(), 1, header.size(), w->file_) != header.size())
    return ErrnoError(errno, "cannot write " + w->partial_);
  return w;
}

NpyWriter::~NpyWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(partial_.c_str());
  }
}

Status NpyWriter::Append(const void* data, size_t bytes) {
  if (std::fwrite(data, 1, bytes, file_) != bytes)
    return ErrnoError(errno, "cannot write " + partial_);
  written_ += bytes;
  return Status::Ok();
}

Status NpyWriter::Close() {
  int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0 || written_ != expected_) {
    std::remove(partial_.c_str());
    return rc != 0 ? ErrnoError(errno, "cannot finish " + partial_)
                   : Internal(fmt::format("{} bytes written where the array holds {}", written_,
                                          expected_));
  }
  return RenameInto(partial_, path_);
}

Status WritePng(const std::string& path, uint32_t columns, uint32_t rows, int samples,
                const uint8_t* pixels) {
  std::string partial = path + ".partial";
  std::FILE* f = std::fopen(partial.c_str(), "wb");
  if (f == nullptr) return ErrnoError(errno, "cannot write " + partial);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    std::remove(partial.c_str());
    return IoError("cannot write the PNG " + partial);
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, columns, rows, 8, samples == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 6);
  png_write_info(png, info);
  size_t stride = size_t{columns} * static_cast<size_t>(samples);
  for (uint32_t r = 0; r < rows; ++r)
    png_write_row(png, const_cast<png_bytep>(pixels + r * stride));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(f) != 0) {
    std::remove(partial.c_str());
    return ErrnoError(errno, "cannot finish " + partial);
  }
  return RenameInto(partial, path);
}

}  // namespace dicomlake::pixels
