// The AVX-512 micro-kernel. CMake compiles *_avx512.cpp files with -mavx512f/bw/dq/vl; gemm.cpp
// calls in here only after checking the CPU, so the binary still runs on AVX2-only machines.
#include "ops/kernels/gemm_microkernel.h"

namespace fc::gemm_detail {

// 32 zmm registers: a 14 x 32 tile holds 14 x 2 = 28 accumulators, plus 2 for the B row and 1
// for the A broadcast (31 of 32). Each k step issues 28 FMAs for 2 vector loads + 14 scalar
// broadcasts, so the two 512-bit FMA pipes (Zen 5, Intel server) stay ahead of the load ports,
// and 28 independent chains hide the 4-cycle FMA latency. (8 x 48 would also fit, 24
// accumulators, but 14 rows amortise each B load over more FMAs.)
//
// Blocking (kAvx512Geometry in gemm_packed.h) for a Zen 5 core (48 KiB L1d, 1 MiB L2, shared L3):
//  - kc = 192: the B micro-panel reused by the inner loop (kc x 32 floats = 24 KiB) takes half of
//    L1; the streaming A micro-panel (kc x 14 = 10.5 KiB) and the C tile share the rest.
//  - mc = 448 (32 tiles): the packed A block (mc x kc = 336 KiB) stays in L2, a third of it,
//    while every B micro-panel of the column block sweeps over it.
//  - nc = 3072: the packed B block (kc x nc = 2.25 MiB) lives in L3, reused by every A block.
MicroKernel micro_kernel_avx512() {
  MicroKernel k = kAvx512Geometry;
  k.by_rows = kernels_by_rows<xsimd::avx512f, 14, 2>();
  return k;
}

}  // namespace fc::gemm_detail
