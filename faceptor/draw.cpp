#include "faceptor/draw.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "core/error.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

namespace fc {

namespace {

uint8_t mix(uint8_t under, uint8_t over, float alpha) {
  float v = std::nearbyint(under + (over - under) * alpha);
  return static_cast<uint8_t>(std::clamp(v, 0.f, 255.f));
}

void blend_pixel(Image& image, int y, int x, Rgb color, float alpha) {
  uint8_t* p = image.at(y, x);
  for (int c = 0; c < 3; ++c) p[c] = alpha >= 1.f ? color[c] : mix(p[c], color[c], alpha);
}

void fill_rect(Image& image, int x0, int y0, int x1, int y1, Rgb color) {
  x0 = std::max(x0, 0), y0 = std::max(y0, 0);
  x1 = std::min(x1, image.width), y1 = std::min(y1, image.height);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) blend_pixel(image, y, x, color, 1.f);
}

}  // namespace

void draw_filled_circle(Image& image, Point2 center, double radius, Rgb color, float opacity) {
  if (!(radius >= 0) || !std::isfinite(center.x) || !std::isfinite(center.y)) return;
  int x0 = static_cast<int>(std::max(std::ceil(center.x - radius), 0.0));
  int x1 = static_cast<int>(std::min(std::floor(center.x + radius), image.width - 1.0));
  int y0 = static_cast<int>(std::max(std::ceil(center.y - radius), 0.0));
  int y1 = static_cast<int>(std::min(std::floor(center.y + radius), image.height - 1.0));
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      double dx = x - center.x, dy = y - center.y;
      if (dx * dx + dy * dy <= radius * radius) blend_pixel(image, y, x, color, opacity);
    }
}

void draw_line(Image& image, Point2 from, Point2 to, Rgb color, double thickness) {
  if (!std::isfinite(from.x) || !std::isfinite(from.y) || !std::isfinite(to.x) || !std::isfinite(to.y)) return;
  double r = std::max(thickness, 0.0) / 2;
  int x0 = static_cast<int>(std::max(std::ceil(std::min(from.x, to.x) - r), 0.0));
  int x1 = static_cast<int>(std::min(std::floor(std::max(from.x, to.x) + r), image.width - 1.0));
  int y0 = static_cast<int>(std::max(std::ceil(std::min(from.y, to.y) - r), 0.0));
  int y1 = static_cast<int>(std::min(std::floor(std::max(from.y, to.y) + r), image.height - 1.0));
  double dx = to.x - from.x, dy = to.y - from.y, length2 = dx * dx + dy * dy;
  // A thin line must still leave a trace: half a pixel is the least reach that hits every row
  // or column it crosses.
  double reach = std::max(r, 0.5);
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      double t = length2 > 0 ? std::clamp(((x - from.x) * dx + (y - from.y) * dy) / length2, 0.0, 1.0) : 0.0;
      double ex = from.x + t * dx - x, ey = from.y + t * dy - y;
      if (ex * ex + ey * ey <= reach * reach) blend_pixel(image, y, x, color, 1.f);
    }
}

std::span<const Rgb> celebamask_palette() {
  static constexpr std::array<Rgb, 19> kPalette = {{
      {0, 0, 0},        // bg
      {255, 153, 51},   // neck
      {204, 102, 102},  // face
      {0, 102, 204},    // cloth
      {102, 255, 102},  // rr: right ear
      {102, 204, 0},    // lr
      {153, 51, 0},     // rb: right brow
      {204, 102, 0},    // lb
      {0, 255, 255},    // re: right eye
      {0, 153, 255},    // le
      {255, 255, 0},    // nose
      {255, 0, 102},    // imouth
      {204, 0, 204},    // llip
      {255, 51, 153},   // ulip
      {102, 51, 0},     // hair
      {153, 153, 255},  // glass
      {255, 204, 204},  // hat
      {255, 0, 0},      // earr
      {51, 255, 204},   // neckl
  }};
  return kPalette;
}

