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
constexpr int kBorder = 16;

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
    const GreyImage big = Enlarged(Bordered(image), scale);
    // Three looks: the image as it is, inverted, and its brightest pixels alone as dark marks
    // on white (burned-in text is drawn in the brightest grey; against a bright part of the
    // image the first two looks lose it in Tesseract's own thresholding).
    const uint8_t brightest = *std::max_element(big.pixels.begin(), big.pixels.end());
    std::vector<TextBox> boxes;
    for (int look = 0; look < 3; ++look) {
      GreyImage view = big;
      for (auto& p : view.pixels) {
        if (look == 1) p = static_cast<uint8_t>(255 - p);
        if (look == 2) p = p >= brightest * 85 / 100 ? 0 : 255;
      }
      api_.SetImage(view.pixels.data(), view.width, view.height, 1, view.width);
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
        // Back to the image's pixels (without the border), widened by a third of the text's
        // height and two pixels on every side: word boxes are tight, strokes reach past them.
        const int w = (x2 - x1 + scale - 1) / scale, h = (y2 - y1 + scale - 1) / scale;
        const int pad = 2 + h / 3;
        TextBox b{x1 / scale - kBorder - pad,
                  y1 / scale - kBorder - pad,
                  w + 2 * pad,
                  h + 2 * pad,
                  confidence,
                  characters};
        Add(b, &boxes);
      } while (it->Next(tesseract::RIL_WORD));
    }
    api_.Clear();
    return boxes;
  }

 private:
  // A margin of the image's darkest value around it: Tesseract misses text at the very edge.
  static GreyImage Bordered(const GreyImage& in) {
    const uint8_t fill = *std::min_element(in.pixels.begin(), in.pixels.end());
    GreyImage out{in.width + 2 * kBorder, in.height + 2 * kBorder, {}};
    out.pixels.assign(static_cast<size_t>(out.width) * out.height, fill);
    for (int y = 0; y < in.height; ++y) {
      std::copy_n(&in.pixels[static_cast<size_t>(y) * in.width], in.width,
                  &out.pixels[static_cast<size_t>(y + kBorder) * out.width + kBorder]);
    }
    return out;
  }

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
