#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>

#include "deid/text_finder.h"

namespace dicomlake::deid {
namespace {

// Tesseract reads text of about 20 pixels or more best: small images are enlarged.
constexpr int kMinHeight = 600;

class TesseractTextFinder : public TextFinder {
 public:
  explicit TesseractTextFinder(int min_confidence) : min_confidence_(min_confidence) {}
  ~TesseractTextFinder() override { api_.End(); }

  Status Init() {
    // Tesseract's own messages (resolution guesses, ...) go nowhere.
    api_.SetVariable("debug_file", "/dev/null");
    if (api_.Init(nullptr, "eng", tesseract::OEM_LSTM_ONLY) != 0) {
      return NotFound(
          "Tesseract's English model is not installed (Debian tesseract-ocr-eng): burned-in text "
          "cannot be found");
    }
    api_.SetPageSegMode(tesseract::PSM_SPARSE_TEXT);
    api_.SetVariable("user_defined_dpi", "300");
    return Status::Ok();
  }

  Result<std::vector<TextBox>> Find(const GreyImage& image) override {
    if (image.width <= 0 || image.height <= 0 ||
        image.pixels.size() != static_cast<size_t>(image.width) * image.height) {
      return InvalidArgument("not an image");
    }
    int scale = std::max(1, std::min(4, kMinHeight / std::max(1, image.height)));
    GreyImage big = Enlarged(image, scale);
    std::vector<TextBox> boxes;
    for (bool invert : {false, true}) {
      if (invert) {
        for (auto& p : big.pixels) p = static_cast<uint8_t>(255 - p);
      }
      api_.SetImage(big.pixels.data(), big.width, big.height, 1, big.width);
      if (api_.Recognize(nullptr) != 0) return Internal("Tesseract failed to read the image");
      std::unique_ptr<tesseract::ResultIterator> it(api_.GetIterator());
      if (it == nullptr) continue;
      do {
        std::unique_ptr<char[]> text(it->GetUTF8Text(tesseract::RIL_WORD));
        if (text == nullptr) continue;
        int characters = 0;
        for (const char* c = text.get(); *c != '\0'; ++c)
          characters += std::isalnum(static_cast<unsigned char>(*c)) ? 1 : 0;
        int confidence = static_cast<int>(it->Confidence(tesseract::RIL_WORD));
        // Recall before precision: Tesseract gives words it reads well but cannot spell (a name
        // with a caret) a confidence of 0, so any word of two letters or digits counts; a single
        // character only when read with confidence.
        if (characters == 0 || (characters == 1 && confidence < min_confidence_)) continue;
        int x1, y1, x2, y2;
        if (!it->BoundingBox(tesseract::RIL_WORD, &x1, &y1, &x2, &y2)) continue;
        TextBox b{
            x1 / scale, y1 / scale, (x2 - x1 + scale - 1) / scale, (y2 - y1 + scale - 1) / scale,
            confidence, characters};
        Add(b, &boxes);
      } while (it->Next(tesseract::RIL_WORD));
    }
    api_.Clear();
    return boxes;
  }

 private:
  static GreyImage Enlarged(const GreyImage& in, int scale) {
    if (scale == 1) return in;
    GreyImage out{in.width * scale, in.height * scale, {}};
    out.pixels.resize(static_cast<size_t>(out.width) * out.height);
    for (int y = 0; y < out.height; ++y) {
      const uint8_t* row = &in.pixels[static_cast<size_t>(y / scale) * in.width];
      uint8_t* o = &out.pixels[static_cast<size_t>(y) * out.width];
      for (int x = 0; x < out.width; ++x) o[x] = row[x / scale];
    }
    return out;
  }

  // Adds `b` unless a box found by the other pass covers most of it (then the union is kept).
  static void Add(const TextBox& b, std::vector<TextBox>* boxes) {
    for (TextBox& o : *boxes) {
      int ix = std::max(0, std::min(o.x + o.width, b.x + b.width) - std::max(o.x, b.x));
      int iy = std::max(0, std::min(o.y + o.height, b.y + b.height) - std::max(o.y, b.y));
      if (ix * iy * 2 >= b.width * b.height) {
        int x2 = std::max(o.x + o.width, b.x + b.width),
            y2 = std::max(o.y + o.height, b.y + b.height);
        o.x = std::min(o.x, b.x);
        o.y = std::min(o.y, b.y);
        o.width = x2 - o.x;
        o.height = y2 - o.y;
        o.confidence = std::max(o.confidence, b.confidence);
        o.characters = std::max(o.characters, b.characters);
        return;
      }
    }
    boxes->push_back(b);
  }

  tesseract::TessBaseAPI api_;
  int min_confidence_;
};

}  // namespace

Result<std::unique_ptr<TextFinder>> MakeTextFinder(int min_confidence) {
  auto finder = std::make_unique<TesseractTextFinder>(min_confidence);
  DL_RETURN_IF_ERROR(finder->Init());
  return std::unique_ptr<TextFinder>(std::move(finder));
}

}  // namespace dicomlake::deid
