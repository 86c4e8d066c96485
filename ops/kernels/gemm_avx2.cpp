// The AVX2 + FMA micro-kernel (the baseline build flags, x86-64-v3).
#include "ops/kernels/gemm_microkernel.h"

namespace fc::gemm_detail {

// 16 ymm registers: a 6 x 16 tile holds 6 x 2 = 12 accumulators, plus 2 for the B row and 1 for
// the A broadcast (15 of 16). Twelve independent FMA chains cover 2 FMA pipes x 4-5 cycles of
// latency, and each k step does 12 FMAs for 8 loads, well within 2-3 loads per cycle.
//
// Blocking for a Zen 3-class core (32 KiB L1d, 512 KiB L2, shared L3):
//  - kc = 256: the B micro-panel the inner loop reuses (kc x 16 floats = 16 KiB) fills half of
//    L1, leaving the other half for the streaming A micro-panel (kc x 6 = 6 KiB) and the C tile.
//  - mc = 144: the packed A block (mc x kc = 144 KiB) stays in L2 while every B micro-panel of the
//    column block sweeps over it; well under half of a 512 KiB L2, so B panels do not evict it.
//  - nc = 2048: the packed B block (kc x nc = 2 MiB) lives in L3 and is reused by every A block.
MicroKernel micro_kernel_avx2() {
  return {kernels_by_rows<xsimd::fma3<xsimd::avx2>, 6, 2>(), 6, 16, 144, 256, 2048, "avx2 6x16"};
}

// The AVX-512 geometry and blocks (gemm_avx512.cpp) on ymm registers: 56 accumulators spill, so it
// is slow, but it runs the 14 x 32 packing and edge paths on CPUs without AVX-512 (tests only).
MicroKernel micro_kernel_avx2_wide_tile() {
  MicroKernel k = kAvx512Geometry;
  k.by_rows = kernels_by_rows<xsimd::fma3<xsimd::avx2>, 14, 4>();
  k.name = "avx2 14x32 (test geometry)";
  return k;
}

}  // namespace fc::gemm_detail
