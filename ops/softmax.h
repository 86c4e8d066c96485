// Softmax and log-softmax along one dim (negative dims count from the end). Both subtract the
// maximum along the dim first, so large logits do not overflow; both differentiate from their
// saved output, as PyTorch does.
//
//   Tensor attn = fc::softmax(scores, -1);        // scores (B, H, N, N) -> (B, H, N, N)
//   Tensor logp = fc::log_softmax(logits, 1);     // logits (B, K) -> (B, K)
#pragma once

#include "core/tensor.h"

namespace fc {

// x (..., K, ...) -> same shape; exp(x - max) / sum(exp(x - max)) along dim.
Tensor softmax(const Tensor& x, int dim);
// x (..., K, ...) -> same shape; x - max - log(sum(exp(x - max))) along dim.
Tensor log_softmax(const Tensor& x, int dim);

}  // namespace fc
