// Normalisation layers as ops: LayerNorm over the last dim (ViT blocks), LayerNorm over channels
// of an image tensor (a pixel decoder's "LayerNorm2d"), and BatchNorm1d/2d with running
// statistics. Each forward saves its per-group mean and 1/sqrt(var + eps) for the backward.
//
// Letters: N batch, C channels (the normalised or per-channel dim), H W spatial, "..." any dims.
//
//   Tensor y = fc::layer_norm(x, ln_weight, ln_bias, 1e-5f);             // x (B, N, C)
//   Tensor f = fc::layer_norm_channels(feat, w, b, 1e-6f);               // feat (N, C, H, W)
//   Tensor z = fc::batch_norm(x, w, b, running_mean, running_var, /*training=*/true, 0.1f, 1e-5f);
//
// weight and bias may be undefined Tensors (no affine part), as in PyTorch's functional forms.
#pragma once

#include <functional>
#include <vector>

#include "core/tensor.h"

namespace fc {

// x (..., C), weight (C), bias (C) -> (..., C): normalised over the last dim with the biased
// variance, like torch.nn.functional.layer_norm(x, (C,), weight, bias, eps).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps);

// x (N, C, H, W), weight (C), bias (C) -> (N, C, H, W): normalised over C at every (n, h, w);
// equal to permuting to (N, H, W, C), layer_norm, and permuting back, without the copies.
Tensor layer_norm_channels(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps);

// x (N, C) or (N, C, L) or (N, C, H, W), weight (C), bias (C), running_mean (C), running_var (C)
// -> shaped like x. training: normalises with the batch's biased variance and, when the running
// tensors are defined, updates them in place outside the graph with the unbiased variance:
// running = (1 - momentum) * running + momentum * batch (PyTorch's convention). Eval: normalises
// with the running statistics (then they must be defined). Differentiable in x, weight, bias.
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, float momentum, float eps);

// Synchronised batch norm (torch.nn.SyncBatchNorm) for data-parallel training: replaces each
// value by its sum over every process of the run. Every process calls it at the same points in
// the same order (the forward and the backward of each training-mode batch_norm).
using CrossProcessSum = std::function<void(std::vector<double>& values)>;

// As above; with `sync` set, training-mode statistics (forward) and the sums of the input
// gradient (backward) are the global batch's: every process gets the same normalisation as one
// process holding the whole batch. Eval mode and an empty `sync` never communicate.
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, float momentum, float eps, const CrossProcessSum& sync);

}  // namespace fc
