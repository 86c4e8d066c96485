#include "nn/multihead_attention.h"

#include "core/error.h"
#include "nn/init.h"
#include "ops/matmul.h"

namespace fc {

MultiheadAttention::MultiheadAttention(int64_t embed_dim_, int64_t num_heads_)
    : embed_dim(embed_dim_), num_heads(num_heads_), out_proj(embed_dim_, embed_dim_) {
  FC_CHECK(num_heads > 0 && embed_dim % num_heads == 0, "MultiheadAttention: embed_dim ", embed_dim,
           " is not divisible by num_heads ", num_heads);
  register_parameter("in_proj_weight", &in_proj_weight, Tensor::empty({3 * embed_dim, embed_dim}));
  register_parameter("in_proj_bias", &in_proj_bias, Tensor::empty({3 * embed_dim}));
  register_module("out_proj", &out_proj);
}

void MultiheadAttention::reset_parameters(Rng& rng) {
  // PyTorch: xavier_uniform_ on the packed (3E, E) matrix, zero biases (out_proj's weight keeps
  // its Linear init, drawn when the child is visited).
  xavier_uniform_(in_proj_weight, rng, embed_dim, 3 * embed_dim);
  fill_(in_proj_bias, 0.f);
}

Tensor MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const AttentionOptions& options) const {
  return run(query, key, value, options, false).out;
}

AttentionResult MultiheadAttention::forward_with_probs(const Tensor& query, const Tensor& key, const Tensor& value,
                                                       const AttentionOptions& options) const {
  return run(query, key, value, options, true);
}

namespace {

void check_shapes(const Tensor& query, const Tensor& key, const Tensor& value, int64_t E) {
  FC_CHECK(query.ndim() == 3 && key.ndim() == 3 && value.ndim() == 3 && query.size(2) == E && key.size(2) == E &&
               value.size(2) == E && key.size(1) == value.size(1) && query.size(0) == key.size(0) &&
               key.size(0) == value.size(0),
           "MultiheadAttention: query ", query.shape(), ", key ", key.shape(), ", value ", value.shape(),
           " must be (B, L, ", E, ") with matching B and key/value lengths");
}

// (B, L, H*D) -> (B, H, L, D) views whose D dim has stride 1: what the fused kernel reads.
Tensor split_heads(const Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).permute({0, 2, 1, 3});
}

}  // namespace

MultiheadAttention::ProjectedKeyValue MultiheadAttention::project_key_value(const Tensor& key,
                                                                            const Tensor& value) const {
  const int64_t E = embed_dim;
  check_shapes(key, key, value, E);
  return {project(key, 1, 1), project(value, 2, 1)};
}

Tensor MultiheadAttention::forward(const Tensor& query, const ProjectedKeyValue& kv,
                                   const AttentionOptions& options) const {
  return attend_projected(query, kv, options, false).out;
}

AttentionResult MultiheadAttention::forward_with_probs(const Tensor& query, const ProjectedKeyValue& kv,
                                                       const AttentionOptions& options) const {
  return attend_projected(query, kv, options, true);
}

AttentionResult MultiheadAttention::attend_projected(const Tensor& query, const ProjectedKeyValue& kv,
                                                     const AttentionOptions& options, bool with_probs) const {
  const int64_t E = embed_dim;
  check_shapes(query, kv.k, kv.v, E);
  Tensor q = project(query, 0, 1);
  return attend(split_heads(q, num_heads), split_heads(kv.k, num_heads), split_heads(kv.v, num_heads), options,
                with_probs);
}

AttentionResult MultiheadAttention::run(const Tensor& query, const Tensor& key, const Tensor& value,
                                        const AttentionOptions& options, bool with_probs) const {
  const int64_t E = embed_dim, H = num_heads;
  check_shapes(query, key, value, E);
  if (query.impl() == key.impl() && key.impl() == value.impl()) {
    // One packed (E -> 3E) projection, read as q, k, v heads in place; its gradient is one tensor.
    const int64_t B = query.size(0), Q = query.size(1);
    AttentionResult r = self_attention_packed(project(query, 0, 3), H, options, with_probs);
    r.out = out_proj.forward(r.out.transpose(1, 2).reshape({B, Q, E}));  // laid out (B, Q, H, D): no copy
    return r;
  }
  return attend_projected(query, project_key_value(key, value), options, with_probs);
}

Tensor MultiheadAttention::project(const Tensor& x, int part, int count) const {
  const int64_t E = embed_dim;
  if (count == 3) return linear_cached(*this, packed_in_proj_[3], x, in_proj_weight, in_proj_bias);
  return linear_cached(*this, packed_in_proj_[part], x, in_proj_weight.narrow(0, part * E, E),
                       in_proj_bias.narrow(0, part * E, E));
}

AttentionResult MultiheadAttention::attend(const Tensor& q, const Tensor& k, const Tensor& v,
                                           const AttentionOptions& options, bool with_probs) const {
  const int64_t B = q.size(0), Q = q.size(2), E = embed_dim;
  AttentionResult r = with_probs ? attention_with_probs(q, k, v, options)
                                 : AttentionResult{scaled_dot_product_attention(q, k, v, options), Tensor()};
  // The kernel's output is laid out (B, Q, H, D), so this reshape is free.
  r.out = out_proj.forward(r.out.transpose(1, 2).reshape({B, Q, E}));
  return r;
}

}  // namespace fc
