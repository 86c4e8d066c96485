// A built-in 5x7 bitmap font (plus a descender row, so 5x8 glyphs) for the labels of the study
// figures (faceptor explain): printable ASCII (32..126), one constant table of glyph rows, no font
// files, no vector rasteriser. Each character takes a 6x9 cell (one column and one row of
// spacing), each font pixel is drawn as a scale x scale block, so text is crisp at any integer
// size and exactly reproducible in tests.
//
//   draw_bitmap_text(image, 4, 4, "layer 11", {255, 255, 255}, 2, Rgb{0, 0, 0});
//   int w = bitmap_text_width("layer 11", 2);   // 8 characters * 6 * 2 = 96 pixels
//
// Characters outside 32..126 draw as '?'. Lines break at '\n'.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "faceptor/image.h"

namespace fc::viz {

inline constexpr int kGlyphWidth = 5, kGlyphHeight = 8;  // row 7 holds only descenders
inline constexpr int kCellWidth = 6, kCellHeight = 9;    // glyph plus one pixel of spacing

// The rows of `c`'s glyph, top first; bit 4 of each row is the leftmost pixel.
const std::array<uint8_t, kGlyphHeight>& glyph_rows(char c);
// Whether font pixel (column, row) of `c` is set (column 0..4, row 0..7).
bool glyph_pixel(char c, int column, int row);

// (x, y) is the top-left corner of the first cell. A background box with a one-font-pixel margin
// keeps text readable over a photo.
void draw_bitmap_text(Image& image, int x, int y, std::string_view text, Rgb color, int scale = 1,
                      std::optional<Rgb> background = std::nullopt);
// Same, rotated 90 degrees counter-clockwise (reads bottom to top), for vertical axis titles;
// (x, y) is the top-left corner of the rotated text's bounding box. One line only.
void draw_bitmap_text_vertical(Image& image, int x, int y, std::string_view text, Rgb color, int scale = 1);

// The bounding box of the text in pixels, without the background margin: the longest line's cells
// (the last cell's spacing column dropped) and the lines' cells (the last line's spacing dropped).
int bitmap_text_width(std::string_view text, int scale = 1);
int bitmap_text_height(std::string_view text, int scale = 1);

}  // namespace fc::viz
