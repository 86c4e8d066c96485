// The register-blocked GEMM micro-kernel, written once over xsimd's width-agnostic batch and
// instantiated per instruction set by gemm_avx2.cpp and gemm_avx512.cpp (each compiled with its
// own -m flags). Internal to ops/kernels.
//
//   MicroKernelFn fn = &micro_kernel<xsimd::fma3<xsimd::avx2>, 6, 2>;   // a 6 x 16 tile
//   const MicroKernelFn* by_rows = kernels_by_rows<xsimd::fma3<xsimd::avx2>, 6, 2>();
//
// Everything here has internal linkage (anonymous namespace) on purpose: the same inline code is
// compiled with AVX2 flags in one file and AVX-512 flags in another, and with external linkage the
// linker could keep the AVX-512 copy for the AVX2 path, which then faults on an AVX2-only CPU.
#pragma once

#include <immintrin.h>

#include <array>
#include <utility>

#include <xsimd/xsimd.hpp>

#include "ops/kernels/gemm_packed.h"

namespace fc::gemm_detail {
namespace {

// xsimd 8.1 fuses only for the fma3<...> architectures; for avx512f it falls back to x * y + z,
// which our ISO C++ build (-ffp-contract=off) keeps as two roundings and two instructions.
template <class Arch>
inline xsimd::batch<float, Arch> multiply_add(const xsimd::batch<float, Arch>& x, const xsimd::batch<float, Arch>& y,
                                              const xsimd::batch<float, Arch>& z) {
  return xsimd::fma(x, y, z);
}
#if defined(__AVX512F__)
inline xsimd::batch<float, xsimd::avx512f> multiply_add(const xsimd::batch<float, xsimd::avx512f>& x,
                                                        const xsimd::batch<float, xsimd::avx512f>& y,
                                                        const xsimd::batch<float, xsimd::avx512f>& z) {
  return _mm512_fmadd_ps(x, y, z);
}
#endif

// C tile (ROWS, NV * W) += A panel (ROWS, kc) * B panel (kc, NV * W), W = floats per register,
// from an A panel packed MR rows wide (ROWS < MR only for the last rows of a matrix).
// The ROWS x NV accumulators stay in registers for the whole kc loop; each step loads NV vectors
// of B and broadcasts ROWS scalars of A, so the loop issues ROWS * NV FMAs per ROWS + NV loads.
template <class Arch, int MR, int NV, int ROWS = MR>
void micro_kernel(const MicroTile& tile) {
  using Vec = xsimd::batch<float, Arch>;
  constexpr int W = static_cast<int>(Vec::size);
  constexpr int NR = NV * W;

  // C rows are far apart (ldc) and were last touched a whole A block ago, so they are likely out
  // of L1/L2: start fetching them now, a full kc loop before the stores below need them.
#pragma GCC unroll 32
  for (int i = 0; i < ROWS; ++i) {
    __builtin_prefetch(tile.c + i * tile.ldc, 1);
    __builtin_prefetch(tile.c + i * tile.ldc + NR - 1, 1);
  }

  Vec acc[ROWS][NV];
#pragma GCC unroll 32
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) acc[i][j] = Vec(0.f);

  const float* a = tile.a;
  const float* b = tile.b;
#pragma GCC unroll 4
  for (int64_t p = 0; p < tile.kc; ++p) {
    Vec bv[NV];
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) bv[j] = Vec::load_aligned(b + j * W);
#pragma GCC unroll 32
    for (int i = 0; i < ROWS; ++i) {
      Vec av(a[i]);
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) acc[i][j] = multiply_add(av, bv[j], acc[i][j]);
    }
    a += MR;
    b += NR;
  }

  const Vec alpha(tile.alpha), beta(tile.beta);
  if (tile.m == ROWS && tile.n == NR) {
#pragma GCC unroll 32
    for (int i = 0; i < ROWS; ++i) {
      float* c = tile.c + i * tile.ldc;
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) {
        Vec r = acc[i][j] * alpha;
        if (tile.beta != 0.f) r = multiply_add(beta, Vec::load_unaligned(c + j * W), r);
        r.store_unaligned(c + j * W);
      }
    }
    return;
  }
  // Edge tile: the padded panels made a full tile; only its valid m x n corner reaches C.
  alignas(64) float buffer[ROWS * NR];
#pragma GCC unroll 32
  for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NV; ++j) (acc[i][j] * alpha).store_aligned(buffer + i * NR + j * W);
  for (int i = 0; i < tile.m; ++i) {
    float* c = tile.c + i * tile.ldc;
    const float* r = buffer + i * NR;
    if (tile.beta == 0.f) {
      for (int j = 0; j < tile.n; ++j) c[j] = r[j];
    } else {
      for (int j = 0; j < tile.n; ++j) c[j] = r[j] + tile.beta * c[j];
    }
  }
}

template <class Arch, int MR, int NV, int... Rows>
constexpr std::array<MicroKernelFn, MR + 1> make_kernels_by_rows(std::integer_sequence<int, Rows...>) {
  return {nullptr, &micro_kernel<Arch, MR, NV, Rows + 1>...};
}

// The table MicroKernel::by_rows points at: entry m computes m rows of an MR-row tile.
template <class Arch, int MR, int NV>
const MicroKernelFn* kernels_by_rows() {
  static constexpr std::array<MicroKernelFn, MR + 1> table =
      make_kernels_by_rows<Arch, MR, NV>(std::make_integer_sequence<int, MR>{});
  return table.data();
}

}  // namespace
}  // namespace fc::gemm_detail
