#include "nn/conv.h"

#include "nn/init.h"

namespace fc {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
               bool with_bias) {
  register_parameter("weight", &weight, Tensor::empty({out_channels, in_channels, kernel, kernel}));
  if (with_bias) register_parameter("bias", &bias, Tensor::empty({out_channels}));
  options.stride_h = options.stride_w = stride;
  options.padding_h = options.padding_w = padding;
}

Tensor Conv2d::forward(const Tensor& x) const { return conv2d(x, weight, bias, options); }

void Conv2d::reset_parameters(Rng& rng) {
  const int64_t fan_in = weight.size(1) * weight.size(2) * weight.size(3);
  fan_in_uniform_(weight, rng, fan_in);
  if (bias.defined()) fan_in_uniform_(bias, rng, fan_in);
}

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
                                 int64_t padding, bool with_bias) {
  register_parameter("weight", &weight, Tensor::empty({in_channels, out_channels, kernel, kernel}));
  if (with_bias) register_parameter("bias", &bias, Tensor::empty({out_channels}));
  options.stride_h = options.stride_w = stride;
  options.padding_h = options.padding_w = padding;
}

Tensor ConvTranspose2d::forward(const Tensor& x) const { return conv_transpose2d(x, weight, bias, options); }

void ConvTranspose2d::reset_parameters(Rng& rng) {
  // PyTorch computes fan_in from weight.size(1) for transposed convs (its weight is (C_in, C_out, k, k)).
  const int64_t fan_in = weight.size(1) * weight.size(2) * weight.size(3);
  fan_in_uniform_(weight, rng, fan_in);
  if (bias.defined()) fan_in_uniform_(bias, rng, fan_in);
}

}  // namespace fc
