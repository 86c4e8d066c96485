#include "faceptor/warp.h"

// GCC 12 reports a false -Warray-bounds inside Eigen's vectorised Umeyama on 2-vectors.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#include <Eigen/Geometry>
#pragma GCC diagnostic pop
#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace fc {

Affine2D Affine2D::inverse() const {
  double det = m[0] * m[4] - m[1] * m[3];
  FC_CHECK(std::isfinite(det) && std::fabs(det) > 1e-12, "Affine2D::inverse: singular matrix (determinant ", det, ")");
  double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
  return {{a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])}};
}

Affine2D Affine2D::then(const Affine2D& n) const {
  return {{n.m[0] * m[0] + n.m[1] * m[3], n.m[0] * m[1] + n.m[1] * m[4], n.m[0] * m[2] + n.m[1] * m[5] + n.m[2],
           n.m[3] * m[0] + n.m[4] * m[3], n.m[3] * m[1] + n.m[4] * m[4], n.m[3] * m[2] + n.m[4] * m[5] + n.m[5]}};
}

Affine2D Affine2D::scale_about(double scale, Point2 c) {
  return {{scale, 0, c.x - scale * c.x, 0, scale, c.y - scale * c.y}};
}

// ref: blueprint/ml/augmenters UpdateCropAndResizeMatrix (align_corners=False) followed by
// UpdateTransformMatrix(scale_mu), which scales about ((size-1)/2, (size-1)/2).
Affine2D crop_from_box(const Box& box, int size, double scale) {
  FC_CHECK(box.x2 > box.x1 && box.y2 > box.y1 && size > 0 && scale > 0, "crop_from_box: box (", box.x1, ", ", box.y1,
           ", ", box.x2, ", ", box.y2, ") to ", size, "x", size, " at scale ", scale,
           ": the box must have x2 > x1, y2 > y1 and size, scale must be positive");
  double ax = size / (box.x2 - box.x1), ay = size / (box.y2 - box.y1);
  Affine2D crop{{ax, 0, -box.x1 * ax - 0.5, 0, ay, -box.y1 * ay - 0.5}};
  double c = (size - 1) / 2.0;
  return crop.then(Affine2D::scale_about(scale, {c, c}));
}

namespace {

// The tanh warp acts on each normalised coordinate separately; `inverse` undoes it.
double tanh_warp_1d(double u, double f, bool inverse) {
  auto g = [&](double v) { return inverse ? std::atanh(std::clamp(v, -0.999, 0.999)) : std::tanh(v); };
  if (u > 1.0 - f) return g((u - 1.0 + f) / f) * f + 1.0 - f;
  if (u < -1.0 + f) return g((u + 1.0 - f) / f) * f - 1.0 + f;
  return u;
}

Point2 tanh_warp(Point2 p, int height, int width, double f, bool inverse) {
  double u = p.x / width * 2 - 1, v = p.y / height * 2 - 1;
  return {(tanh_warp_1d(u, f, inverse) + 1) / 2 * width, (tanh_warp_1d(v, f, inverse) + 1) / 2 * height};
}

}  // namespace

// ref: blueprint _tanh_warp_transform: undo the warp, then inverse(matrix).
Point2 CropWarp::crop_to_image(Point2 p) const {
  if (warp_factor > 0) p = tanh_warp(p, height, width, warp_factor, /*inverse=*/true);
  return matrix.inverse().apply(p);
}

// ref: blueprint _inverted_tanh_warp_transform: matrix, then the warp.
Point2 CropWarp::image_to_crop(Point2 p) const {
  p = matrix.apply(p);
  if (warp_factor > 0) p = tanh_warp(p, height, width, warp_factor, /*inverse=*/false);
  return p;
}

