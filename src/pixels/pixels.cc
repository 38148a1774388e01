#include "pixels/pixels.h"

#include <fmt/format.h>

namespace dicomlake::pixels {

uint64_t PixelFormat::FrameBytes() const {
  return uint64_t{rows} * columns * samples_per_pixel * (bits_allocated / 8);
}

std::string NumpyDtype(const PixelFormat& format) {
  switch (format.bits_allocated) {
    case 8:
      return format.is_signed ? "|i1" : "|u1";
    case 16:
      return format.is_signed ? "<i2" : "<u2";
    default:
      return format.is_signed ? "<i4" : "<u4";
  }
}

uint16_t LookupTable::operator()(int64_t input) const {
  int64_t i = input - first_mapped;
  if (i <= 0) return data.front();
  if (i >= static_cast<int64_t>(data.size())) return data.back();
  return data[static_cast<size_t>(i)];
}

std::string NpyHeader(const PixelFormat& format, uint32_t frames) {
  std::vector<uint64_t> shape = {frames, format.rows, format.columns};
  if (format.samples_per_pixel > 1) shape.push_back(format.samples_per_pixel);
  return NpyHeader(NumpyDtype(format), shape);
}

std::string NpyHeader(const std::string& dtype, const std::vector<uint64_t>& shape) {
  std::string dims;
  for (uint64_t d : shape) dims += fmt::format("{}, ", d);
  if (shape.size() > 1) dims.resize(dims.size() - 2);  // (n,) for one dimension
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}",
                                 dtype, dims.empty() ? "" : dims);
  // Magic, version 1.0, header length; the header padded with spaces to a multiple of 64 bytes
  // and ended by a newline (the NPY format's rule).
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(dict.size() & 0xFF));
  out.push_back(static_cast<char>(dict.size() >> 8));
  return out + dict;
}

}  // namespace dicomlake::pixels
