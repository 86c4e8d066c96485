// Attention kernels on raw strided memory, internal to ops/ (ops/attention.cpp is the op).
// Two implementations with one interface:
//   fused:     flash-attention tiles (scores, online softmax, P*V per key tile); the full
//              (Q, K) score matrix never exists. Forward saves the per-row log-sum-exp; backward
//              recomputes P from q, k and it. SIMD via xsimd, AVX-512 or AVX2 picked at run time.
//   reference: materialises each score row in double; slow, obvious, kept as the oracle.
//
// Letters: B batch, H heads, Q queries, K keys, D head dim. Every (B, H, L, D) operand is a
// HeadsView with stride 1 along D; any other strides (permuted qkv views) are fine.
//
//   AttentionArgs a;
//   a.batch = B, a.heads = H, a.queries = Q, a.keys = K, a.head_dim = D, a.scale = 0.125f;
//   a.q = {q.data(), q.stride(0), q.stride(1), q.stride(2)};   // likewise k, v (and mask)
//   attention_forward_fused(a, out_heads, lse, /*probs=*/nullptr);
#pragma once

#include <cstdint>

namespace fc {

// (B, H, L, D) with unit stride along D; strides in elements.
template <class T>
struct HeadsOf {
  T* data = nullptr;
  int64_t stride_b = 0, stride_h = 0, stride_l = 0;
  T* rows(int64_t b, int64_t h) const { return data + b * stride_b + h * stride_h; }
};
using ConstHeads = HeadsOf<const float>;
using Heads = HeadsOf<float>;

// Additive mask read through (B, H, Q, K) strides; 0 where the user's mask broadcasts.
struct MaskView {
  const float* data = nullptr;  // null: no mask
  int64_t stride_b = 0, stride_h = 0, stride_q = 0, stride_k = 0;
  const float* row(int64_t b, int64_t h, int64_t i) const { return data + b * stride_b + h * stride_h + i * stride_q; }
};

struct AttentionArgs {
  int64_t batch = 0, heads = 0, queries = 0, keys = 0, head_dim = 0;
  float scale = 1.f;
  ConstHeads q, k, v;  // q (B, H, Q, D), k and v (B, H, K, D)
  MaskView mask;
  int threads = 1;
};

// out (B, H, Q, D) written; lse (B, H, Q) contiguous: log-sum-exp of each scaled, masked score row,
// +inf for a fully masked row (so that recomputed probabilities exp(s - lse) are 0 there).
// probs: null, or (B, Q, K) contiguous, overwritten with the probabilities averaged over heads.
void attention_forward_fused(const AttentionArgs& a, Heads out, float* lse, float* probs);
void attention_forward_reference(const AttentionArgs& a, Heads out, float* lse, float* probs);

// out and lse from the forward; grad_out (B, H, Q, D). dq (B, H, Q, D), dk, dv (B, H, K, D) are
// overwritten.
void attention_backward_fused(const AttentionArgs& a, ConstHeads out, ConstHeads grad_out, const float* lse, Heads dq,
                              Heads dk, Heads dv);
void attention_backward_reference(const AttentionArgs& a, ConstHeads out, ConstHeads grad_out, const float* lse,
                                  Heads dq, Heads dk, Heads dv);

// The instruction-set variants behind the fused entry points (chosen in attention_kernel.cpp;
// tests call each one the machine supports).
bool attention_avx512_supported();
void attention_forward_avx2(const AttentionArgs& a, Heads out, float* lse, float* probs);
void attention_backward_avx2(const AttentionArgs& a, ConstHeads out, ConstHeads grad_out, const float* lse, Heads dq,
                             Heads dk, Heads dv);
void attention_forward_avx512(const AttentionArgs& a, Heads out, float* lse, float* probs);
void attention_backward_avx512(const AttentionArgs& a, ConstHeads out, ConstHeads grad_out, const float* lse, Heads dq,
                               Heads dk, Heads dv);

}  // namespace fc