Tensor remap_bilinear(const Tensor& src, std::span<const float> map_xy, int out_height, int out_width) {
  FC_CHECK(src.ndim() == 3, "remap_bilinear: expected source (C, H, W), got ", src.shape());
  FC_CHECK(out_height > 0 && out_width > 0 && map_xy.size() == static_cast<size_t>(out_height) * out_width * 2,
           "remap_bilinear: a ", out_height, "x", out_width, " output needs ", 2L * out_height * out_width,
           " map values, got ", map_xy.size());
  Tensor s = src.contiguous();
  const int64_t channels = s.size(0), h = s.size(1), w = s.size(2);
  const float* in = s.data();
  Tensor out = Tensor::empty({channels, out_height, out_width});
  float* dst = out.mutable_data();
  const int64_t plane = static_cast<int64_t>(out_height) * out_width, in_plane = h * w;
  // OpenCV's INTER_TAB_SIZE: positions are quantised to 1/32 pixel before weighting.
  constexpr int kTabBits = 5, kTab = 1 << kTabBits;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < plane; ++i) {
    // nearbyint rounds half to even, like cvRound; the clamp only keeps far-outside positions
    // (which sample nothing) from overflowing.
    auto quantise = [](float v) {
      return static_cast<int>(std::clamp(std::nearbyint(v * static_cast<float>(kTab)), -1e9f, 1e9f));
    };
    float mx = map_xy[2 * i], my = map_xy[2 * i + 1];
    if (std::isnan(mx) || std::isnan(my)) mx = my = -1e6f;  // samples nothing: all zero
    int qx = quantise(mx), qy = quantise(my);
    int x0 = qx >> kTabBits, y0 = qy >> kTabBits;  // floor
    float fx = static_cast<float>(qx & (kTab - 1)) * (1.f / kTab), fy = static_cast<float>(qy & (kTab - 1)) * (1.f / kTab);
    // OpenCV's BilinearTab_f entry: row weight times column weight, exact in float.
    const float w00 = (1.f - fy) * (1.f - fx), w01 = (1.f - fy) * fx, w10 = fy * (1.f - fx), w11 = fy * fx;
    bool inside_x0 = x0 >= 0 && x0 < w, inside_x1 = x0 + 1 >= 0 && x0 + 1 < w;
    bool inside_y0 = y0 >= 0 && y0 < h, inside_y1 = y0 + 1 >= 0 && y0 + 1 < h;
    for (int64_t c = 0; c < channels; ++c) {
      const float* p = in + c * in_plane;
      float v00 = inside_y0 && inside_x0 ? p[y0 * w + x0] : 0.f;
      float v01 = inside_y0 && inside_x1 ? p[y0 * w + x0 + 1] : 0.f;
      float v10 = inside_y1 && inside_x0 ? p[(y0 + 1) * w + x0] : 0.f;
      float v11 = inside_y1 && inside_x1 ? p[(y0 + 1) * w + x0 + 1] : 0.f;
      // Same association order as OpenCV's remapBilinear, so results match bit for bit.
      dst[c * plane + i] = v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11;
    }
  }
  return out;
}

namespace {

template <class Fn>
std::vector<float> sampling_map(int out_height, int out_width, Fn&& where) {
  std::vector<float> map(static_cast<size_t>(out_height) * out_width * 2);
  for (int y = 0; y < out_height; ++y)
    for (int x = 0; x < out_width; ++x) {
      Point2 p = where(Point2{static_cast<double>(x), static_cast<double>(y)});
      size_t i = (static_cast<size_t>(y) * out_width + x) * 2;
      map[i] = static_cast<float>(p.x);
      map[i + 1] = static_cast<float>(p.y);
    }
  return map;
}

}  // namespace

Tensor warp_to_crop(const Tensor& image, const CropWarp& crop) {
  FC_CHECK(image.ndim() == 3, "warp_to_crop: expected an image (C, H, W), got ", image.shape());
  Affine2D to_image = crop.matrix.inverse();
  auto map = sampling_map(crop.height, crop.width, [&](Point2 p) {
    if (crop.warp_factor > 0) p = tanh_warp(p, crop.height, crop.width, crop.warp_factor, true);
    return to_image.apply(p);
  });
  return remap_bilinear(image, map, crop.height, crop.width);
}

