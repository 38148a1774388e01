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

std::string NpyHeader(const PixelFormat& format, uint32_t frames) {
  std::string shape = fmt::format("({}, {}, {}", frames, format.rows, format.columns);
  if (format.samples_per_pixel > 1) shape += fmt::format(", {}", format.samples_per_pixel);
  shape += ")";
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                 NumpyDtype(format), shape);
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
