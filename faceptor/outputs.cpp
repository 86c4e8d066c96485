#include "faceptor/outputs.h"

#include <algorithm>

#include "core/error.h"
#include "nn/losses/landmark.h"
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

// The loss reads points the same way; one definition keeps inference and training in step.
Tensor landmarks_from_heatmaps(const Tensor& heatmap_logits) { return heatmap_points(heatmap_logits); }

Tensor parsing_logits_resized(const Tensor& logits, int64_t out_h, int64_t out_w) {
  return interpolate(logits, out_h, out_w, InterpolateMode::bilinear, false);
}

Tensor parsing_labels(const Tensor& logits) { return argmax(logits, 1); }

}  // namespace fc::faceptor