Tensor warp_from_crop(const Tensor& crop_maps, const CropWarp& crop, int image_height, int image_width) {
  FC_CHECK(crop_maps.ndim() == 3 && crop_maps.size(1) == crop.height && crop_maps.size(2) == crop.width,
           "warp_from_crop: expected maps (C, ", crop.height, ", ", crop.width, "), got ", crop_maps.shape());
  auto map = sampling_map(image_height, image_width, [&](Point2 p) { return crop.image_to_crop(p); });
  return remap_bilinear(crop_maps, map, image_height, image_width);
}

std::vector<int32_t> argmax_channels(const Tensor& maps) {
  FC_CHECK(maps.ndim() == 3 && maps.size(0) > 0, "argmax_channels: expected (C, H, W) with C > 0, got ", maps.shape());
  Tensor m = maps.contiguous();
  const int64_t channels = m.size(0), plane = m.size(1) * m.size(2);
  const float* p = m.data();
  std::vector<int32_t> labels(static_cast<size_t>(plane), 0);
  for (int64_t i = 0; i < plane; ++i) {
    float best = p[i];
    for (int64_t c = 1; c < channels; ++c)
      if (p[c * plane + i] > best) {  // strict: the first maximum wins, as numpy.argmax
        best = p[c * plane + i];
        labels[static_cast<size_t>(i)] = static_cast<int32_t>(c);
      }
  }
  return labels;
}

Affine2D similarity_from_points(std::span<const Point2> src, std::span<const Point2> dst) {
  FC_CHECK(src.size() == dst.size() && src.size() >= 2, "similarity_from_points: ", src.size(), " source and ",
           dst.size(), " target points; need the same number, at least 2");
  const auto n = static_cast<Eigen::Index>(src.size());
  Eigen::Matrix2Xd a(2, n), b(2, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    a.col(i) << src[static_cast<size_t>(i)].x, src[static_cast<size_t>(i)].y;
    b.col(i) << dst[static_cast<size_t>(i)].x, dst[static_cast<size_t>(i)].y;
  }
  FC_CHECK(a.allFinite() && b.allFinite(), "similarity_from_points: points must be finite");
  Eigen::Vector2d mean = a.rowwise().mean();
  double spread = (a.colwise() - mean).squaredNorm() / static_cast<double>(n);
  double extent = std::max(1.0, a.cwiseAbs().maxCoeff());
  FC_CHECK(spread > 1e-18 * extent * extent, "similarity_from_points: the ", n,
           " source points coincide; a similarity needs at least two distinct points");
  Eigen::Matrix3d t = Eigen::umeyama(a, b, /*with_scaling=*/true);
  return {{t(0, 0), t(0, 1), t(0, 2), t(1, 0), t(1, 1), t(1, 2)}};
}

std::array<Point2, 5> arcface_five_point_template(int size) {
  // InsightFace's reference points for a 112x112 aligned face.
  static constexpr double kArcFace112[5][2] = {
      {38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041}};
  std::array<Point2, 5> out;
  double s = size / 112.0;
  for (int i = 0; i < 5; ++i) out[i] = {(kArcFace112[i][0] + 0.5) * s - 0.5, (kArcFace112[i][1] + 0.5) * s - 0.5};
  return out;
}

std::array<Point2, 5> farl_five_point_template(int size) {
  // FaRL's standard face points, published in 512-pixel units of a [-1, 1] square (/256 - 1).
  static constexpr double kFarl512[5][2] = {{196.0, 226.0}, {316.0, 226.0}, {256.0, 286.0}, {220.0, 360.4}, {292.0, 360.4}};
  std::array<Point2, 5> out;
  for (int i = 0; i < 5; ++i)
    out[i] = {(kFarl512[i][0] / 256.0 - 1.0 + 1.0) * (size - 1) / 2.0, (kFarl512[i][1] / 256.0 - 1.0 + 1.0) * (size - 1) / 2.0};
  return out;
}

}  // namespace fc
