#include "nn/losses/classification.h"

#include "core/error.h"
#include "ops/elementwise.h"
#include "ops/interpolate.h"
#include "ops/loss.h"

namespace fc {

Tensor attribute_loss(const Tensor& logits, const Tensor& labels) {
  FC_CHECK(logits.ndim() == 2 && labels.shape() == logits.shape(), "attribute_loss: logits ", logits.shape(),
           ", labels ", labels.shape(), ": expected equal shapes (B, K)");
  const std::vector<float> values = labels.to_vector();
  Tensor known = Tensor::empty(labels.shape());
  float* mask = known.mutable_data();
  for (size_t i = 0; i < values.size(); ++i) mask[i] = values[i] != -1.f ? 1.f : 0.f;
  Tensor total = binary_cross_entropy_with_logits(logits, labels.detach(), known, Reduction::sum);
  return total / static_cast<float>(logits.size(0));
}

Tensor expression_loss(const Tensor& logits, const Tensor& labels) {
  FC_CHECK(logits.ndim() == 2 && labels.ndim() == 1 && labels.size(0) == logits.size(0), "expression_loss: logits ",
           logits.shape(), ", labels ", labels.shape(), ": expected (B, K) and (B)");
  return cross_entropy(logits, labels);
}

Tensor parsing_loss(const Tensor& logits, const Tensor& labels) {
  FC_CHECK(logits.ndim() == 4 && labels.ndim() == 3 && labels.size(0) == logits.size(0), "parsing_loss: logits ",
           logits.shape(), ", labels ", labels.shape(), ": expected (B, K, h, w) and (B, H, W)");
  const int64_t height = labels.size(1), width = labels.size(2);
  Tensor resized = logits;
  if (logits.size(2) != height || logits.size(3) != width)
    resized = interpolate(logits, height, width, InterpolateMode::bilinear, false);
  // Sum, then divide by every pixel: reduction='none' followed by .mean() upstream.
  Tensor total = cross_entropy(resized, labels, -100, Reduction::sum);
  return total / static_cast<float>(labels.numel());
}

}  // namespace fc
