#include "sample/text_render.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <climits>
#include <mutex>

namespace dicomlake::sample {
namespace {

// The code points of a UTF-8 string (malformed bytes skipped).
std::u32string Decode(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) {
      ++i;
      continue;
    }
    char32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

}  // namespace

Result<TextExtent> DrawText(uint8_t* pixels, int width, int height, int x, int y,
                            const std::string& text, int pixel_size, uint8_t value,
                            const std::string& font_path) {
  // FreeType's library and faces are not thread-safe: one drawing at a time.
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  FT_Library library = nullptr;
  if (FT_Init_FreeType(&library) != 0) return Internal("FreeType cannot start");
  FT_Face face = nullptr;
  if (FT_New_Face(library, font_path.c_str(), 0, &face) != 0) {
    FT_Done_FreeType(library);
    return NotFound("the font " + font_path + " is missing (Debian fonts-dejavu-core)");
  }
  FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(pixel_size));
  const int baseline = y + static_cast<int>(face->size->metrics.ascender >> 6);
  int pen = x;
  int x0 = INT_MAX, y0 = INT_MAX, x1 = INT_MIN, y1 = INT_MIN;
  for (char32_t cp : Decode(text)) {
    if (FT_Load_Char(face, cp, FT_LOAD_RENDER) != 0) continue;
    const FT_GlyphSlot g = face->glyph;
    const int left = pen + g->bitmap_left, top = baseline - g->bitmap_top;
    for (unsigned r = 0; r < g->bitmap.rows; ++r) {
      for (unsigned c = 0; c < g->bitmap.width; ++c) {
        const uint8_t coverage = g->bitmap.buffer[r * static_cast<unsigned>(g->bitmap.pitch) + c];
        const int px = left + static_cast<int>(c), py = top + static_cast<int>(r);
        if (coverage < 64 || px < 0 || py < 0 || px >= width || py >= height) continue;
        pixels[static_cast<size_t>(py) * width + px] = value;
        x0 = std::min(x0, px);
        y0 = std::min(y0, py);
        x1 = std::max(x1, px);
        y1 = std::max(y1, py);
      }
    }
    pen += static_cast<int>(g->advance.x >> 6);
  }
  FT_Done_Face(face);
  FT_Done_FreeType(library);
  if (x0 > x1) return TextExtent{x, y, 0, 0};
  return TextExtent{x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

}  // namespace dicomlake::sample
