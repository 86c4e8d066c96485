#include "ops/kernels/gemm.h"

#include "core/error.h"
#include "ops/kernels/gemm_packed.h"

namespace fc {

void gemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        float av = trans_a ? a[p * lda + i] : a[i * lda + p];
        float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += static_cast<double>(av) * bv;
      }
      float prev = beta == 0.f ? 0.f : beta * c[i * ldc + j];
      c[i * ldc + j] = static_cast<float>(alpha * acc) + prev;
    }
  }
}

namespace {

bool cpu_has_avx512() {
  // The *_avx512.cpp files are compiled with exactly these four extensions.
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

}  // namespace

// The one place the instruction set is chosen; the CPU does not change while we run.
GemmIsa gemm_default_isa() {
  static const GemmIsa isa = cpu_has_avx512() ? GemmIsa::avx512 : GemmIsa::avx2;
  return isa;
}

const char* gemm_isa_name(GemmIsa isa) {
  switch (isa) {
    case GemmIsa::automatic: return "automatic";
    case GemmIsa::avx2: return "avx2";
    case GemmIsa::avx512: return "avx512";
    case GemmIsa::reference: return "reference";
    case GemmIsa::avx2_wide_tile: return "avx2_wide_tile";
  }
  return "?";
}

void gemm(const GemmConfig& config, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  FC_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=", m, " n=", n, " k=", k);
  if (m == 0 || n == 0) return;
  GemmIsa isa = config.force_reference ? GemmIsa::reference : config.isa;
  if (isa == GemmIsa::automatic) isa = gemm_default_isa();
  if (isa == GemmIsa::reference || k == 0) {  // k == 0: C = beta * C, which the reference does
    gemm_reference(config.trans_a, config.trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  gemm_detail::MicroKernel kernel;
  switch (isa) {
    case GemmIsa::avx512:
      FC_CHECK(cpu_has_avx512(), "gemm: the avx512 path was requested on a CPU without AVX-512");
      kernel = gemm_detail::micro_kernel_avx512();
      break;
    case GemmIsa::avx2_wide_tile: kernel = gemm_detail::micro_kernel_avx2_wide_tile(); break;
    default: kernel = gemm_detail::micro_kernel_avx2(); break;
  }
  gemm_detail::gemm_packed(kernel, config, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace fc
