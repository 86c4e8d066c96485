#include "nn/norm.h"

#include "ops/norm.h"

namespace fc {

LayerNorm::LayerNorm(int64_t channels, float eps_) : eps(eps_) {
  register_parameter("weight", &weight, Tensor::ones({channels}));
  register_parameter("bias", &bias, Tensor::zeros({channels}));
}

Tensor LayerNorm::forward(const Tensor& x) const { return layer_norm(x, weight, bias, eps); }

LayerNorm2d::LayerNorm2d(int64_t channels, float eps_) : eps(eps_) {
  register_parameter("weight", &weight, Tensor::ones({channels}));
  register_parameter("bias", &bias, Tensor::zeros({channels}));
}

Tensor LayerNorm2d::forward(const Tensor& x) const { return layer_norm_channels(x, weight, bias, eps); }

BatchNorm::BatchNorm(int64_t channels, float eps_, float momentum_) : eps(eps_), momentum(momentum_) {
  register_parameter("weight", &weight, Tensor::ones({channels}));
  register_parameter("bias", &bias, Tensor::zeros({channels}));
  register_buffer("running_mean", &running_mean, Tensor::zeros({channels}));
  register_buffer("running_var", &running_var, Tensor::ones({channels}));
}

Tensor BatchNorm::forward(const Tensor& x) const {
  return batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps, sync);
}

}  // namespace fc
