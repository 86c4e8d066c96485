// MultiheadAttention with PyTorch's parameter layout (in_proj_weight = [Wq; Wk; Wv] packed as
// (3E, E), in_proj_bias (3E), out_proj) but batch-first tensors. The attention itself is the fused
// kernel of ops/attention.h; no head split or merge copies anything.
//
//   MultiheadAttention attn(768, 12);
//   Tensor y = attn.forward(x, x, x);                       // self-attention, x (B, N, 768)
//   AttentionResult r = attn.forward_with_probs(q, k, v);   // r.probs (B, Q, K), mean over heads
#pragma once

#include "nn/linear.h"
#include "nn/module.h"
#include "ops/attention.h"

namespace fc {

class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads);

  // query (B, Q, E), key (B, K, E), value (B, K, E) -> (B, Q, E). When query, key and value are
  // the same tensor, one packed (E -> 3E) projection is used.
  Tensor forward(const Tensor& query, const Tensor& key, const Tensor& value,
                 const AttentionOptions& options = {}) const;
  // Also the attention probabilities averaged over heads, (B, Q, K) (not differentiable).
  AttentionResult forward_with_probs(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const AttentionOptions& options = {}) const;

  int64_t embed_dim, num_heads;
  Tensor in_proj_weight;  // (3E, E)
  Tensor in_proj_bias;    // (3E)
  Linear out_proj;        // (E, E)

 protected:
  void reset_parameters(Rng& rng) override;

 private:
  AttentionResult run(const Tensor& query, const Tensor& key, const Tensor& value, const AttentionOptions& options,
                      bool with_probs) const;
};

}  // namespace fc
