#include "pixels/rendering.h"

#include <jpeglib.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>

#include "common/large_stack.h"
#include "pixels/pixels.h"
#include "pixels/values.h"

namespace dicomlake::pixels {
namespace {

void AppendToString(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), length);
}

void NoFlush(png_structp) {}

struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
};

void OnJpegError(j_common_ptr info) {
  std::longjmp(reinterpret_cast<JpegError*>(info->err)->jump, 1);
}

}  // namespace

Result<std::string> EncodePng(uint32_t columns, uint32_t rows, int samples, const uint8_t* pixels) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return Internal("cannot encode the PNG");
  }
  png_set_write_fn(png, &out, AppendToString, NoFlush);
  png_set_IHDR(png, info, columns, rows, 8, samples == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 3);
  png_write_info(png, info);
  const size_t stride = size_t{columns} * static_cast<size_t>(samples);
  for (uint32_t r = 0; r < rows; ++r)
    png_write_row(png, const_cast<png_bytep>(pixels + r * stride));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Result<std::string> EncodeJpeg(uint32_t columns, uint32_t rows, int samples, const uint8_t* pixels,
                               int quality) {
  jpeg_compress_struct info{};
  JpegError error{};
  info.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = OnJpegError;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;  // NOLINT(runtime/int): libjpeg's type
  if (setjmp(error.jump)) {
    jpeg_destroy_compress(&info);
    std::free(buffer);
    return Internal("cannot encode the JPEG");
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = columns;
  info.image_height = rows;
  info.input_components = samples;
  info.in_color_space = samples == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  const size_t stride = size_t{columns} * static_cast<size_t>(samples);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels + info.next_scanline * stride);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  jpeg_destroy_compress(&info);
  std::free(buffer);
  return out;
}

std::vector<uint8_t> FitWithin(std::vector<uint8_t> pixels, int samples, uint32_t* columns,
                               uint32_t* rows, uint32_t max_columns, uint32_t max_rows) {
  const uint32_t c = *columns, r = *rows;
  if (c == 0 || r == 0) return pixels;
  double scale = 1;
  if (max_columns > 0 && c > max_columns) scale = std::min(scale, double(max_columns) / c);
  if (max_rows > 0 && r > max_rows) scale = std::min(scale, double(max_rows) / r);
  if (scale >= 1) return pixels;
  const uint32_t nc = std::max<uint32_t>(1, static_cast<uint32_t>(c * scale));
  const uint32_t nr = std::max<uint32_t>(1, static_cast<uint32_t>(r * scale));
  std::vector<uint8_t> out(size_t{nc} * nr * static_cast<size_t>(samples));
  for (uint32_t y = 0; y < nr; ++y) {
    const uint32_t y0 = static_cast<uint32_t>(uint64_t{y} * r / nr);
    const uint32_t y1 = std::max(y0 + 1, static_cast<uint32_t>(uint64_t{y + 1} * r / nr));
    for (uint32_t x = 0; x < nc; ++x) {
      const uint32_t x0 = static_cast<uint32_t>(uint64_t{x} * c / nc);
      const uint32_t x1 = std::max(x0 + 1, static_cast<uint32_t>(uint64_t{x + 1} * c / nc));
      for (int s = 0; s < samples; ++s) {
        uint64_t sum = 0;
        for (uint32_t yy = y0; yy < y1; ++yy)
          for (uint32_t xx = x0; xx < x1; ++xx)
            sum += pixels[(size_t{yy} * c + xx) * static_cast<size_t>(samples) +
                          static_cast<size_t>(s)];
        out[(size_t{y} * nc + x) * static_cast<size_t>(samples) + static_cast<size_t>(s)] =
            static_cast<uint8_t>(sum / (uint64_t{y1 - y0} * (x1 - x0)));
      }
    }
  }
  *columns = nc;
  *rows = nr;
  return out;
}

Result<std::string> RenderFrame(const std::string& path, uint32_t index,
                                const RenderOptions& options) {
  Result<std::string> out = Internal("not rendered");
  // DCMTK's reader and decoders recurse: on a large stack, as everywhere else.
  Status ran = RunOnLargeStack([&] {
    out = [&]() -> Result<std::string> {
      DL_ASSIGN_OR_RETURN(std::unique_ptr<PixelReader> reader, PixelReader::Open(path));
      const PixelFormat& f = reader->format();
      if (index >= f.frames)
        return InvalidArgument("the instance has no frame " + std::to_string(index + 1) +
                               " (it has " + std::to_string(f.frames) + ")");
      DL_ASSIGN_OR_RETURN(Frame frame, reader->ReadFrame(index));
      ImageAttributes attributes = reader->attributes();
      std::vector<uint8_t> image;
      int samples = 1;
      if (IsColour(f)) {
        DL_ASSIGN_OR_RETURN(image, Rgb8(frame, f, attributes));
        samples = 3;
      } else {
        FrameAttributes window =
            index < attributes.frames.size() ? attributes.frames[index] : FrameAttributes{};
        if (options.has_window) {
          window.has_window = true;
          window.window_center = options.window_center;
          window.window_width = options.window_width;
        }
        auto t = TransformOf(f, attributes, index);
        const bool invert = t.invert;
        t.invert = false;  // the window is in the stored polarity; the image is inverted after
        image = WindowTo8Bit(ModalityValues(frame, f, t), window);
        if (invert)
          for (auto& b : image) b = static_cast<uint8_t>(255 - b);
      }
      uint32_t columns = f.columns, rows = f.rows;
      image = FitWithin(std::move(image), samples, &columns, &rows, options.max_columns,
                        options.max_rows);
      if (options.media_type == "image/png") return EncodePng(columns, rows, samples, image.data());
      return EncodeJpeg(columns, rows, samples, image.data(), options.quality);
    }();
  });
  if (!ran.ok()) return ran;
  return out;
}

}  // namespace dicomlake::pixels
