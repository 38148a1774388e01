// Text drawn into 8-bit grey pixels with FreeType (Debian libfreetype-dev) and a DejaVu font
// (Debian fonts-dejavu-core): burned-in annotations for the de-identification test set
// (sample/deid_test_set.h), as ultrasound machines burn names and ids into their frames.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace dicomlake::sample {

// Where text was drawn, in pixels of the image (x to the right, y down).
struct TextExtent {
  int x = 0, y = 0, width = 0, height = 0;
};

inline constexpr const char* kDejaVuSans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// Draws `text` (UTF-8; characters the font lacks are skipped) with its top-left corner at (x, y),
// `pixel_size` pixels high, in grey `value`, into `pixels` (`width` x `height`, row by row),
// clipped to the image. Returns the box of the pixels drawn. kNotFound when the font is missing.
Result<TextExtent> DrawText(uint8_t* pixels, int width, int height, int x, int y,
                            const std::string& text, int pixel_size, uint8_t value,
                            const std::string& font_path = kDejaVuSans);

}  // namespace dicomlake::sample
