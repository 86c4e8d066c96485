// The fused attention kernels for the x86-64-v3 baseline (AVX2 + FMA), and the one place that
// picks the instruction set at run time.
#include "ops/kernels/attention_fused.h"

namespace fc {

void attention_forward_avx2(const AttentionArgs& a, Heads out, float* lse, float* probs) {
  AttentionFused<xsimd::fma3<xsimd::avx2>>::forward(a, out, lse, probs);
}

void attention_backward_avx2(const AttentionArgs& a, ConstHeads out, ConstHeads grad_out, const float* lse, Heads dq,
                             Heads dk, Heads dv) {
  AttentionFused<xsimd::fma3<xsimd::avx2>>::backward(a, out, grad_out, lse, dq, dk, dv);
}

bool attention_avx512_supported() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  return yes;
}

void attention_forward_fused(const AttentionArgs& a, Heads out, float* lse, float* probs) {
  if (attention_avx512_supported()) return attention_forward_avx512(a, out, lse, probs);
  attention_forward_avx2(a, out, lse, probs);
}

void attention_backward_fused(const AttentionArgs& a, ConstHeads out, ConstHeads grad_out, const float* lse, Heads dq,
                              Heads dk, Heads dv) {
  if (attention_avx512_supported()) return attention_backward_avx512(a, out, grad_out, lse, dq, dk, dv);
  attention_backward_avx2(a, out, grad_out, lse, dq, dk, dv);
}

}  // namespace fc
