// Raster: the supersampled canvas the synthetic-face renderer paints on. Every shape is a
// polygon (curves are flattened first); each one paints colour into a float RGB buffer S x S
// times the output size and/or writes a parsing label. The output image averages the S x S
// samples of a pixel (anti-aliasing); the label map takes the sample at the pixel centre (S is
// odd), so a pixel's label is exactly "which shape covers its centre last" -- the same rule as
// faceptor/draw.h.
//
//   Canvas canvas(128, 3);
//   canvas.fill(ellipse({64, 64}, 30, 40), Paint{{0.9f, 0.7f, 0.6f}, 1.f, /*label=*/2});
//   canvas.fill(stroke(catmull_rom(brow, false), widths), Paint{{0.2f, 0.1f, 0.1f}, 1.f, 6});
//   Image image = canvas.image();  std::vector<uint8_t> labels = canvas.labels();
//
// Coordinates are output-pixel coordinates with pixel centres at integers (faceptor/warp.h).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "faceptor/image.h"
#include "faceptor/warp.h"

namespace fc::faceptor::synth {

using Color = std::array<float, 3>;  // linear-ish RGB in [0, 1]
using Polygon = std::vector<Point2>;

Color mix(Color a, Color b, float t);  // a (1 - t) + b t
Color scale(Color c, float s);

// How a shape is painted. `shade`, when set, gives the colour at a sample position (lighting,
// texture); otherwise `color` is flat. label < 0 leaves the label map alone (colour-only detail:
// wrinkles, nostrils, eyelid lines); paint_color = false writes only the label (used to give the
// eyes priority over the glasses, as CelebAMask-HQ's merge order does).
struct Paint {
  Color color{0, 0, 0};
  float opacity = 1.f;
  int label = -1;
  bool paint_color = true;
  std::function<Color(double x, double y)> shade;
};

class Canvas {
 public:
  Canvas(int size, int supersample);  // size x size output; supersample must be odd

  // Nonzero winding rule, so self-overlapping strokes fill solid. `clip`, when given, restricts
  // the fill to the inside of that polygon too (an iris inside its eye).
  void fill(const Polygon& polygon, const Paint& paint, const Polygon* clip = nullptr);
  // Every sample: colour from `shade` (backgrounds).
  void fill_all(const std::function<Color(double x, double y)>& shade, int label);

  int size() const { return size_; }
  Image image() const;                  // box-filtered S x S samples, rounded to 8 bits
  std::vector<uint8_t> labels() const;  // size * size labels, row-major

 private:
  using Spans = std::vector<std::pair<double, double>>;
  Spans row_spans(const Polygon& polygon, double y) const;
  int size_, ss_, hi_;  // output size, supersample factor, size * supersample
  std::vector<float> rgb_;
  std::vector<uint8_t> label_;
};

// Shape builders (output or canonical coordinates alike).
Polygon ellipse(Point2 center, double rx, double ry, double angle = 0, int segments = 48);
// Smooth curve through `points` (centripetal-free uniform Catmull-Rom); `closed` wraps around.
Polygon catmull_rom(std::span<const Point2> points, bool closed, int per_segment = 8);
// A brush stroke along `line` with per-vertex width (widths.size() == line.size(), or one value).
Polygon stroke(std::span<const Point2> line, std::span<const double> widths);
Polygon stroke(std::span<const Point2> line, double width);

}  // namespace fc::faceptor::synth
