// Finding burned-in text in an image (issue 14, Clean Pixel Data): Tesseract OCR (Debian
// libtesseract, English model tesseract-ocr-eng) in sparse-text mode, on an 8-bit grey image
// with a margin, enlarged when small, looked at three ways: as it is, inverted (light text on a
// dark ultrasound background, dark text on a light screen capture), and its brightest pixels
// alone (text drawn over a bright part of the image). The adapter is
// deid/tesseract_text_finder.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/status.h"

namespace dicomlake::deid {

// An 8-bit grey image, row by row.
struct GreyImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // width * height
};

// A box of text in image coordinates (pixels; x to the right, y down).
struct TextBox {
  int x = 0, y = 0, width = 0, height = 0;
  int confidence = 0;  // Tesseract's, 0..100
  int characters = 0;  // letters and digits read in it (the text itself is not kept: it is PHI)
};

class TextFinder {
 public:
  virtual ~TextFinder() = default;
  // The boxes of the words found (two letters or digits or more, or one read with at least
  // `min_confidence`), merged where the two passes found the same word. Not thread-safe: one finder
  // per thread.
  virtual Result<std::vector<TextBox>> Find(const GreyImage& image) = 0;
};

// A finder with the English model; kNotFound naming what is missing when Tesseract or its model
// is not installed.
Result<std::unique_ptr<TextFinder>> MakeTextFinder(int min_confidence = 60);

}  // namespace dicomlake::deid
