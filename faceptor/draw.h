// Drawing on 8-bit RGB images for result overlays and labelled PNG panels: points, lines,
// label maps blended with a palette, heat maps in a viridis-like colour map, and ASCII text.
//
//   Image panel = face;
//   blend_label_map(panel, labels, celebamask_palette(), 0.5f);     // label 0 (background) kept
//   for (Point2 p : landmarks) draw_filled_circle(panel, p, 2.0, {255, 255, 0});
//   draw_text(panel, 4, 4, "parsing (CelebAMask-HQ)", {255, 255, 255}, 2, Rgb{0, 0, 0});
//   save_png("out/parsing.png", panel);
//
// Pixel (x, y) is covered by a shape when its centre (x, y) lies inside it (see warp.h for the
// coordinate convention), so shapes are hard-edged and exactly reproducible; everything clips
// to the image.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "faceptor/image.h"
#include "faceptor/warp.h"

namespace fc {

// Pixels whose centre is within `radius` of `center`; opacity blends over what is there.
void draw_filled_circle(Image& image, Point2 center, double radius, Rgb color, float opacity = 1.f);
// Pixels whose centre is within thickness / 2 of the segment (round caps).
void draw_line(Image& image, Point2 from, Point2 to, Rgb color, double thickness = 1.0);

// One colour per CelebAMask-HQ class in the official label order: bg, neck, face, cloth, rr
// (right ear), lr, rb (right brow), lb, re (right eye), le, nose, imouth, llip, ulip, hair, glass,
// hat, earr (earring), neckl (necklace). Also usable for LaPa's 11 classes (first 11 colours).
std::span<const Rgb> celebamask_palette();

// labels: image.height * image.width values, row-major. Each pixel whose label differs from
// `keep_label` is blended with palette[label] (labels outside the palette are an error).
void blend_label_map(Image& image, std::span<const int32_t> labels, std::span<const Rgb> palette, float alpha,
                     int32_t keep_label = 0);

// t in [0, 1] (clamped; NaN -> 0) -> a viridis-like colour (dark purple, blue, green, yellow).
Rgb heat_color(float t);
// map (H, W) -> an image of heat colours, values scaled from [low, high] to [0, 1].
Image heat_map_image(const Tensor& map, float low, float high);
// image = (1 - alpha) * image + alpha * top, rounded; sizes must match.
void blend_image(Image& image, const Image& top, float alpha);

// ASCII text with stb_easy_font's built-in vector font, each font unit drawn as scale x scale
// pixels; (x, y) is the top-left corner. Lines break at '\n'. A background box (1 unit margin)
// keeps text readable over a photo.
void draw_text(Image& image, int x, int y, std::string_view text, Rgb color, int scale = 1,
               std::optional<Rgb> background = std::nullopt);
int text_width(std::string_view text, int scale = 1);   // pixels
int text_height(std::string_view text, int scale = 1);  // pixels

}  // namespace fc
