// GEMM: the one matrix-multiply kernel everything heavy stands on (linear, matmul, conv via
// im2col, attention projections).
//
//   C (M, N) = alpha * op(A) (M, K) * op(B) (K, N) + beta * C
//
// Row-major; lda/ldb/ldc are row strides in elements. op(A) = A, or A^T when trans_a (then A is
// stored (K, M)); same for B. Transposed operands are read in place, never copied by the caller.
// beta = 0 overwrites C without reading it (C may hold garbage or NaN).
//
//   gemm({.trans_b = true}, M, N, K, 1.f, x, K, w, K, 0.f, y, N);   // y = x @ w^T (a Linear)
#pragma once

#include <cstdint>
#include <memory>

namespace fc {

// Which kernel runs. `automatic` picks the best the CPU supports, once per process (AVX-512 where
// the CPU has it, else AVX2+FMA). Tests force each path so both stay tested on AVX-512 machines.
enum class GemmIsa {
  automatic,
  avx2,       // 6x16 micro-tile in ymm registers
  avx512,     // 14x32 micro-tile in zmm registers; throws on a CPU without AVX-512F
  reference,  // gemm_reference
  // Test-only: the AVX-512 tile geometry (14x32) and blocking run with AVX2 instructions, so a
  // machine without AVX-512 still exercises that geometry's packing and edge tiles.
  avx2_wide_tile,
};

struct GemmConfig {
  bool trans_a = false;
  bool trans_b = false;
  int threads = 0;  // 0: OpenMP's current maximum (omp_get_max_threads)
  // Cache blocking (0 = the tuned defaults). Tests shrink these so that small matrices still
  // cross every block boundary of the packed kernel.
  int64_t block_m = 0, block_n = 0, block_k = 0;
  bool force_reference = false;  // the naive kernel, for tests and as the fallback
  GemmIsa isa = GemmIsa::automatic;
};

void gemm(const GemmConfig& config, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// op(B) (K, N) packed once into the micro-kernel's panel layout, for a B that many products share
// (a frozen Linear weight): gemm_prepacked_b then reads it in place instead of packing it per call,
// which for few rows (50 tokens) costs about as much as the multiply itself. The panels are padded
// to whole panels: K x round_up(N, 16) floats with AVX2 (bytes()).
//
//   PackedB w = gemm_pack_b(/*trans_b=*/true, K, N, weight, K);    // weight (N, K), once
//   gemm_prepacked_b({}, M, 1.f, x, K, w, 0.f, y, N);              // y = x @ weight^T, per call
struct PackedB {
  std::shared_ptr<const float> panels;
  int64_t k = 0, n = 0;
  GemmIsa isa = GemmIsa::automatic;  // the kernel the panels are laid out for (avx2 or avx512)
  bool defined() const { return panels != nullptr; }
  size_t bytes() const;
};
PackedB gemm_pack_b(bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb);
// C (M, N) = alpha * op(A) (M, K) * B + beta * C, with B from gemm_pack_b; config.trans_b, isa and
// the block sizes are ignored (the packing fixed them). Same results as gemm() with B unpacked.
void gemm_prepacked_b(const GemmConfig& config, int64_t m, float alpha, const float* a, int64_t lda, const PackedB& b,
                      float beta, float* c, int64_t ldc);

// The instruction set `automatic` resolves to on this CPU (avx512 or avx2).
GemmIsa gemm_default_isa();
const char* gemm_isa_name(GemmIsa isa);

// The naive triple loop (double accumulation), kept forever as the reference.
void gemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace fc
