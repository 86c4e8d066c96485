// Building blocks of the fused attention kernel (register tiles, online softmax rows), templated
// on the xsimd instruction set; attention_fused.h drives them, and one .cpp per ISA
// (attention_kernel.cpp: AVX2, attention_kernel_avx512.cpp: AVX-512) instantiates both. Everything
// here is in an anonymous namespace so each ISA's copy stays private to its translation unit
// (no inline function compiled with AVX-512 can be picked by the linker for the AVX2 path).
//
// Blocking (W = floats per vector, 16 on AVX-512):
//   key tile     64 keys: a score row is 64 / W vectors (4 or 8), so the softmax of a row stays
//                in registers, and P V runs 64 deep per call;
//   query tile   up to 60 rows (10 register tiles on AVX-512, 20 on AVX2);
//   register tile kRows x 4 vectors of accumulators (6 x 4 = 24 of 32 zmm, 3 x 4 = 12 of 16 ymm).
// K is packed once per (batch, head) as one contiguous (D, 64) block of K^T per key tile
// (zero-padded past the last key) so score tiles stream keys as vectors. Products whose vector dim is D (P V, dS K, P^T
// dO, dS^T Q) read rows of D floats; when D is not a multiple of W those operands are copied with rows padded to Dp,
// otherwise the backward reads them in place through their strides. The masked forward always copies V, and each query
// tile, into dense rows: rows of a fused qkv buffer are 3 C floats apart (9 KiB at C = 768), so the 64 V rows of a
// key tile fall into a quarter of L1's sets and evict each other on every pass of the P V product. Per tile the working set (Q rows, K^T tile, V tile, scores,
// output tile: ~16 KB each at D = 64) sits in L1/L2, which is what makes the fusion pay: scores never go to memory.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <new>
#include <xsimd/xsimd.hpp>

#include "core/buffer_pool.h"
#include "ops/kernels/attention_kernel.h"

namespace fc {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kPosInf = std::numeric_limits<float>::infinity();
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2 = 0.693147180559945309f;

// 0, 1, ..., 63: compared against the key count to mask the keys past the end of a short tile.
alignas(64) constexpr float kKeyIndex[64] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                             16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
                                             32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
                                             48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};

// 64-byte aligned scratch, owned by one thread or one call. Zeroed unless the caller writes every
// element before reading it (the packed operands): the score kernel leaves the columns past a
// short last key tile unwritten, and those are masked before use but should hold numbers.
// Taken from the process BufferPool: the packed K and V of a 1k-token layer are ~3 MiB each, and
// a fresh mapping per call would page-fault them in again on every layer.
enum class Fill { zeros, none };
class AlignedFloats {
 public:
  explicit AlignedFloats(int64_t n, Fill fill = Fill::zeros)
      : bytes_(static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(float)),
        data_(static_cast<float*>(BufferPool::process().acquire(bytes_))) {
    if (fill == Fill::zeros) std::fill_n(data_, std::max<int64_t>(n, 1), 0.f);
  }
  ~AlignedFloats() { BufferPool::process().release(data_, bytes_); }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  float* get() const { return data_; }

 private:
  size_t bytes_;
  float* data_;
};

inline int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

// A (rows, Dp) operand read by the D-vectorised products: the caller's memory when its rows
// already hold whole vectors, else a zero-padded copy.
struct RowOperand {
  const float* data;
  int64_t ld;
};

// dst (rows, Dp) = src (rows, D) rows ld apart, zero-padded from D to Dp.
inline RowOperand copy_rows_padded(const float* src, int64_t ld, int64_t rows, int64_t D, int64_t Dp, float* dst) {
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(dst + r * Dp, src + r * ld, static_cast<size_t>(D) * sizeof(float));
    std::fill(dst + r * Dp + D, dst + (r + 1) * Dp, 0.f);
  }
  return {dst, Dp};
}

inline RowOperand rows_padded(const float* src, int64_t ld, int64_t rows, int64_t D, int64_t Dp, float* scratch) {
  if (D == Dp) return {src, ld};
  return copy_rows_padded(src, ld, rows, D, Dp, scratch);
}

