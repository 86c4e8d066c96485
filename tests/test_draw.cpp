// faceptor/draw.h: each primitive changes exactly the pixels it should.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "faceptor/draw.h"

using namespace fc;

namespace {

int count_color(const Image& img, Rgb color) {
  int n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) n += img.rgb(y, x) == color;
  return n;
}

constexpr Rgb kRed{255, 0, 0}, kBlack{0, 0, 0}, kWhite{255, 255, 255};

}  // namespace

TEST_CASE("draw_filled_circle: pixel centres within the radius, clipped at the border") {
  Image img(20, 20);
  draw_filled_circle(img, {10, 10}, 2.0, kRed);
  CHECK(count_color(img, kRed) == 13);  // the lattice points with x^2 + y^2 <= 4
  CHECK(img.rgb(10, 12) == kRed);
  CHECK(img.rgb(12, 12) == kBlack);
  draw_filled_circle(img, {0, 0}, 1.0, kWhite);  // a quarter survives the clipping
  CHECK(count_color(img, kWhite) == 3);
  Image half(3, 3, {100, 100, 100});
  draw_filled_circle(half, {1, 1}, 0.1, {200, 0, 100}, 0.5f);
  CHECK(half.rgb(1, 1) == Rgb{150, 50, 100});
  CHECK(half.rgb(0, 0) == Rgb{100, 100, 100});
  draw_filled_circle(half, {NAN, 1}, 3.0, kRed);  // ignored, no crash
  CHECK(count_color(half, kRed) == 0);
}

TEST_CASE("draw_line: covers the segment, thickness widens it") {
  Image img(10, 10);
  draw_line(img, {1, 5}, {8, 5}, kWhite);
  CHECK(count_color(img, kWhite) == 8);
  for (int x = 1; x <= 8; ++x) CHECK(img.rgb(5, x) == kWhite);
  Image diag(10, 10);
  draw_line(diag, {0, 0}, {9, 9}, kRed);
  for (int i = 0; i < 10; ++i) CHECK(diag.rgb(i, i) == kRed);
  Image thick(10, 10);
  draw_line(thick, {2, 5}, {7, 5}, kRed, 3.0);
  CHECK(thick.rgb(4, 4) == kRed);
  CHECK(thick.rgb(6, 4) == kRed);
  CHECK(thick.rgb(3, 4) == kBlack);
}

TEST_CASE("blend_label_map: palette colours blended, background kept, bad labels refused") {
  Image img(2, 2, {100, 100, 100});
  std::vector<int32_t> labels{0, 1, 2, 18};
  auto palette = celebamask_palette();
  CHECK(palette.size() == 19);
  blend_label_map(img, labels, palette, 1.f);
  CHECK(img.rgb(0, 0) == Rgb{100, 100, 100});
  CHECK(img.rgb(0, 1) == palette[1]);
  CHECK(img.rgb(1, 1) == palette[18]);
  Image soft(1, 1, {0, 0, 0});
  std::vector<int32_t> one{3};
  blend_label_map(soft, one, palette, 0.5f);
  CHECK(soft.rgb(0, 0) == Rgb{0, 51, 102});  // half of (0, 102, 204)
  std::vector<int32_t> bad{0, 1, 19, 0};
  CHECK_THROWS_WITH_AS(blend_label_map(img, bad, palette, 1.f), doctest::Contains("label 19 at pixel 2 has no colour"), Error);
  CHECK_THROWS_WITH_AS(blend_label_map(img, one, palette, 1.f), doctest::Contains("1 labels for a 2x2 image"), Error);
}

TEST_CASE("heat colours run from dark purple to yellow; maps and blending") {
  CHECK(heat_color(0.f) == Rgb{68, 1, 84});
  CHECK(heat_color(1.f) == Rgb{253, 231, 37});
  CHECK(heat_color(2.f) == heat_color(1.f));
  CHECK(heat_color(NAN) == heat_color(0.f));
  int previous_luma = -1;  // brightness rises monotonically, the point of viridis
  for (int i = 0; i <= 20; ++i) {
    Rgb c = heat_color(i / 20.f);
    int luma = 299 * c[0] + 587 * c[1] + 114 * c[2];
    CHECK(luma > previous_luma);
    previous_luma = luma;
  }
  Image heat = heat_map_image(Tensor::from_vector({0, 5, 10, 2.5f}, {2, 2}), 0, 10);
  CHECK(heat.rgb(0, 0) == heat_color(0));
  CHECK(heat.rgb(1, 0) == heat_color(1));
  CHECK(heat.rgb(1, 1) == heat_color(0.25f));
  Image base(2, 2, {0, 0, 0});
  blend_image(base, Image(2, 2, {200, 100, 50}), 0.25f);
  CHECK(base.rgb(1, 1) == Rgb{50, 25, 12});  // 12.5 rounds to even
  CHECK_THROWS_WITH_AS(blend_image(base, Image(1, 2), 0.5f), doctest::Contains("sizes differ"), Error);
  CHECK_THROWS_WITH_AS(heat_map_image(Tensor::zeros({2, 2}), 1, 1), doctest::Contains("empty value range"), Error);
}

TEST_CASE("draw_text: glyph pixels inside the measured box, scaled, with a background") {
  Image img(40, 80);
  draw_text(img, 3, 4, "Hi 42", kWhite);
  int w = text_width("Hi 42"), h = text_height("Hi 42");
  CHECK(w > 10);
  CHECK(h >= 7);
  int inside = 0, outside = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      if (img.rgb(y, x) == kWhite) (x >= 3 && x < 3 + w && y >= 4 && y < 4 + h ? inside : outside)++;
  CHECK(inside > 20);
  CHECK(outside == 0);

  Image big(60, 200);
  draw_text(big, 5, 5, "Hi 42", kWhite, 3, kRed);
  CHECK(count_color(big, kWhite) == 9 * inside);  // every font unit becomes a 3x3 block
  CHECK(big.rgb(1, 1) == kBlack);
  CHECK(big.rgb(2, 2) == kRed);  // the 1-unit margin (3 px) of background
  CHECK(text_width("Hi 42", 3) == 3 * w);
  Image two(40, 80);
  draw_text(two, 0, 0, "a\nb", kWhite);
  CHECK(text_height("a\nb") > text_height("a"));
  CHECK_THROWS_WITH_AS(draw_text(two, 0, 0, "x", kWhite, 0), doctest::Contains("scale 0"), Error);
}
