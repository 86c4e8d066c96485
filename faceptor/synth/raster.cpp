#include "faceptor/synth/raster.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace fc::faceptor::synth {

Color mix(Color a, Color b, float t) {
  return {a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t};
}

Color scale(Color c, float s) { return {c[0] * s, c[1] * s, c[2] * s}; }

Canvas::Canvas(int size, int supersample) : size_(size), ss_(supersample), hi_(size * supersample) {
  FC_CHECK(size > 0 && supersample > 0 && supersample % 2 == 1, "synth::Canvas: size ", size, " supersample ",
           supersample, ": need size > 0 and an odd supersample factor");
  rgb_.assign(static_cast<size_t>(hi_) * hi_ * 3, 0.f);
  label_.assign(static_cast<size_t>(hi_) * hi_, 0);
}

// Crossings of the row with every edge, with the edge's direction; a span is where the running
// winding number is nonzero. Edges are half-open in y so shared vertices count once.
Canvas::Spans Canvas::row_spans(const Polygon& polygon, double y) const {
  std::vector<std::pair<double, int>> crossings;
  size_t n = polygon.size();
  for (size_t i = 0; i < n; ++i) {
    Point2 a = polygon[i], b = polygon[(i + 1) % n];
    if ((a.y <= y) == (b.y <= y)) continue;
    double x = a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x);
    crossings.push_back({x, a.y < b.y ? 1 : -1});
  }
  std::sort(crossings.begin(), crossings.end());
  Spans spans;
  int winding = 0;
  for (size_t i = 0; i < crossings.size(); ++i) {
    int before = winding;
    winding += crossings[i].second;
    if (before == 0 && winding != 0) spans.push_back({crossings[i].first, crossings[i].first});
    if (before != 0 && winding == 0) spans.back().second = crossings[i].first;
  }
  return spans;
}

void Canvas::fill(const Polygon& polygon, const Paint& paint, const Polygon* clip) {
  if (polygon.size() < 3) return;
  double y_min = polygon[0].y, y_max = polygon[0].y;
  for (Point2 p : polygon) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) return;
    y_min = std::min(y_min, p.y);
    y_max = std::max(y_max, p.y);
  }
  // Sample j sits at output coordinate (j + 0.5) / S - 0.5.
  double inv = 1.0 / ss_;
  int j0 = std::max(0, static_cast<int>(std::floor((y_min + 0.5) * ss_ - 0.5)));
  int j1 = std::min(hi_ - 1, static_cast<int>(std::ceil((y_max + 0.5) * ss_ - 0.5)));
  for (int j = j0; j <= j1; ++j) {
    double y = (j + 0.5) * inv - 0.5;
    Spans spans = row_spans(polygon, y);
    if (clip) {
      Spans limits = row_spans(*clip, y), both;
      for (auto [a0, a1] : spans)
        for (auto [b0, b1] : limits)
          if (std::max(a0, b0) < std::min(a1, b1)) both.push_back({std::max(a0, b0), std::min(a1, b1)});
      spans = std::move(both);
    }
    for (auto [x0, x1] : spans) {
      // Samples with x0 <= x < x1.
      int i0 = std::max(0, static_cast<int>(std::ceil((x0 + 0.5) * ss_ - 0.5)));
      int i1 = std::min(hi_ - 1, static_cast<int>(std::ceil((x1 + 0.5) * ss_ - 0.5)) - 1);
      for (int i = i0; i <= i1; ++i) {
        size_t at = static_cast<size_t>(j) * hi_ + i;
        if (paint.label >= 0) label_[at] = static_cast<uint8_t>(paint.label);
        if (!paint.paint_color) continue;
        Color c = paint.shade ? paint.shade((i + 0.5) * inv - 0.5, y) : paint.color;
        float* out = &rgb_[at * 3];
        for (int k = 0; k < 3; ++k) out[k] += (c[k] - out[k]) * paint.opacity;
      }
    }
  }
}

void Canvas::fill_all(const std::function<Color(double x, double y)>& shade, int label) {
  double inv = 1.0 / ss_;
  for (int j = 0; j < hi_; ++j)
    for (int i = 0; i < hi_; ++i) {
      size_t at = static_cast<size_t>(j) * hi_ + i;
      Color c = shade((i + 0.5) * inv - 0.5, (j + 0.5) * inv - 0.5);
      std::copy(c.begin(), c.end(), &rgb_[at * 3]);
      label_[at] = static_cast<uint8_t>(label);
    }
}

