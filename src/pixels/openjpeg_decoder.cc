// JPEG 2000 (Part 1, lossless and lossy) and HTJ2K codestreams through OpenJPEG 2.5 (Debian
// libopenjp2-7): the pixels module's only OpenJPEG code.
#include "pixels/openjpeg_decoder.h"

#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <thread>

namespace dicomlake::pixels {
namespace {

// The codestream in memory, as an OpenJPEG stream reads it.
struct MemoryStream {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
};

OPJ_SIZE_T ReadBytes(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* m = static_cast<MemoryStream*>(user);
  size_t left = m->size - m->pos;
  if (left == 0) return static_cast<OPJ_SIZE_T>(-1);  // end of stream
  size_t take = std::min<size_t>(n, left);
  std::memcpy(buffer, m->data + m->pos, take);
  m->pos += take;
  return take;
}

OPJ_OFF_T SkipBytes(OPJ_OFF_T n, void* user) {
  auto* m = static_cast<MemoryStream*>(user);
  if (n < 0) {
    size_t back = std::min<size_t>(static_cast<size_t>(-n), m->pos);
    m->pos -= back;
    return -static_cast<OPJ_OFF_T>(back);
  }
  size_t step = std::min<size_t>(static_cast<size_t>(n), m->size - m->pos);
  m->pos += step;
  return static_cast<OPJ_OFF_T>(step);
}

OPJ_BOOL SeekTo(OPJ_OFF_T n, void* user) {
  auto* m = static_cast<MemoryStream*>(user);
  if (n < 0 || static_cast<size_t>(n) > m->size) return OPJ_FALSE;
  m->pos = static_cast<size_t>(n);
  return OPJ_TRUE;
}

void KeepMessage(const char* msg, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->empty()) {
    *out = msg;
    while (!out->empty() && (out->back() == '\n' || out->back() == ' ')) out->pop_back();
  }
}

void Quiet(const char*, void*) {}

struct CodecDeleter {
  void operator()(opj_codec_t* c) const { opj_destroy_codec(c); }
};
struct StreamDeleter {
  void operator()(opj_stream_t* s) const { opj_stream_destroy(s); }
};
struct ImageDeleter {
  void operator()(opj_image_t* i) const { opj_image_destroy(i); }
};

}  // namespace

Status DecodeJpeg2000(const std::string& codestream, const PixelFormat& format,
                      std::vector<uint8_t>* out) {
  // A JP2 file (a box structure) or a raw codestream (SOC marker FF 4F).
  static const uint8_t kJp2Signature[] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20};
  bool jp2 = codestream.size() >= 8 && std::memcmp(codestream.data(), kJp2Signature, 8) == 0;
  std::unique_ptr<opj_codec_t, CodecDeleter> codec(
      opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
  if (!codec) return Internal("OpenJPEG: no decoder");
  std::string error;
  opj_set_error_handler(codec.get(), KeepMessage, &error);
  opj_set_warning_handler(codec.get(), Quiet, nullptr);
  opj_set_info_handler(codec.get(), Quiet, nullptr);
  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  if (!opj_setup_decoder(codec.get(), &parameters)) return Internal("OpenJPEG: setup failed");
  // Code blocks decode in parallel within a frame (OpenJPEG's own thread pool).
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  opj_codec_set_threads(codec.get(), static_cast<int>(threads));

  MemoryStream memory{reinterpret_cast<const uint8_t*>(codestream.data()), codestream.size()};
  std::unique_ptr<opj_stream_t, StreamDeleter> stream(
      opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE));
  if (!stream) return Internal("OpenJPEG: no stream");
  opj_stream_set_user_data(stream.get(), &memory, nullptr);
  opj_stream_set_user_data_length(stream.get(), codestream.size());
  opj_stream_set_read_function(stream.get(), ReadBytes);
  opj_stream_set_skip_function(stream.get(), SkipBytes);
  opj_stream_set_seek_function(stream.get(), SeekTo);

  opj_image_t* raw = nullptr;
  bool ok = opj_read_header(stream.get(), codec.get(), &raw);
  std::unique_ptr<opj_image_t, ImageDeleter> image(raw);
  ok = ok && opj_decode(codec.get(), stream.get(), image.get()) &&
       opj_end_decompress(codec.get(), stream.get());
  if (!ok || !image) {
    return InvalidArgument("JPEG 2000 codestream not decoded: " +
                           (error.empty() ? std::string("corrupt or cut off") : error));
  }
  if (image->numcomps != format.samples_per_pixel) {
    return InvalidArgument("the JPEG 2000 codestream has " + std::to_string(image->numcomps) +
                           " components, Samples per Pixel says " +
                           std::to_string(format.samples_per_pixel));
  }
  const uint64_t pixels = uint64_t{format.rows} * format.columns;
  for (OPJ_UINT32 c = 0; c < image->numcomps; ++c) {
    const opj_image_comp_t& comp = image->comps[c];
    if (comp.w != format.columns || comp.h != format.rows || comp.data == nullptr) {
      return InvalidArgument("the JPEG 2000 image is " + std::to_string(comp.w) + "x" +
                             std::to_string(comp.h) + ", Columns x Rows say " +
                             std::to_string(format.columns) + "x" + std::to_string(format.rows));
    }
  }
  const size_t sample_bytes = format.bits_allocated / 8;
  out->assign(pixels * format.samples_per_pixel * sample_bytes, 0);
  for (uint64_t p = 0; p < pixels; ++p) {
    for (OPJ_UINT32 c = 0; c < image->numcomps; ++c) {
      auto v = static_cast<uint32_t>(image->comps[c].data[p]);  // two's complement kept
      uint8_t* dst = out->data() + (p * image->numcomps + c) * sample_bytes;
      for (size_t b = 0; b < sample_bytes; ++b) dst[b] = static_cast<uint8_t>(v >> (8 * b));
    }
  }
  return Status::Ok();
}

}  // namespace dicomlake::pixels
