// Normalisation layers with PyTorch's names: LayerNorm (last dim), LayerNorm2d (channel dim of
// NCHW, the pixel decoder's "Norm2d"), BatchNorm (1d and 2d: running statistics as buffers).
//
//   LayerNorm ln(768);               // weight, bias; eps 1e-5
//   BatchNorm bn(512, 2e-5f);        // weight, bias, running_mean, running_var
//   bn.eval();  Tensor y = bn.forward(x);
#pragma once

#include "nn/module.h"
#include "ops/norm.h"

namespace fc {

class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t channels, float eps = 1e-5f);
  Tensor forward(const Tensor& x) const;  // x (..., C)
  Tensor weight, bias;                    // (C)
  float eps;
};

class LayerNorm2d : public Module {
 public:
  explicit LayerNorm2d(int64_t channels, float eps = 1e-6f);
  Tensor forward(const Tensor& x) const;  // x (N, C, H, W), normalised over C at each pixel
  Tensor weight, bias;                    // (C)
  float eps;
};

// PyTorch's num_batches_tracked counter is not kept: with a fixed momentum it never affects the
// result (the converter checks and drops it).
class BatchNorm : public Module {
 public:
  explicit BatchNorm(int64_t channels, float eps = 1e-5f, float momentum = 0.1f);
  // x (N, C) or (N, C, H, W); batch statistics (and running-stat updates) in training mode.
  Tensor forward(const Tensor& x) const;
  Tensor weight, bias, running_mean, running_var;  // (C)
  float eps, momentum;
  // Set by data-parallel training (SyncBN, ops/norm.h); empty: this process's batch alone.
  CrossProcessSum sync;
};

}  // namespace fc
