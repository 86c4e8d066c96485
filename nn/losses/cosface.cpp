#include "nn/losses/cosface.h"

#include <cmath>

#include "core/error.h"
#include "nn/init.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "ops/unary.h"

namespace fc {

Tensor cosine_similarity_matrix(const Tensor& x, const Tensor& w) {
  FC_CHECK(x.ndim() == 2 && w.ndim() == 2 && x.size(1) == w.size(1), "cosine_similarity_matrix: ", x.shape(), " x ",
           w.shape(), ": expected x (B, D) and w (C, D)");
  Tensor x_norm = sqrt(sum(x * x, {1}, true));                       // (B, 1)
  Tensor w_norm = sqrt(sum(w * w, {1})).unsqueeze(0);                // (1, C)
  // torch.ger(|x|, |w|).clamp(min=1e-8): one clamp on the product, not one per norm.
  Tensor denominator = clamp(x_norm * w_norm, 1e-8f, std::nullopt);  // (B, C)
  return linear(x, w) / denominator;
}

namespace {

// labels (B) -> (B, C) constant: 1 at each sample's class. Checks what cross_entropy would, so the
// error names this loss rather than the op inside it.
Tensor one_hot(const Tensor& labels, int64_t classes, const char* op) {
  Tensor out = Tensor::zeros({labels.size(0), classes});
  float* data = out.mutable_data();
  const std::vector<float> values = labels.to_vector();
  for (size_t b = 0; b < values.size(); ++b) {
    const float v = values[b];
    FC_CHECK(v >= 0 && v < static_cast<float>(classes) && v == std::floor(v), op, ": labels ", labels.shape(),
             " with ", classes, " classes: label ", v, " at ", b, " is not a class index");
    data[b * classes + static_cast<int64_t>(v)] = 1.f;
  }
  return out;
}

}  // namespace

Tensor cosface_loss(const Tensor& features, const Tensor& classifier, const Tensor& labels, float scale,
                    float margin) {
  FC_CHECK(features.ndim() == 2 && classifier.ndim() == 2 && features.size(1) == classifier.size(1),
           "cosface_loss: features ", features.shape(), ", classifier ", classifier.shape(),
           ": expected (B, D) and (C, D)");
  FC_CHECK(labels.ndim() == 1 && labels.size(0) == features.size(0), "cosface_loss: features ", features.shape(),
           ", labels ", labels.shape(), ": expected one label per sample");
  Tensor cosine = cosine_similarity_matrix(features, classifier);
  Tensor margin_mask = one_hot(labels, classifier.size(0), "cosface_loss");
  Tensor logits = (cosine - margin_mask * margin) * scale;
  return cross_entropy(logits, labels);
}

CosFaceLoss::CosFaceLoss(int64_t num_classes, int64_t embedding_dim, float scale_, float margin_)
    : scale(scale_), margin(margin_) {
  register_parameter("classifier", &classifier, Tensor::empty({num_classes, embedding_dim}));
}

Tensor CosFaceLoss::forward(const Tensor& features, const Tensor& labels) const {
  return cosface_loss(features, classifier, labels, scale, margin);
}

void CosFaceLoss::reset_parameters(Rng& rng) { fan_in_uniform_(classifier, rng, classifier.size(1)); }

}  // namespace fc
