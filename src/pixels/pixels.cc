#include "pixels/pixels.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

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

Result<PixelFormat> PixelFormatFromDicomJson(const std::string& dicom_json) {
  nlohmann::json ds = nlohmann::json::parse(dicom_json, nullptr, /*allow_exceptions=*/false);
  if (!ds.is_object()) return InvalidArgument("the stored metadata is not a DICOM JSON object");
  // The first value of attribute `tag` ("00280010"), as a number or text, when present.
  auto value = [&](const char* tag) -> const nlohmann::json* {
    auto it = ds.find(tag);
    if (it == ds.end() || !it->is_object()) return nullptr;
    auto v = it->find("Value");
    if (v == it->end() || !v->is_array() || v->empty()) return nullptr;
    return &(*v)[0];
  };
  auto number = [&](const char* tag, int64_t fallback) -> int64_t {
    const nlohmann::json* v = value(tag);
    if (v == nullptr) return fallback;
    if (v->is_number()) return static_cast<int64_t>(std::llround(v->get<double>()));
    if (v->is_string()) return std::strtoll(v->get<std::string>().c_str(), nullptr, 10);
    return fallback;
  };
  auto text = [&](const char* tag) -> std::string {
    const nlohmann::json* v = value(tag);
    return v != nullptr && v->is_string() ? v->get<std::string>() : "";
  };
  PixelFormat f;
  int64_t rows = number("00280010", 0), columns = number("00280011", 0);
  int64_t samples = number("00280002", 1), allocated = number("00280100", 0);
  int64_t stored = number("00280101", allocated), frames = number("00280008", 1);
  if (rows <= 0 || rows > 65535 || columns <= 0 || columns > 65535)
    return InvalidArgument("Rows or Columns missing or 0");
  if (allocated != 8 && allocated != 16 && allocated != 32)
    return InvalidArgument(
        fmt::format("Bits Allocated {} is not supported (8, 16 or 32)", allocated));
  if (stored <= 0 || stored > allocated)
    return InvalidArgument(
        fmt::format("Bits Stored {} does not fit Bits Allocated {}", stored, allocated));
  if (samples != 1 && samples != 3)
    return InvalidArgument(fmt::format("Samples per Pixel {} is not supported (1 or 3)", samples));
  if (frames < 1 || frames > 0x7FFFFFFF)
    return InvalidArgument(fmt::format("Number of Frames {} is not a positive integer", frames));
  f.rows = static_cast<uint32_t>(rows);
  f.columns = static_cast<uint32_t>(columns);
  f.samples_per_pixel = static_cast<uint16_t>(samples);
  f.bits_allocated = static_cast<uint16_t>(allocated);
  f.bits_stored = static_cast<uint16_t>(stored);
  f.is_signed = number("00280103", 0) == 1;
  f.photometric = text("00280004");
  f.planar_configuration = static_cast<uint16_t>(number("00280006", 0));
  f.frames = static_cast<uint32_t>(frames);
  f.transfer_syntax_uid = text("00020010");
  if (f.transfer_syntax_uid.empty())
    return InvalidArgument("the stored metadata has no Transfer Syntax UID (0002,0010)");
  return f;
}

}  // namespace dicomlake::pixels