void blend_label_map(Image& image, std::span<const int32_t> labels, std::span<const Rgb> palette, float alpha,
                     int32_t keep_label) {
  FC_CHECK(labels.size() == static_cast<size_t>(image.height) * image.width, "blend_label_map: ", labels.size(),
           " labels for a ", image.height, "x", image.width, " image");
  for (size_t i = 0; i < labels.size(); ++i) {
    int32_t label = labels[i];
    if (label == keep_label) continue;
    FC_CHECK(label >= 0 && static_cast<size_t>(label) < palette.size(), "blend_label_map: label ", label,
             " at pixel ", i, " has no colour (palette of ", palette.size(), ")");
    blend_pixel(image, static_cast<int>(i / image.width), static_cast<int>(i % image.width), palette[label], alpha);
  }
}

Rgb heat_color(float t) {
  // Nine samples along matplotlib's viridis, linearly interpolated (close, not identical).
  static constexpr std::array<std::array<float, 3>, 9> kStops = {{{68, 1, 84},
                                                                   {71, 44, 122},
                                                                   {59, 82, 139},
                                                                   {44, 113, 142},
                                                                   {33, 145, 140},
                                                                   {39, 173, 129},
                                                                   {92, 200, 99},
                                                                   {170, 220, 50},
                                                                   {253, 231, 37}}};
  if (!(t >= 0.f)) t = 0.f;
  t = std::min(t, 1.f) * (kStops.size() - 1);
  size_t i = std::min(static_cast<size_t>(t), kStops.size() - 2);
  float f = t - static_cast<float>(i);
  Rgb out;
  for (int c = 0; c < 3; ++c) out[c] = static_cast<uint8_t>(std::nearbyint(kStops[i][c] + (kStops[i + 1][c] - kStops[i][c]) * f));
  return out;
}

Image heat_map_image(const Tensor& map, float low, float high) {
  FC_CHECK(map.ndim() == 2, "heat_map_image: expected a map (H, W), got ", map.shape());
  FC_CHECK(high > low, "heat_map_image: empty value range [", low, ", ", high, "]");
  Image out(static_cast<int>(map.size(0)), static_cast<int>(map.size(1)));
  std::vector<float> v = map.to_vector();
  for (size_t i = 0; i < v.size(); ++i) {
    Rgb c = heat_color((v[i] - low) / (high - low));
    std::copy(c.begin(), c.end(), out.pixels.begin() + static_cast<std::ptrdiff_t>(i * 3));
  }
  return out;
}

void blend_image(Image& image, const Image& top, float alpha) {
  FC_CHECK(image.height == top.height && image.width == top.width, "blend_image: ", image.height, "x", image.width,
           " under ", top.height, "x", top.width, ": sizes differ");
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = mix(image.pixels[i], top.pixels[i], alpha);
}

namespace {

// stb_easy_font works on NUL-terminated mutable strings.
std::string easy_font_text(std::string_view text) { return std::string(text); }

}  // namespace

int text_width(std::string_view text, int scale) {
  std::string s = easy_font_text(text);
  return stb_easy_font_width(s.data()) * scale;
}

int text_height(std::string_view text, int scale) {
  std::string s = easy_font_text(text);
  return stb_easy_font_height(s.data()) * scale;
}

void draw_text(Image& image, int x, int y, std::string_view text, Rgb color, int scale,
               std::optional<Rgb> background) {
  FC_CHECK(scale >= 1, "draw_text: scale ", scale, " must be at least 1");
  if (text.empty()) return;
  std::string s = easy_font_text(text);
  if (background)
    fill_rect(image, x - scale, y - scale, x + text_width(text, scale) + scale, y + text_height(text, scale) + scale,
              *background);
  // Each quad is 4 vertices of 16 bytes (x, y, z floats, RGBA); no glyph has 16 segments.
  std::vector<char> buffer(s.size() * 16 * 64 + 64);
  unsigned char rgba[4] = {color[0], color[1], color[2], 255};
  int quads = stb_easy_font_print(0, 0, s.data(), rgba, buffer.data(), static_cast<int>(buffer.size()));
  for (int q = 0; q < quads; ++q) {
    const auto* v = reinterpret_cast<const float*>(buffer.data() + static_cast<size_t>(q) * 64);
    // vertices 0 and 2 are opposite corners of an axis-aligned rectangle in font units
    int qx0 = static_cast<int>(std::lround(v[0])), qy0 = static_cast<int>(std::lround(v[1]));
    int qx1 = static_cast<int>(std::lround(v[8])), qy1 = static_cast<int>(std::lround(v[9]));
    fill_rect(image, x + qx0 * scale, y + qy0 * scale, x + qx1 * scale, y + qy1 * scale, color);
  }
}

}  // namespace fc
