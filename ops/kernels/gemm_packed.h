// Internals of the packed GEMM (ops/kernels/gemm.cpp dispatches here): the micro-kernel contract
// shared by the instruction-set files, and the cache-blocked driver that packs operands and calls
// a micro-kernel tile by tile. Internal to ops/kernels; callers use gemm() from gemm.h.
//
//   MicroKernel kernel = micro_kernel_avx2();   // or micro_kernel_avx512() on an AVX-512 CPU
//   gemm_packed(kernel, config, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#pragma once

#include <cstdint>

#include "ops/kernels/gemm.h"

namespace fc::gemm_detail {

// One register tile: C (m, n) = alpha * A_panel (m, kc) * B_panel (kc, n) + beta * C, m <= mr,
// n <= nr. Panels are packed (see gemm_packed.cpp): A as kc groups of mr floats (row i of the
// tile at a[p * mr + i]), B as kc groups of nr floats, 64-byte aligned, zero-padded past m and n.
struct MicroTile {
  int64_t kc;
  const float* a;
  const float* b;
  float* c;
  int64_t ldc;
  int m, n;
  float alpha, beta;  // beta == 0: C is written without being read
};
using MicroKernelFn = void (*)(const MicroTile& tile);

// A micro-kernel with its register-tile geometry and the cache blocking tuned for it.
struct MicroKernel {
  // by_rows[m] computes a tile of m rows, 1 <= m <= mr: the last row tile of a matrix (50 rows =
  // 3 x 14 + 8) then costs 8 rows of FMAs, not 14.
  const MicroKernelFn* by_rows;
  int mr, nr;              // register tile
  int64_t mc, kc, nc;      // cache blocks (see the .cpp of each instruction set for why)
  const char* name;
};

// The AVX-512 tile geometry and blocking without its function (a constant, so no code compiled with
// AVX-512 flags is shared with the AVX2 files). Why these numbers: gemm_avx512.cpp.
inline constexpr MicroKernel kAvx512Geometry{nullptr, 14, 32, 448, 192, 3072, "avx512 14x32"};

MicroKernel micro_kernel_avx2();
MicroKernel micro_kernel_avx2_wide_tile();
MicroKernel micro_kernel_avx512();  // call only when the CPU supports AVX-512F/BW/DQ/VL

// The Goto/BLIS loop nest around `kernel`, split across OpenMP threads. k > 0.
void gemm_packed(const MicroKernel& kernel, const GemmConfig& config, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// A whole op(B) (K, N) packed once (gemm.h PackedB): for each k block of kernel.kc rows (the last
// may be shorter, kb rows), the ceil(N / nr) micro-panels of that block, each kb x nr, zero-padded
// past N. So the block (pc, columns jc..) of gemm_serial is one contiguous run at
// pc * round_up(N, nr) + jc * kb, and a call reads it in place instead of packing.
int64_t packed_b_floats(const MicroKernel& kernel, int64_t k, int64_t n);
void pack_b_whole(const MicroKernel& kernel, bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb,
                  float* dst);
// gemm_packed with B from pack_b_whole (same kernel); config.trans_b and block_k are ignored.
void gemm_prepacked(const MicroKernel& kernel, const GemmConfig& config, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* packed_b, float beta, float* c, int64_t ldc);

}  // namespace fc::gemm_detail
