// JPEG 2000 and HTJ2K decoding of one frame's codestream (OpenJPEG, pixels/openjpeg_decoder.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "pixels/pixels.h"

namespace dicomlake::pixels {

// Decodes `codestream` (a raw J2K/HTJ2K codestream or a JP2 file) into *out: samples of
// `format.bits_allocated` bits, little-endian, interleaved by pixel. The codestream's size and
// components must agree with `format`; a corrupt or cut-off stream is kInvalidArgument with
// OpenJPEG's reason. A multi-component transform (YBR_RCT, YBR_ICT) is undone by OpenJPEG, so
// colour comes out as RGB.
Status DecodeJpeg2000(const std::string& codestream, const PixelFormat& format,
                      std::vector<uint8_t>* out);

}  // namespace dicomlake::pixels
