// Scaled-dot-product multi-head attention as one fused (flash-attention style) op, forward and
// backward, plus the head-averaged attention probabilities that users inspect.
//
// Letters: B batch, H heads, Q queries (Lq), K keys (Lk), D head dim.
//
//   // qkv (B, N, 3*H*D) from one Linear; no copy is made for the three views.
//   Tensor qkv5 = qkv.view({B, N, 3, H, D}).permute({2, 0, 3, 1, 4});
//   Tensor o = scaled_dot_product_attention(qkv5.select(0, 0), qkv5.select(0, 1), qkv5.select(0, 2));
//   Tensor y = o.transpose(1, 2).reshape({B, N, H * D});   // free: see "Output layout"
//
//   AttentionOptions opts;
//   opts.mask = key_mask;                                   // (B, 1, 1, K), 0 or -inf
//   AttentionResult r = attention_with_probs(q, k, v, opts);
//   r.probs;                                                // (B, Q, K), mean over heads
//
// Math (PyTorch's): out = softmax(q k^T * scale + mask) v, softmax over keys.
//
// Inputs may be any strided views whose last (D) dim has stride 1; they are read in place.
// Output layout: out has shape (B, H, Q, D) but its memory is a contiguous (B, Q, H, D) buffer
// (out = buffer.permute(0, 2, 1, 3)), so out.transpose(1, 2) is contiguous and the reshape to
// (B, Q, H*D) for the output projection copies nothing.
//
// Fully masked rows (every key -inf for a query): the output row, its probabilities and every
// gradient through it are 0, not NaN. This matches PyTorch >= 2.5's math backend
// (torch._safe_softmax); plain softmax(...) in older PyTorch gives NaN there.
//
// Gradients flow to q, k and v; the mask is a constant (it never receives a gradient) and the
// probabilities are an inspection output, not differentiable.
#pragma once

#include <optional>

#include "core/tensor.h"

namespace fc {

struct AttentionOptions {
  // Additive mask broadcastable to (B, H, Q, K), e.g. (Q, K) or (B, 1, 1, K) with -inf for
  // masked keys. Undefined: no mask.
  Tensor mask;
  std::optional<float> scale;  // default 1 / sqrt(D)
  int threads = 0;             // 0: OpenMP's current maximum
  // The naive kernels (materialised scores) instead of the fused ones, forward and backward;
  // for tests and as the fallback when something looks off.
  bool force_reference = false;
};

struct AttentionResult {
  Tensor out;    // (B, H, Q, D), laid out (B, Q, H, D) as above; differentiable
  Tensor probs;  // (B, Q, K): softmax probabilities averaged over heads; no gradient
};

// q (B, H, Q, D), k (B, H, K, D), v (B, H, K, D) -> (B, H, Q, D)
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options = {});

// Same output, plus probs (B, Q, K). The probabilities cost a second sweep over the scores
// (about half the forward's work again); the full (B, H, Q, K) tensor is never stored.
AttentionResult attention_with_probs(const Tensor& q, const Tensor& k, const Tensor& v,
                                     const AttentionOptions& options = {});

// Self-attention on one packed projection: qkv (B, L, 3*H*D), [q | k | v] along the last dim,
// -> (B, H, L, D) laid out as above. The same numbers as scaled_dot_product_attention on the three
// head views of qkv (the example at the top), but the backward writes dq, dk and dv straight into
// one (B, L, 3*H*D) gradient instead of three zero-padded ones that autograd then sums.
//   Tensor o = self_attention_packed(qkv, H).out;
AttentionResult self_attention_packed(const Tensor& qkv, int64_t heads, const AttentionOptions& options = {},
                                      bool with_probs = false);

}  // namespace fc
