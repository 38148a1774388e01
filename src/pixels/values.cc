#include "pixels/values.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace dicomlake::pixels {

bool IsColour(const PixelFormat& format) {
  return format.samples_per_pixel == 3 || format.photometric == "PALETTE COLOR";
}

double ModalityTransform::operator()(int64_t stored) const {
  double v = table != nullptr ? (*table)(stored) : slope * static_cast<double>(stored) + intercept;
  return invert ? low + high - v : v;
}

bool ModalityTransform::IntegerValued() const {
  if (table != nullptr) return true;
  return slope == std::floor(slope) && intercept == std::floor(intercept) &&
         low == std::floor(low) && high == std::floor(high);
}

ModalityTransform TransformOf(const PixelFormat& format, const ImageAttributes& attributes,
                              uint32_t frame) {
  ModalityTransform t;
  if (!attributes.modality_lut.empty()) {
    t.table = &attributes.modality_lut;
  } else if (frame < attributes.frames.size()) {
    t.slope = attributes.frames[frame].rescale_slope;
    t.intercept = attributes.frames[frame].rescale_intercept;
  }
  int64_t lo = format.is_signed ? -(int64_t{1} << (format.bits_stored - 1)) : 0;
  int64_t hi = format.is_signed ? (int64_t{1} << (format.bits_stored - 1)) - 1
                                : (int64_t{1} << format.bits_stored) - 1;
  if (t.table != nullptr) {
    auto [mn, mx] = std::minmax_element(t.table->data.begin(), t.table->data.end());
    t.low = *mn;
    t.high = *mx;
  } else {
    t.low = std::min(t(lo), t(hi));
    t.high = std::max(t(lo), t(hi));
  }
  t.invert = format.photometric == "MONOCHROME1";
  return t;
}

int64_t StoredSample(const Frame& frame, const PixelFormat& format, size_t i) {
  const uint8_t* p = frame.bytes.data();
  switch (format.bits_allocated) {
    case 8:
      return format.is_signed ? static_cast<int8_t>(p[i]) : p[i];
    case 16: {
      uint16_t u;
      std::memcpy(&u, p + 2 * i, 2);
      return format.is_signed ? static_cast<int16_t>(u) : u;
    }
    default: {
      uint32_t u;
      std::memcpy(&u, p + 4 * i, 4);
      return format.is_signed ? static_cast<int32_t>(u) : u;
    }
  }
}

std::vector<double> ModalityValues(const Frame& frame, const PixelFormat& format,
                                   const ModalityTransform& transform) {
  size_t n = static_cast<size_t>(format.rows) * format.columns;
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = transform(StoredSample(frame, format, i));
  return out;
}

namespace {

uint8_t Clamp8(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

// A palette entry as 8 bits.
uint8_t Entry8(const LookupTable& lut, int64_t index) {
  uint16_t v = lut(index);
  return lut.bits == 8 ? static_cast<uint8_t>(v) : static_cast<uint8_t>(v >> 8);
}

}  // namespace

Result<std::vector<uint8_t>> Rgb8(const Frame& frame, const PixelFormat& format,
                                  const ImageAttributes& attributes) {
  size_t n = static_cast<size_t>(format.rows) * format.columns;
  std::vector<uint8_t> out(n * 3);
  const std::string& pi = frame.photometric;
  if (pi == "PALETTE COLOR") {
    if (attributes.palette[0].empty()) return InvalidArgument("PALETTE COLOR without a palette");
    for (size_t i = 0; i < n; ++i) {
      int64_t v = StoredSample(frame, format, i);
      for (int c = 0; c < 3; ++c) out[3 * i + c] = Entry8(attributes.palette[c], v);
    }
    return out;
  }
  if (format.samples_per_pixel != 3) {
    return InvalidArgument("a colour model \"" + pi + "\" with " +
                           std::to_string(format.samples_per_pixel) + " sample(s) per pixel");
  }
  int shift = format.bits_stored > 8 ? format.bits_stored - 8 : 0;
  bool ybr = pi == "YBR_FULL" || pi == "YBR_FULL_422";
  if (!ybr && pi != "RGB") {
    return InvalidArgument("the colour model \"" + pi +
                           "\" is not supported (RGB, YBR_FULL, YBR_FULL_422, PALETTE COLOR)");
  }
  for (size_t i = 0; i < n; ++i) {
    double s[3];
    for (int c = 0; c < 3; ++c)
      s[c] = static_cast<double>(StoredSample(frame, format, 3 * i + c) >> shift);
    if (ybr) {  // PS3.3 C.7.6.3.1.2: full-range ITU-R BT.601
      double y = s[0], cb = s[1] - 128, cr = s[2] - 128;
      s[0] = y + 1.402 * cr;
      s[1] = y - 0.344136 * cb - 0.714136 * cr;
      s[2] = y + 1.772 * cb;
    }
    for (int c = 0; c < 3; ++c) out[3 * i + c] = Clamp8(s[c]);
  }
  return out;
}

std::string ModelDtype(const PixelFormat& format, const ModalityTransform& transform) {
  (void)format;
  if (!transform.IntegerValued()) return "<f4";
  if (transform.low >= std::numeric_limits<int16_t>::min() &&
      transform.high <= std::numeric_limits<int16_t>::max())
    return "<i2";
  if (transform.low >= std::numeric_limits<int32_t>::min() &&
      transform.high <= std::numeric_limits<int32_t>::max())
    return "<i4";
  return "<f4";
}

void AppendAs(const std::string& dtype, const std::vector<double>& values, std::string* out) {
  size_t at = out->size();
  if (dtype == "<i2") {
    out->resize(at + values.size() * 2);
    for (double v : values) {
      auto x = static_cast<int16_t>(v);
      std::memcpy(out->data() + at, &x, 2);
      at += 2;
    }
  } else if (dtype == "<i4") {
    out->resize(at + values.size() * 4);
    for (double v : values) {
      auto x = static_cast<int32_t>(v);
      std::memcpy(out->data() + at, &x, 4);
      at += 4;
    }
  } else {
    out->resize(at + values.size() * 4);
    for (double v : values) {
      auto x = static_cast<float>(v);
      std::memcpy(out->data() + at, &x, 4);
      at += 4;
    }
  }
}

std::vector<uint8_t> WindowTo8Bit(const std::vector<double>& values, const FrameAttributes& frame) {
  double lo, hi;
  if (frame.has_window) {
    lo = frame.window_center - 0.5 - (frame.window_width - 1) / 2;
    hi = frame.window_center - 0.5 + (frame.window_width - 1) / 2;
  } else if (values.empty()) {
    lo = 0, hi = 1;
  } else {
    auto [mn, mx] = std::minmax_element(values.begin(), values.end());
    lo = *mn, hi = *mx;
  }
  double scale = hi > lo ? 255.0 / (hi - lo) : 0;
  std::vector<uint8_t> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = Clamp8((values[i] - lo) * scale);
  return out;
}

}  // namespace dicomlake::pixels