// src (rows, D) -> dst as consecutive (D, tile) blocks of src^T, one per tile of rows, zero-padded
// past the last row: the score kernel then streams one contiguous block per key tile, and key
// tile t (first key c0 = t * tile) starts at dst + c0 * D.
inline void pack_key_tiles(const float* src, int64_t ld, int64_t rows, int64_t D, int64_t tile, float* dst) {
  for (int64_t c0 = 0; c0 < rows; c0 += tile) {
    float* block = dst + c0 * D;
    const int64_t n = std::min(tile, rows - c0);
    for (int64_t d = 0; d < D; ++d) std::fill(block + d * tile + n, block + (d + 1) * tile, 0.f);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t d = 0; d < D; ++d) block[d * tile + j] = src[(c0 + j) * ld + d];
  }
}

// 2^x for -127 <= x <= 0, x = n + r with |r| <= 1/2: 2^r by its degree-6 Taylor polynomial
// (truncation error (r ln2)^7 / 7! < 1.3e-7, about 1 ulp), 2^n built in the exponent bits (n =
// -127 gives the bit pattern 0). The scores are pre-multiplied by log2(e), which saves e^x's ln2
// range reduction. Callers decide what x below -127 (and -inf) gives.
template <class Arch>
inline xsimd::batch<float, Arch> exp2_reduced(xsimd::batch<float, Arch> x) {
  using V = xsimd::batch<float, Arch>;
  using I = xsimd::batch<int32_t, Arch>;
  // Adding 1.5 * 2^23 rounds to the nearest integer and leaves it in the low mantissa bits.
  const V shifted = x + V(12582912.f);
  const V r = x - (shifted - V(12582912.f));
  V p(1.5403530393381606e-4f);
  p = xsimd::fma(p, r, V(1.3333558146428443e-3f));
  p = xsimd::fma(p, r, V(9.6181291076284772e-3f));
  p = xsimd::fma(p, r, V(5.5504108664821580e-2f));
  p = xsimd::fma(p, r, V(2.4022650695910071e-1f));
  p = xsimd::fma(p, r, V(6.9314718055994531e-1f));
  p = xsimd::fma(p, r, V(1.f));
  const I bits = (xsimd::bitwise_cast<I>(shifted) - I(0x4B400000 - 127)) << 23;
  return p * xsimd::bitwise_cast<V>(bits);
}

template <class Arch>
struct AttentionTiles {
  using V = xsimd::batch<float, Arch>;
  static constexpr int W = static_cast<int>(V::size);
  static constexpr int kRows = W == 16 ? 6 : 3;  // AVX2 has 16 registers: 3 x 4 accumulators
  static constexpr int kVecs = 4;                // vectors per register-tile row
  static constexpr int64_t kKeyTile = 64;        // keys per tile: 64 / W vectors per score row
  static_assert(kKeyTile <= static_cast<int64_t>(std::size(kKeyIndex)));
  static constexpr int kKeyVecs = static_cast<int>(kKeyTile / W);
  static constexpr int64_t kQueryTile = 60;  // a multiple of kRows (6 and 3)
  static_assert(kKeyTile % (kVecs * W) == 0 && kQueryTile % kRows == 0);

