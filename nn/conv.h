// Convolution layers with PyTorch's names and weight layouts.
//
//   Conv2d proj(768, 256, 1);                  // weight (256, 768, 1, 1), bias (256)
//   ConvTranspose2d up(256, 256, 2, 2);        // weight (256, 256, 2, 2): (C_in, C_out, k, k)
#pragma once

#include "nn/module.h"
#include "ops/conv.h"

namespace fc {

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
         bool bias = true);
  Tensor forward(const Tensor& x) const;  // x (N, C, H, W) -> (N, O, Ho, Wo)
  Tensor weight;                          // (O, C, k, k)
  Tensor bias;                            // (O) or undefined
  Conv2dOptions options;

 protected:
  void reset_parameters(Rng& rng) override;
};

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1,
                  int64_t padding = 0, bool bias = true);
  Tensor forward(const Tensor& x) const;  // x (N, C_in, H, W) -> (N, C_out, Ho, Wo)
  Tensor weight;                          // (C_in, C_out, k, k)
  Tensor bias;                            // (C_out) or undefined
  ConvTranspose2dOptions options;

 protected:
  void reset_parameters(Rng& rng) override;
};

}  // namespace fc
