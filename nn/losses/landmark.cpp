#include "nn/losses/landmark.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "ops/elementwise.h"
#include "ops/index.h"
#include "ops/interpolate.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "ops/unary.h"

namespace fc {

namespace {

void check_points(const Tensor& points, const char* op) {
  FC_CHECK(points.ndim() == 3 && points.size(2) == 2, op, ": points ", points.shape(), ": expected (B, P, 2)");
}

}  // namespace

Tensor normalize_landmarks(const Tensor& points, int64_t input_size) {
  check_points(points, "normalize_landmarks");
  FC_CHECK(input_size > 0, "normalize_landmarks: input_size ", input_size, " must be positive");
  return (points.detach() + 0.5f) / static_cast<float>(input_size);
}

Tensor landmark_target_heatmaps(const Tensor& normalized_points, int64_t height, int64_t width, double radius) {
  check_points(normalized_points, "landmark_target_heatmaps");
  FC_CHECK(height > 0 && width > 0 && radius > 0, "landmark_target_heatmaps: size ", height, "x", width,
           ", radius ", radius, ": must be positive");
  const int64_t maps = normalized_points.size(0) * normalized_points.size(1);
  Tensor out = Tensor::zeros({normalized_points.size(0), normalized_points.size(1), height, width});
  float* data = out.mutable_data();
  const std::vector<float> points = normalized_points.to_vector();
  // p2i's gaussian_awing kernel: exp(-r^2 * 16 / 2 / radius^2), sigma = radius / 4.
  const double falloff = 8.0 / (radius * radius);
  for (int64_t m = 0; m < maps; ++m) {
    const double cx = static_cast<double>(points[2 * m]) * width - 0.5;
    const double cy = static_cast<double>(points[2 * m + 1]) * height - 0.5;
    // Only pixels inside the image within `radius` are painted (p2i's clamped box, then r <= radius).
    const int64_t x0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(cx - radius)));
    const int64_t x1 = std::min<int64_t>(width - 1, static_cast<int64_t>(std::ceil(cx + radius)));
    const int64_t y0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(cy - radius)));
    const int64_t y1 = std::min<int64_t>(height - 1, static_cast<int64_t>(std::ceil(cy + radius)));
    float* map = data + m * height * width;
    for (int64_t y = y0; y <= y1; ++y)
      for (int64_t x = x0; x <= x1; ++x) {
        const double dx = x - cx, dy = y - cy;
        const double r2 = dx * dx + dy * dy;
        if (std::sqrt(r2) <= radius) map[y * width + x] = static_cast<float>(std::exp(-r2 * falloff));
      }
  }
  return out;
}

Tensor heatmap_points(const Tensor& heatmap_logits) {
  FC_CHECK(heatmap_logits.ndim() == 4, "heatmap_points: expected (B, P, H, W), got ", heatmap_logits.shape());
  const int64_t height = heatmap_logits.size(2), width = heatmap_logits.size(3);
  Tensor heat = sigmoid(heatmap_logits);
  // geometry.py clamps the mass at 1e-6 so an all-zero map cannot divide by zero.
  Tensor mass = clamp(sum(heat, {2, 3}), 1e-6f, std::nullopt);  // (B, P)
  Tensor cols = Tensor::arange(width).reshape({1, 1, 1, width});
  Tensor rows = Tensor::arange(height).reshape({1, 1, height, 1});
  Tensor x = (sum(heat * cols, {2, 3}) / mass + 0.5f) / static_cast<float>(width);
  Tensor y = (sum(heat * rows, {2, 3}) / mass + 0.5f) / static_cast<float>(height);
  return concat({x.unsqueeze(-1), y.unsqueeze(-1)}, -1);
}

LandmarkLossTerms landmark_loss(const Tensor& heatmap_logits, const Tensor& landmarks,
                                const LandmarkLossOptions& options) {
  check_points(landmarks, "landmark_loss");
  FC_CHECK(heatmap_logits.ndim() == 4 && heatmap_logits.size(0) == landmarks.size(0) &&
               heatmap_logits.size(1) == landmarks.size(1),
           "landmark_loss: heatmap_logits ", heatmap_logits.shape(), ", landmarks ", landmarks.shape(),
           ": expected (B, P, H, W) and (B, P, 2)");
  const int64_t size = options.heatmap_size;
  Tensor target_points = normalize_landmarks(landmarks, options.input_size);
  Tensor offset = target_points - heatmap_points(heatmap_logits);
  LandmarkLossTerms out;
  out.coord = mean(sqrt(sum(offset * offset, {-1})));
  Tensor logits = heatmap_logits;
  if (logits.size(2) != size || logits.size(3) != size)
    logits = interpolate(logits, size, size, InterpolateMode::bilinear, false);
  Tensor target = landmark_target_heatmaps(target_points, size, size, options.heatmap_radius);
  out.heatmap = binary_cross_entropy_with_logits(logits, target);
  out.total = out.coord + out.heatmap;
  return out;
}

}  // namespace fc