  // c (MR, kVecs*W) = a (MR, depth) * bt (depth, kVecs*W); a rows lda apart, bt rows kKeyTile
  // apart (a packed key block), c rows kKeyTile apart. Accumulators are a flat array: GCC keeps
  // those in registers more reliably than a 2-D one.
  template <int MR>
  static void score_block(const float* a, int64_t lda, const float* bt, int64_t depth, float* c) {
    V acc[MR * kVecs];
    for (int i = 0; i < MR * kVecs; ++i) acc[i] = V(0.f);
    for (int64_t d = 0; d < depth; ++d) {
      V bv[kVecs];
      for (int j = 0; j < kVecs; ++j) bv[j] = V::load_aligned(bt + d * kKeyTile + j * W);
      for (int r = 0; r < MR; ++r) {
        V ar(a[r * lda + d]);
        for (int j = 0; j < kVecs; ++j) acc[r * kVecs + j] = xsimd::fma(ar, bv[j], acc[r * kVecs + j]);
      }
    }
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < kVecs; ++j) acc[r * kVecs + j].store_aligned(c + r * kKeyTile + j * W);
  }

  template <int MR>
  static void score_tail(int rows, const float* a, int64_t lda, const float* bt, int64_t depth, float* c) {
    if constexpr (MR > 0) {
      if (rows == MR) return score_block<MR>(a, lda, bt, depth, c);
      score_tail<MR - 1>(rows, a, lda, bt, depth, c);
    }
  }

  // s (rows, kKeyTile) = a (rows, depth) * bt (depth, kKeyTile), bt one packed key block; only
  // the register-tile columns holding the first `keys` keys are computed (the rest is never read).
  static void scores(const float* a, int64_t lda, int64_t rows, const float* bt, int64_t depth, int64_t keys,
                     float* s) {
    for (int64_t col = 0; col < keys; col += kVecs * W) {
      int64_t r = 0;
      for (; r + kRows <= rows; r += kRows)
        score_block<kRows>(a + r * lda, lda, bt + col, depth, s + r * kKeyTile + col);
      score_tail<kRows - 1>(static_cast<int>(rows - r), a + r * lda, lda, bt + col, depth, s + r * kKeyTile + col);
    }
  }

  // c (MR, NV*W) = c * row_scale (when given) + a (MR, depth) * b (depth, NV*W), with
  // a(r, k) = a[r * a_rs + k * a_ks] so that P and P^T are both read in place.
  template <int MR, int NV>
  static void update_block(const float* a, int64_t a_rs, int64_t a_ks, const float* b, int64_t ldb, int64_t depth,
                           float* c, int64_t ldc, const float* row_scale) {
    V acc[MR * NV];
    for (int r = 0; r < MR; ++r) {
      for (int j = 0; j < NV; ++j) {
        acc[r * NV + j] = V::load_unaligned(c + r * ldc + j * W);
        if (row_scale) acc[r * NV + j] *= V(row_scale[r]);
      }
    }
    for (int64_t k = 0; k < depth; ++k) {
      V bv[NV];
      for (int j = 0; j < NV; ++j) bv[j] = V::load_unaligned(b + k * ldb + j * W);
      for (int r = 0; r < MR; ++r) {
        V ar(a[r * a_rs + k * a_ks]);
        for (int j = 0; j < NV; ++j) acc[r * NV + j] = xsimd::fma(ar, bv[j], acc[r * NV + j]);
      }
    }
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < NV; ++j) acc[r * NV + j].store_unaligned(c + r * ldc + j * W);
  }

  template <int MR>
  static void update_rows(int rows, int nv, const float* a, int64_t a_rs, int64_t a_ks, const float* b, int64_t ldb,
                          int64_t depth, float* c, int64_t ldc, const float* row_scale) {
    if constexpr (MR > 0) {
      if (rows != MR) return update_rows<MR - 1>(rows, nv, a, a_rs, a_ks, b, ldb, depth, c, ldc, row_scale);
      switch (nv) {
        case 4:
          return update_block<MR, 4>(a, a_rs, a_ks, b, ldb, depth, c, ldc, row_scale);
        case 3:
          return update_block<MR, 3>(a, a_rs, a_ks, b, ldb, depth, c, ldc, row_scale);
        case 2:
          return update_block<MR, 2>(a, a_rs, a_ks, b, ldb, depth, c, ldc, row_scale);
        default:
          return update_block<MR, 1>(a, a_rs, a_ks, b, ldb, depth, c, ldc, row_scale);
      }
    }
  }

  // c (rows, cols) = c * row_scale + a (rows, depth) * b (depth, cols); cols a multiple of W.
  static void update(const float* a, int64_t a_rs, int64_t a_ks, int64_t rows, const float* b, int64_t ldb,
                     int64_t depth, int64_t cols, float* c, int64_t ldc, const float* row_scale) {
    for (int64_t c0 = 0; c0 < cols; c0 += kVecs * W) {
      const int nv = static_cast<int>(std::min<int64_t>(kVecs, (cols - c0) / W));
      for (int64_t r = 0; r < rows; r += kRows) {
        update_rows<kRows>(static_cast<int>(std::min<int64_t>(kRows, rows - r)), nv, a + r * a_rs, a_rs, a_ks, b + c0,
                           ldb, depth, c + r * ldc + c0, ldc, row_scale ? row_scale + r : nullptr);
      }
    }
  }

  // 2^x to about 1 ulp for x <= 0, and 0 for x < -126 (including -inf); the softmax only takes
  // 2^x of x <= 0, so there is no overflow branch (exp2_reduced holds the polynomial).
  static V exp2_nonpositive(V x) { return xsimd::select(x < V(-126.f), V(0.f), exp2_reduced(x)); }

  static float max_of(V x) {
    alignas(64) float t[W];
    x.store_aligned(t);
    return *std::max_element(t, t + W);
  }

  // One score row of a key tile in log2 units, x = log2(e) (scale s + mask), with -inf past the
  // last key (nc). scale_log2 = scale * log2(e).
  static void load_scores(const float* s, int64_t nc, float scale_log2, const float* mask_row, int64_t mask_stride_k,
                          int64_t c0, V (&x)[kKeyVecs]) {
    for (int j = 0; j < kKeyVecs; ++j) x[j] = V::load_aligned(s + j * W) * V(scale_log2);
    if (mask_row) {
      alignas(64) float gathered[kKeyTile];
      const float* m = gathered;
      if (mask_stride_k == 1 && nc == kKeyTile) {
        m = mask_row + c0;
      } else {  // keys broadcast (stride 0) or strided, or a short last tile
        for (int64_t t = 0; t < kKeyTile; ++t) gathered[t] = t < nc ? mask_row[(c0 + t) * mask_stride_k] : 0.f;
      }
      for (int j = 0; j < kKeyVecs; ++j) x[j] = xsimd::fma(V::load_unaligned(m + j * W), V(kLog2e), x[j]);
    }
    if (nc < kKeyTile) {
      for (int j = 0; j < kKeyVecs; ++j) {
        const V key = V::load_aligned(kKeyIndex + j * W);
        x[j] = xsimd::select(key < V(static_cast<float>(nc)), x[j], V(kNegInf));
      }
    }
  }

  // One row of the online softmax: turns the raw scores s into p = 2^(x - m_new) in place,
  // updates the running max m (log2 units) and sum l, and returns the factor
  // alpha = 2^(m_old - m_new) by which the row's output accumulator must be rescaled.
  static float online_softmax_row(float* s, int64_t nc, float scale_log2, const float* mask_row, int64_t mask_stride_k,
                                  int64_t c0, float& m, float& l) {
    V x[kKeyVecs];
    load_scores(s, nc, scale_log2, mask_row, mask_stride_k, c0, x);
    V row_max = x[0];
    for (int j = 1; j < kKeyVecs; ++j) row_max = xsimd::max(row_max, x[j]);
    const float m_new = std::max(m, max_of(row_max));
    if (m_new == kNegInf) {  // every key so far masked: keep the accumulator at 0
      std::fill(s, s + kKeyTile, 0.f);
      return 1.f;
    }
    V sum(0.f);
    for (int j = 0; j < kKeyVecs; ++j) {
      x[j] = exp2_nonpositive(x[j] - V(m_new));
      sum += x[j];
      x[j].store_aligned(s + j * W);
    }
    // After the first few tiles the running max rarely moves: skip the scalar exp then.
    const float alpha = m_new == m ? 1.f : std::exp2(m - m_new);
    l = l * alpha + xsimd::hadd(sum);
    m = m_new;
    return alpha;
  }

  // p = factor * e^(scale s + mask - lse) in place (lse = +inf gives 0).
  static void probability_row(float* s, int64_t nc, float scale_log2, const float* mask_row, int64_t mask_stride_k,
                              int64_t c0, float lse, float factor) {
    V x[kKeyVecs];
    load_scores(s, nc, scale_log2, mask_row, mask_stride_k, c0, x);
    const V lse_log2(lse * kLog2e);
    for (int j = 0; j < kKeyVecs; ++j) (exp2_nonpositive(x[j] - lse_log2) * V(factor)).store_aligned(s + j * W);
  }

  static const float* mask_row(const AttentionArgs& a, int64_t b, int64_t h, int64_t i) {
    return a.mask.data ? a.mask.row(b, h, i) : nullptr;
  }

  // Query tile rows: the preferred size unless that leaves fewer than ~4 work items per thread.
  static int64_t query_tile(int64_t queries, int64_t other_units, int threads) {
    const int64_t tiles_wanted = std::max<int64_t>(1, (4 * threads + other_units - 1) / other_units);
    const int64_t rows = round_up((queries + tiles_wanted - 1) / tiles_wanted, kRows);
    return std::clamp<int64_t>(rows, kRows, kQueryTile);
  }
};

}  // namespace
}  // namespace fc
