// The fused attention kernels compiled for AVX-512 (CMake adds the flags to *_avx512.cpp only).
// GCC 12's avx512fintrin.h builds masked intrinsics on _mm512_undefined_ps(), which -O3 reports
// as "may be used uninitialized" wherever xsimd inlines them; the value is never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "ops/kernels/attention_fused.h"

namespace fc {

void attention_forward_avx512(const AttentionArgs& a, Heads out, float* lse, float* probs) {
  AttentionFused<xsimd::avx512f>::forward(a, out, lse, probs);
}

void attention_backward_avx512(const AttentionArgs& a, ConstHeads out, ConstHeads grad_out, const float* lse, Heads dq,
                               Heads dk, Heads dv) {
  AttentionFused<xsimd::avx512f>::backward(a, out, grad_out, lse, dq, dk, dv);
}

}  // namespace fc
