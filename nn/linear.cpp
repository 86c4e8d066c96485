#include "nn/linear.h"

#include "core/autograd.h"
#include "core/error.h"
#include "nn/init.h"
#include "ops/matmul.h"
#include "ops/unary.h"

namespace fc {

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias) {
  register_parameter("weight", &weight, Tensor::empty({out_features, in_features}));
  if (with_bias) register_parameter("bias", &bias, Tensor::empty({out_features}));
}

Tensor linear_cached(const Module& owner, PackedLinearWeight& cache, const Tensor& x, const Tensor& weight,
                     const Tensor& bias) {
  if (owner.is_training()) {
    cache.clear();
  } else if (!needs_grad({x, weight, bias})) {
    const PackedB packed = cache.get(weight);
    if (packed.defined()) return linear_prepacked(x, packed, bias);
  }
  return linear(x, weight, bias);
}

Tensor Linear::forward(const Tensor& x) const { return linear_cached(*this, packed_, x, weight, bias); }

void Linear::reset_parameters(Rng& rng) {
  fan_in_uniform_(weight, rng, weight.size(1));
  if (bias.defined()) fan_in_uniform_(bias, rng, weight.size(1));
}

MLP::MLP(int64_t in_dim, int64_t hidden_dim, int64_t out_dim, int num_layers) {
  FC_CHECK(num_layers >= 1, "MLP: num_layers must be at least 1, got ", num_layers);
  for (int i = 0; i < num_layers; ++i) {
    int64_t in = i == 0 ? in_dim : hidden_dim;
    int64_t out = i == num_layers - 1 ? out_dim : hidden_dim;
    layers.push_back(std::make_unique<Linear>(in, out));
    register_module("layers." + std::to_string(i), layers.back().get());
  }
}

Tensor MLP::forward(const Tensor& x) const {
  Tensor h = x;
  for (size_t i = 0; i < layers.size(); ++i) {
    h = layers[i]->forward(h);
    if (i + 1 < layers.size()) h = relu(h);
  }
  return h;
}

}  // namespace fc
