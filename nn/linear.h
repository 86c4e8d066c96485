// Linear and MLP layers with PyTorch's parameter names and layout.
//
//   Linear fc(768, 3072);              // weight (3072, 768), bias (3072)
//   Tensor y = fc.forward(x);          // x (..., 768) -> (..., 3072)
//   MLP head(256, 256, 256, 3);        // layers.0..2, ReLU between (DETR/Mask2Former style)
#pragma once

#include <memory>
#include <vector>

#include "nn/module.h"
#include "ops/linear_packed.h"

namespace fc {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  // x (..., I) -> (..., O). In eval mode with no gradient wanted, a weight mapped read-only from a
  // model file is packed on first use and reused (ops/linear_packed.h); same results either way.
  Tensor forward(const Tensor& x) const;

  Tensor weight;  // (O, I)
  Tensor bias;    // (O), undefined when built without bias

 protected:
  void reset_parameters(Rng& rng) override;

 private:
  mutable PackedLinearWeight packed_;
};

// The forward of a Linear-shaped product through `cache` when the module is in eval mode and no
// gradient is wanted, else plain linear(); training mode drops the pack. For modules that hold
// raw weight tensors (MultiheadAttention's in_proj_weight). x (..., I), weight (O, I) -> (..., O)
Tensor linear_cached(const Module& owner, PackedLinearWeight& cache, const Tensor& x, const Tensor& weight,
                     const Tensor& bias);

// num_layers Linear layers in_dim -> hidden_dim ... -> out_dim with ReLU between them (not after
// the last), registered as layers.0, layers.1, ...
class MLP : public Module {
 public:
  MLP(int64_t in_dim, int64_t hidden_dim, int64_t out_dim, int num_layers);
  Tensor forward(const Tensor& x) const;

  std::vector<std::unique_ptr<Linear>> layers;
};

}  // namespace fc
