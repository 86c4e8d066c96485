// 2-D pooling over the last two dims: fixed windows (max_pool2d, avg_pool2d) and adaptive bins
// (adaptive_avg_pool2d, adaptive_max_pool2d: pyramid pooling at scales 1, 2, 3, 6, global pooling).
// All follow PyTorch's CPU kernels, including which element a max gradient goes to on ties.
//
// Letters: N batch, C channels, H W input size, OH OW output size.
//
//   Tensor p = fc::max_pool2d(x, /*kernel=*/3, /*stride=*/2, /*padding=*/1);   // (N, C, 56, 56) -> (N, C, 28, 28)
//   Tensor g = fc::adaptive_avg_pool2d(x, 1, 1);                               // global average
//
// x may also be (C, H, W), like PyTorch's unbatched form; the result then has no N either.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace fc {

// x (N, C, H, W) -> (N, C, OH, OW), OH = (H + 2 * padding - kernel) / stride + 1 (floor), same for W.
// Square windows; padding counts as -inf, and must be at most kernel / 2 (PyTorch's rule, which
// keeps every window over at least one real element). Backward sends each output's gradient to
// the first maximal element of its window (row-major), as PyTorch does.
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding = 0);

// Same windows and sizes as max_pool2d; the mean counts padded zeros (count_include_pad=True,
// PyTorch's default), so every output divides by kernel * kernel.
Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding = 0);

// x (N, C, H, W) -> (N, C, out_h, out_w). Output row i pools input rows
// [floor(i * H / out_h), ceil((i + 1) * H / out_h)) and likewise for columns (PyTorch's bins,
// which overlap when H is not a multiple of out_h).
Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w);
Tensor adaptive_max_pool2d(const Tensor& x, int64_t out_h, int64_t out_w);

}  // namespace fc
