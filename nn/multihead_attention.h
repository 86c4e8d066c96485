// MultiheadAttention with PyTorch's parameter layout (in_proj_weight = [Wq; Wk; Wv] packed as
// (3E, E), in_proj_bias (3E), out_proj) but batch-first tensors. The attention itself is the fused
// kernel of ops/attention.h; no head split or merge copies anything.
//
//   MultiheadAttention attn(768, 12);
//   Tensor y = attn.forward(x, x, x);                       // self-attention, x (B, N, 768)
//   AttentionResult r = attn.forward_with_probs(q, k, v);   // r.probs (B, Q, K), mean over heads
//   auto kv = attn.project_key_value(k, v);                 // once per memory ...
//   Tensor y1 = attn.forward(q1, kv), y2 = attn.forward(q2, kv);   // ... for many queries
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

  // The key and value projections alone, so a memory that many query sets attend to (every
  // task's decoder over one encoder pass) is projected once. key, value (B, K, E) -> each (B, K, E).
  struct ProjectedKeyValue {
    Tensor k, v;
  };
  ProjectedKeyValue project_key_value(const Tensor& key, const Tensor& value) const;
  // The same results as forward(query, key, value) for kv = project_key_value(key, value).
  Tensor forward(const Tensor& query, const ProjectedKeyValue& kv, const AttentionOptions& options = {}) const;
  AttentionResult forward_with_probs(const Tensor& query, const ProjectedKeyValue& kv,
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
  AttentionResult attend_projected(const Tensor& query, const ProjectedKeyValue& kv, const AttentionOptions& options,
                                   bool with_probs) const;
  // x (B, L, E) through rows [part * E, (part + count) * E) of in_proj (count 3: the packed qkv).
  Tensor project(const Tensor& x, int part, int count) const;
  mutable PackedLinearWeight packed_in_proj_[4];  // q, k, v, then the packed (3E, E) whole
  // Projected heads q (B, H, Q, D), k and v (B, H, K, D) -> attention, then out_proj.
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options,
                         bool with_probs) const;
};

}  // namespace fc
