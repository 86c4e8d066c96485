#include "ops/dropout.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/random.h"
#include "ops/kernels/pointwise.h"

namespace fc {
namespace {

// grad * mask, the mask broadcasting over x (dropout: same shape; drop_path: (D0, 1, ..., 1)).
struct MaskBackward : Node {
  const char* op = "DropoutBackward";
  Tensor mask;
  const char* name() const override { return op; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    return {binary_kernel(grad, mask, op, [](float g, float m) { return g * m; })};
  }
};

// A mask of `shape` whose entries are 1 / (1 - p) with probability 1 - p and 0 otherwise.
Tensor bernoulli_mask(const Shape& shape, float p, Rng& rng) {
  Tensor mask = Tensor::empty(shape);
  float* m = mask.mutable_data();
  const float scale = p < 1.f ? 1.f / (1.f - p) : 0.f;
  for (int64_t i = 0; i < mask.numel(); ++i) m[i] = rng.uniform() >= p ? scale : 0.f;
  return mask;
}

Tensor apply_mask(const Tensor& x, const Tensor& mask, const char* node_name) {
  Tensor out = binary_kernel(x, mask, node_name, [](float v, float m) { return v * m; });
  if (needs_grad({x})) {
    auto node = std::make_shared<MaskBackward>();
    node->op = node_name;
    node->mask = mask;
    connect(out, node, {x});
  }
  return out;
}

void check_probability(float p, const Tensor& x, const char* op) {
  FC_CHECK(p >= 0.f && p <= 1.f, op, ": drop probability ", p, " outside [0, 1] (input ", x.shape(), ")");
}

}  // namespace

Tensor dropout(const Tensor& x, float p, bool training, Rng& rng) {
  check_probability(p, x, "dropout");
  if (!training || p == 0.f) return x;
  return apply_mask(x, bernoulli_mask(x.shape(), p, rng), "DropoutBackward");
}

Tensor drop_path(const Tensor& x, float p, bool training, Rng& rng) {
  check_probability(p, x, "drop_path");
  if (!training || p == 0.f) return x;
  FC_CHECK(x.ndim() > 0, "drop_path: input ", x.shape(), " has no dim 0 to drop along");
  Shape mask_shape = x.shape();
  for (int i = 1; i < mask_shape.ndim(); ++i) mask_shape[i] = 1;
  return apply_mask(x, bernoulli_mask(mask_shape, p, rng), "DropPathBackward");
}

}  // namespace fc
