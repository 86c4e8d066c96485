#include "nn/adamw_kernel.h"

#include <immintrin.h>

#include <cmath>

namespace fc {
namespace {

// torch rounds p * (1 - lr*wd) to float before the addcdiv_ (two kernels); the empty asm makes the
// product a value in a register, so GCC (which contracts across statements in C++ mode) cannot
// fuse it with the final add into an fma, in the vector body and the scalar tail alike.
template <class T>
T rounded(T x) {
  asm("" : "+x"(x));
  return x;
}

}  // namespace

// The scalar loop did not vectorise (std::sqrt sets errno, and the project does not build with
// -fno-math-errno): 1.5 s per Base step. The intrinsics below are the same correctly rounded
// float operations (sqrt and div are correctly rounded in both, every fma is explicit), so both
// paths agree to the bit and a tensor gives the same result however it is split into chunks.
void adamw_update_reference(float* p, const float* g, float* m, float* v, int64_t n, const AdamWScalars& s) {
  for (int64_t i = 0; i < n; ++i) {
    const float pd = rounded(p[i] * s.decay);
    m[i] = std::fma(g[i], s.one_minus_beta1, m[i] * s.beta1);  // add_ with alpha is an fma in torch
    v[i] = std::fma(s.one_minus_beta2 * g[i], g[i], v[i] * s.beta2);  // addcmul_: self + value * t1 * t2
    const float denom = std::sqrt(v[i]) / s.bias_correction2_sqrt + s.eps;
    p[i] = pd + s.neg_step_size * m[i] / denom;  // addcdiv_: self + value * t1 / t2
  }
}

void adamw_update(float* p, const float* g, float* m, float* v, int64_t n, const AdamWScalars& s) {
  const __m256 decay = _mm256_set1_ps(s.decay), b1 = _mm256_set1_ps(s.beta1), omb1 = _mm256_set1_ps(s.one_minus_beta1);
  const __m256 b2 = _mm256_set1_ps(s.beta2), omb2 = _mm256_set1_ps(s.one_minus_beta2);
  const __m256 bc2 = _mm256_set1_ps(s.bias_correction2_sqrt), neg_step = _mm256_set1_ps(s.neg_step_size);
  const __m256 eps = _mm256_set1_ps(s.eps);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + i);
    const __m256 pd = rounded(_mm256_mul_ps(_mm256_loadu_ps(p + i), decay));
    const __m256 mi = _mm256_fmadd_ps(gi, omb1, _mm256_mul_ps(_mm256_loadu_ps(m + i), b1));
    const __m256 vi = _mm256_fmadd_ps(_mm256_mul_ps(omb2, gi), gi, _mm256_mul_ps(_mm256_loadu_ps(v + i), b2));
    const __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), bc2), eps);
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    _mm256_storeu_ps(p + i, _mm256_add_ps(pd, _mm256_div_ps(_mm256_mul_ps(neg_step, mi), denom)));
  }
  adamw_update_reference(p + i, g + i, m + i, v + i, n - i, s);
}

}  // namespace fc
