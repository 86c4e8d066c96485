#include "ops/attention.h"

#include <omp.h>

#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "ops/kernels/attention_kernel.h"

namespace fc {
namespace {

// The kernels read (B, H, L, D) operands through strides but need unit stride along D.
Tensor with_unit_last_stride(const Tensor& t) { return t.stride(3) == 1 ? t : t.contiguous(); }

template <class T>
HeadsOf<T> heads_view(T* data, const Tensor& t) {
  return {data, t.stride(0), t.stride(1), t.stride(2)};
}

ConstHeads heads_of(const Tensor& t) { return heads_view(t.data(), t); }
Heads heads_of_mutable(Tensor& t) { return heads_view(t.mutable_data(), t); }

// Everything the kernels need, with the tensors that own the memory kept alive beside it.
struct Prepared {
  Tensor q, k, v, mask;  // detached; mask expanded to (B, H, Q, K) (stride 0 where broadcast)
  AttentionArgs args;
};

Prepared prepare(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const AttentionOptions& options) {
  const char* op = "scaled_dot_product_attention";
  FC_CHECK(q_in.defined() && k_in.defined() && v_in.defined(), op, ": q, k and v must be defined");
  FC_CHECK(q_in.ndim() == 4 && k_in.ndim() == 4 && v_in.ndim() == 4, op, ": q ", q_in.shape(), ", k ", k_in.shape(),
           ", v ", v_in.shape(), ": expected (B, H, L, D) tensors");
  const int64_t B = q_in.size(0), H = q_in.size(1), Q = q_in.size(2), D = q_in.size(3), K = k_in.size(2);
  FC_CHECK(k_in.shape() == v_in.shape(), op, ": k ", k_in.shape(), " and v ", v_in.shape(), " differ in shape");
  FC_CHECK(k_in.size(0) == B && k_in.size(1) == H && k_in.size(3) == D, op, ": q ", q_in.shape(), ", k ", k_in.shape(),
           ": batch, heads and head dim must match");
  FC_CHECK(K > 0 && D > 0, op, ": q ", q_in.shape(), ", k ", k_in.shape(), ": need at least one key and D > 0");
  Prepared p;
  p.q = with_unit_last_stride(q_in.detach());
  p.k = with_unit_last_stride(k_in.detach());
  p.v = with_unit_last_stride(v_in.detach());
  AttentionArgs& a = p.args;
  a.batch = B;
  a.heads = H;
  a.queries = Q;
  a.keys = K;
  a.head_dim = D;
  a.scale = options.scale.value_or(1.f / std::sqrt(static_cast<float>(D)));
  a.q = heads_of(p.q);
  a.k = heads_of(p.k);
  a.v = heads_of(p.v);
  a.threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  if (options.mask.defined()) {
    const Tensor& m = options.mask;
    const Shape full{B, H, Q, K};
    bool ok = m.ndim() <= 4;
    for (int i = 1; ok && i <= m.ndim(); ++i) {
      const int64_t size = m.size(m.ndim() - i);
      ok = size == 1 || size == full[4 - i];
    }
    FC_CHECK(ok, op, ": mask ", m.shape(), " does not broadcast to (B, H, Q, K) = ", full);
    p.mask = m.detach().expand(full.to_vector());
    a.mask = {p.mask.data(), p.mask.stride(0), p.mask.stride(1), p.mask.stride(2), p.mask.stride(3)};
  }
  return p;
}

// Saved for backward: the inputs, the output and the per-row log-sum-exp from which the fused
// backward recomputes the probabilities tile by tile.
struct AttentionBackward : Node {
  Tensor q, k, v, mask;  // mask: the expanded constant, or undefined
  Tensor out;            // (B, H, Q, D)
  Tensor lse;            // (B, H, Q), +inf for fully masked rows
  float scale = 1.f;
  int threads = 1;
  bool reference = false;
  // One input, the packed qkv (B, L, 3*H*D): dq, dk and dv are written into the three column
  // blocks of its gradient, so no three zero-padded (B, L, 3*H*D) gradients get summed.
  bool packed = false;
  const char* name() const override {
    return packed ? "PackedSelfAttentionBackward" : "ScaledDotProductAttentionBackward";
  }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor g = with_unit_last_stride(grad.detach());
    AttentionArgs a;
    a.batch = q.size(0);
    a.heads = q.size(1);
    a.queries = q.size(2);
    a.keys = k.size(2);
    a.head_dim = q.size(3);
    a.scale = scale;
    a.q = heads_of(q);
    a.k = heads_of(k);
    a.v = heads_of(v);
    if (mask.defined()) a.mask = {mask.data(), mask.stride(0), mask.stride(1), mask.stride(2), mask.stride(3)};
    a.threads = threads;
    auto kernel = reference ? attention_backward_reference : attention_backward_fused;
    if (packed) {
      // Every element of the three blocks is written by the kernel, so empty is enough.
      const int64_t L = a.queries, E = a.heads * a.head_dim;
      Tensor dqkv = Tensor::empty({a.batch, L, 3 * E});
      float* d = dqkv.mutable_data();
      const auto block = [&](int i) { return Heads{d + i * E, L * 3 * E, a.head_dim, 3 * E}; };
      kernel(a, heads_of(out), heads_of(g), lse.data(), block(0), block(1), block(2));
      return {dqkv};
    }
    Tensor dq = Tensor::empty(q.shape()), dk = Tensor::empty(k.shape()), dv = Tensor::empty(v.shape());
    kernel(a, heads_of(out), heads_of(g), lse.data(), heads_of_mutable(dq), heads_of_mutable(dk), heads_of_mutable(dv));
    return {dq, dk, dv};
  }
};

// `packed`: q, k, v are the head views of this (B, L, 3*H*D) tensor, which alone gets the gradient.
AttentionResult attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options,
                          bool with_probs, const Tensor& packed = Tensor()) {
  Prepared p = prepare(q, k, v, options);
  const AttentionArgs& a = p.args;
  // (B, Q, H, D) memory seen as (B, H, Q, D): see "Output layout" in the header.
  Tensor out = Tensor::empty({a.batch, a.queries, a.heads, a.head_dim}).permute({0, 2, 1, 3});
  Tensor lse = Tensor::empty({a.batch, a.heads, a.queries});
  Tensor probs = with_probs ? Tensor::empty({a.batch, a.queries, a.keys}) : Tensor();
  auto kernel = options.force_reference ? attention_forward_reference : attention_forward_fused;
  kernel(a, heads_of_mutable(out), lse.mutable_data(), with_probs ? probs.mutable_data() : nullptr);
  if (packed.defined() ? needs_grad({packed}) : needs_grad({q, k, v})) {
    auto node = std::make_shared<AttentionBackward>();
    node->q = p.q;
    node->k = p.k;
    node->v = p.v;
    node->mask = p.mask;
    node->out = out.detach();
    node->lse = lse;
    node->scale = a.scale;
    node->threads = a.threads;
    node->reference = options.force_reference;
    node->packed = packed.defined();
    if (packed.defined())
      connect(out, node, {packed});
    else
      connect(out, node, {q, k, v});
  }
  return {out, probs};
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options) {
  return attention(q, k, v, options, false).out;
}

AttentionResult attention_with_probs(const Tensor& q, const Tensor& k, const Tensor& v,
                                     const AttentionOptions& options) {
  return attention(q, k, v, options, true);
}

AttentionResult self_attention_packed(const Tensor& qkv, int64_t heads, const AttentionOptions& options,
                                      bool with_probs) {
  FC_CHECK(qkv.defined(), "self_attention_packed: undefined tensor");
  FC_CHECK(qkv.ndim() == 3 && heads > 0 && qkv.size(2) % (3 * heads) == 0, "self_attention_packed: qkv ",
           qkv.shape(), " must be (B, L, 3*H*D) with H = ", heads);
  const int64_t B = qkv.size(0), L = qkv.size(1), D = qkv.size(2) / (3 * heads);
  // Detached views: the graph edge is qkv itself (see AttentionBackward::packed).
  Tensor qkv5 = qkv.detach().contiguous().view({B, L, 3, heads, D}).permute({2, 0, 3, 1, 4});
  return attention(qkv5.select(0, 0), qkv5.select(0, 1), qkv5.select(0, 2), options, with_probs, qkv);
}

}  // namespace fc