Image Canvas::image() const {
  Image out(size_, size_);
  float norm = 255.f / (ss_ * ss_);
  for (int y = 0; y < size_; ++y)
    for (int x = 0; x < size_; ++x)
      for (int k = 0; k < 3; ++k) {
        float sum = 0;
        for (int dy = 0; dy < ss_; ++dy)
          for (int dx = 0; dx < ss_; ++dx)
            sum += rgb_[((static_cast<size_t>(y) * ss_ + dy) * hi_ + x * ss_ + dx) * 3 + k];
        out.at(y, x)[k] = static_cast<uint8_t>(std::clamp(std::lround(sum * norm), 0L, 255L));
      }
  return out;
}

std::vector<uint8_t> Canvas::labels() const {
  std::vector<uint8_t> out(static_cast<size_t>(size_) * size_);
  int c = ss_ / 2;
  for (int y = 0; y < size_; ++y)
    for (int x = 0; x < size_; ++x)
      out[static_cast<size_t>(y) * size_ + x] = label_[(static_cast<size_t>(y) * ss_ + c) * hi_ + x * ss_ + c];
  return out;
}

Polygon ellipse(Point2 center, double rx, double ry, double angle, int segments) {
  Polygon out;
  double ca = std::cos(angle), sa = std::sin(angle);
  for (int i = 0; i < segments; ++i) {
    double t = 2 * M_PI * i / segments;
    double x = rx * std::cos(t), y = ry * std::sin(t);
    out.push_back({center.x + ca * x - sa * y, center.y + sa * x + ca * y});
  }
  return out;
}

Polygon catmull_rom(std::span<const Point2> points, bool closed, int per_segment) {
  Polygon out;
  int n = static_cast<int>(points.size());
  if (n < 3) return Polygon(points.begin(), points.end());
  auto at = [&](int i) {
    if (closed) return points[((i % n) + n) % n];
    // Open curves: reflect the end points so the curve meets them with a natural tangent.
    if (i < 0) return Point2{2 * points[0].x - points[1].x, 2 * points[0].y - points[1].y};
    if (i >= n) return Point2{2 * points[n - 1].x - points[n - 2].x, 2 * points[n - 1].y - points[n - 2].y};
    return points[i];
  };
  int segments = closed ? n : n - 1;
  for (int s = 0; s < segments; ++s) {
    Point2 p0 = at(s - 1), p1 = at(s), p2 = at(s + 1), p3 = at(s + 2);
    for (int k = 0; k < per_segment; ++k) {
      double t = static_cast<double>(k) / per_segment, t2 = t * t, t3 = t2 * t;
      auto blend = [&](double a, double b, double c, double d) {
        return 0.5 * (2 * b + (-a + c) * t + (2 * a - 5 * b + 4 * c - d) * t2 + (-a + 3 * b - 3 * c + d) * t3);
      };
      out.push_back({blend(p0.x, p1.x, p2.x, p3.x), blend(p0.y, p1.y, p2.y, p3.y)});
    }
  }
  if (!closed) out.push_back(points[n - 1]);
  return out;
}

Polygon stroke(std::span<const Point2> line, std::span<const double> widths) {
  size_t n = line.size();
  FC_CHECK(widths.size() == n || widths.size() == 1, "synth::stroke: ", widths.size(), " widths for ", n, " points");
  Polygon left, right;
  for (size_t i = 0; i < n; ++i) {
    Point2 a = line[i == 0 ? 0 : i - 1], b = line[i + 1 < n ? i + 1 : n - 1];
    double dx = b.x - a.x, dy = b.y - a.y, len = std::hypot(dx, dy);
    if (len == 0) len = 1;
    double half = 0.5 * widths[widths.size() == 1 ? 0 : i];
    Point2 normal{-dy / len * half, dx / len * half};
    left.push_back({line[i].x + normal.x, line[i].y + normal.y});
    right.push_back({line[i].x - normal.x, line[i].y - normal.y});
  }
  left.insert(left.end(), right.rbegin(), right.rend());
  return left;
}

Polygon stroke(std::span<const Point2> line, double width) {
  double w[1] = {width};
  return stroke(line, std::span<const double>(w, 1));
}

}  // namespace fc::faceptor::synth
