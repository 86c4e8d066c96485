#include "faceptor/outputs.h"

#include <algorithm>

#include "core/error.h"
#include "ops/elementwise.h"
#include "ops/index.h"
#include "ops/interpolate.h"
#include "ops/reduce.h"
#include "ops/softmax.h"
#include "ops/unary.h"

namespace fc::faceptor {

AgeEstimate age_from_logits(const Tensor& logits) {
  FC_CHECK(logits.ndim() == 2, "age_from_logits: expected (B, bins), got ", logits.shape());
  Tensor p = sigmoid(logits);
  AgeEstimate out;
  out.distribution = p / sum(p, {1}, true);
  Tensor bins = Tensor::arange(logits.size(1));
  out.age = sum(out.distribution * bins, {1});
  return out;
}

Tensor attribute_probabilities(const Tensor& logits) { return sigmoid(logits); }

Tensor expression_probabilities(const Tensor& logits) { return softmax(logits, -1); }

Tensor landmarks_from_heatmaps(const Tensor& heatmap_logits) {
  FC_CHECK(heatmap_logits.ndim() == 4, "landmarks_from_heatmaps: expected (B, P, H, W), got ",
           heatmap_logits.shape());
  const int64_t H = heatmap_logits.size(2), W = heatmap_logits.size(3);
  Tensor heat = sigmoid(heatmap_logits);
  // geometry.py clamps the mass at 1e-6 so an all-zero map cannot divide by zero.
  Tensor mass = clamp(sum(heat, {2, 3}), 1e-6f, std::nullopt);          // (B, P)
  Tensor xs = Tensor::arange(W).reshape({1, 1, 1, W});
  Tensor ys = Tensor::arange(H).reshape({1, 1, H, 1});
  Tensor x = (sum(heat * xs, {2, 3}) / mass + 0.5f) / static_cast<float>(W);
  Tensor y = (sum(heat * ys, {2, 3}) / mass + 0.5f) / static_cast<float>(H);
  return concat({x.unsqueeze(-1), y.unsqueeze(-1)}, -1);
}

Tensor parsing_logits_resized(const Tensor& logits, int64_t out_h, int64_t out_w) {
  return interpolate(logits, out_h, out_w, InterpolateMode::bilinear, false);
}

Tensor parsing_labels(const Tensor& logits) { return argmax(logits, 1); }

}  // namespace fc::faceptor
