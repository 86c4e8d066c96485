// The unmasked fused attention forward with queries across the SIMD lanes: per block of queries it
// works on S^T (keys, queries) and O^T (D, queries), so that everything the online softmax keeps
// per query (running max m, sum l, rescale alpha) is a vector, and the row maxima and sums are
// vertical operations instead of a horizontal reduction per score row. Included by
// attention_fused.h (same anonymous-namespace rule as attention_tiles.h).
//
// Per (batch, head, block of kQueryBlock queries), for each tile of 64 keys:
//   S^T = K Qs^T          (Qs = Q scale log2(e), transposed once per block: scores in log2 units)
//   m' = max(m, colmax S^T); P^T = 2^(S^T - m'); alpha = 2^(m - m'); l = l alpha + colsum P^T
//   O^T = O^T alpha + V^T P^T
// and at the end O = (O^T / l)^T, lse = m ln 2 + ln l.
// Both products broadcast a scalar of K or V (a row of K, a row of V read across D) against
// vectors of queries, so K and V are read as plain rows: no transposed packing. Rows of a fused
// qkv buffer are 3 C floats apart (9 KiB at C = 768), which maps a key tile's rows into a
// quarter of L1's sets, so K and V are first copied into dense rows when they are not dense.
//
// Register tile: kRows keys (or head-dim rows) x kVecs query vectors = 4 x 3 = 12 accumulators,
// 3 vector loads and 4 broadcasts per step, all 16 ymm with the broadcast; 64 keys and D = 64
// split into whole tiles (6 x 2 left a 4-row tail tile per 64). In isolation both products run
// at 94-98% of the FMA peak, inside the forward at ~94%; the softmax (~8% of the forward) and
// the copies and transposes (~7%) are the rest. (AVX-512 uses the same shape: 12 of 32 zmm.)
// Working set per block at D = 64 on AVX2: Qs^T, S^T, O^T 12 KiB each, the K and V tiles 16 KiB
// each: L1 and L2.
#pragma once

#include "ops/kernels/attention_tiles.h"

namespace fc {
namespace {

template <class Arch>
struct AttentionQueryLanes {
  using V = xsimd::batch<float, Arch>;
  static constexpr int W = static_cast<int>(V::size);
  static constexpr int kRows = 4;
  static constexpr int kVecs = 3;
  static constexpr int64_t kStrip = kVecs * W;          // queries per register tile
  static constexpr int64_t kQueryBlock = 2 * kStrip;    // 48 on AVX2, 96 on AVX-512
  static constexpr int64_t kKeyTile = 64;

  // c (MR, kStrip) [= c * col] + a (MR, depth) b (depth, kStrip), with
  // a(r, k) = a[r * a_rs + k * a_ks] (rows of K read along D, or V read across its rows);
  // b and c rows kQueryBlock apart. col (kStrip): the column scale when accumulating, else the
  // column maxima, raised to those of c. Not inlined: inside the block driver GCC ran short of
  // registers and kept the loop counter of the P V tile in memory (a store-forwarding chain per
  // step); a call per 4 x 64 x 24 tile costs nothing.
  template <int MR, bool kAccumulate>
  [[gnu::noinline]] static void tile(const float* a, int64_t a_rs, int64_t a_ks, const float* b, int64_t depth,
                                     float* c, float* col) {
    // Step k = 0 starts the accumulators (depth >= 1). No local arrays of vectors here: GCC
    // zero-fills such an array with rep stos, or copies it through the stack in 16-byte halves
    // that the 32-byte reloads cannot forward from; either cost a tenth of the tile at depth 64.
    V acc[MR * kVecs];
    for (int r = 0; r < MR; ++r) {
      const V ar(a[r * a_rs]);
      for (int j = 0; j < kVecs; ++j) {
        const V bj = V::load_aligned(b + j * W);
        if constexpr (kAccumulate) {
          const V cj = V::load_aligned(c + r * kQueryBlock + j * W) * V::load_aligned(col + j * W);
          acc[r * kVecs + j] = xsimd::fma(ar, bj, cj);
        } else {
          acc[r * kVecs + j] = ar * bj;
        }
      }
    }
    for (int64_t k = 1; k < depth; ++k) {
      V bv[kVecs];
      for (int j = 0; j < kVecs; ++j) bv[j] = V::load_aligned(b + k * kQueryBlock + j * W);
      for (int r = 0; r < MR; ++r) {
        const V ar(a[r * a_rs + k * a_ks]);
        for (int j = 0; j < kVecs; ++j) acc[r * kVecs + j] = xsimd::fma(ar, bv[j], acc[r * kVecs + j]);
      }
    }
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < kVecs; ++j) acc[r * kVecs + j].store_aligned(c + r * kQueryBlock + j * W);
    if constexpr (!kAccumulate) {  // the scores' column maxima, while they are in registers
      for (int j = 0; j < kVecs; ++j) {
        V top = acc[j];
        for (int r = 1; r < MR; ++r) top = xsimd::max(top, acc[r * kVecs + j]);
        xsimd::max(top, V::load_aligned(col + j * W)).store_aligned(col + j * W);
      }
    }
  }

  template <int MR, bool kAccumulate>
  static void tile_rows(int rows, const float* a, int64_t a_rs, int64_t a_ks, const float* b, int64_t depth, float* c,
                        float* col) {
    if constexpr (MR > 0) {
      if (rows == MR) return tile<MR, kAccumulate>(a, a_rs, a_ks, b, depth, c, col);
      tile_rows<MR - 1, kAccumulate>(rows, a, a_rs, a_ks, b, depth, c, col);
    }
  }

  // c (rows, width) [= c * col] + a (rows, depth) b (depth, width), width a multiple of kStrip;
  // col (width) as for tile.
  template <bool kAccumulate>
  static void product(int64_t rows, const float* a, int64_t a_rs, int64_t a_ks, const float* b, int64_t depth,
                      int64_t width, float* c, float* col) {
    for (int64_t r = 0; r < rows; r += kRows) {
      for (int64_t q0 = 0; q0 < width; q0 += kStrip) {
        tile_rows<kRows, kAccumulate>(static_cast<int>(std::min<int64_t>(kRows, rows - r)), a + r * a_rs, a_rs, a_ks,
                                      b + q0, depth, c + r * kQueryBlock + q0, col + q0);
      }
    }
  }

  // 2^x for x <= 0 (x = -inf included), as AttentionTiles::exp2_nonpositive but clamped at -127
  // instead of selected: 2^-127 is built as the bit pattern 0, and x in [-127, -126) gives 0 or a
  // number below 2^-126 where the select gave 0 (a difference under 1e-38).
  static V exp2_nonpositive(V x) { return exp2_reduced<Arch>(xsimd::max(x, V(-127.f))); }

  // The online softmax over the first `keys` rows of s (keys, kQueryBlock), columns [0, width),
  // whose column maxima the score product left in top: s becomes P^T in place; m, l per query
  // updated, alpha = 2^(m_old - m_new) written. Without a mask every score is finite, so m is
  // finite after the first tile (before it, m = -inf gives alpha = 0 against an accumulator of 0).
  static void softmax_columns(float* s, int64_t keys, int64_t width, const float* top, float* m, float* l,
                              float* alpha) {
    for (int64_t i = 0; i < width; i += W) {
      const V m_old = V::load_aligned(m + i);
      const V m_new = xsimd::max(m_old, V::load_aligned(top + i));
      V sum0(0.f), sum1(0.f);
      int64_t c = 0;
      for (; c + 2 <= keys; c += 2) {
        const V p0 = exp2_nonpositive(V::load_aligned(s + c * kQueryBlock + i) - m_new);
        const V p1 = exp2_nonpositive(V::load_aligned(s + (c + 1) * kQueryBlock + i) - m_new);
        p0.store_aligned(s + c * kQueryBlock + i);
        p1.store_aligned(s + (c + 1) * kQueryBlock + i);
        sum0 += p0;
        sum1 += p1;
      }
      if (c < keys) {
        const V p = exp2_nonpositive(V::load_aligned(s + c * kQueryBlock + i) - m_new);
        p.store_aligned(s + c * kQueryBlock + i);
        sum0 += p;
      }
      const V a = exp2_nonpositive(m_old - m_new);
      a.store_aligned(alpha + i);
      xsimd::fma(V::load_aligned(l + i), a, sum0 + sum1).store_aligned(l + i);
      m_new.store_aligned(m + i);
    }
  }

  struct Scratch {
    explicit Scratch(int64_t D)
        : qt(D * kQueryBlock, Fill::none),
          s(kKeyTile * kQueryBlock, Fill::none),
          ot(D * kQueryBlock, Fill::none),
          stats(4 * kQueryBlock, Fill::none) {}
    AlignedFloats qt, s, ot, stats;
  };

  // Queries [i0, i0 + nq) of one (batch, head); k, v (K, D) rows ldk, ldv apart.
  static void forward_block(const AttentionArgs& a, int64_t b, int64_t h, int64_t i0, int64_t nq, const float* k,
                            int64_t ldk, const float* v, int64_t ldv, Scratch& w, Heads out, float* lse) {
    const int64_t D = a.head_dim, width = round_up(nq, kStrip);
    float *qt = w.qt.get(), *s = w.s.get(), *ot = w.ot.get();
    float *m = w.stats.get(), *l = m + kQueryBlock, *alpha = l + kQueryBlock, *top = alpha + kQueryBlock;
    const float* q = a.q.rows(b, h) + i0 * a.q.stride_l;
    const float factor = a.scale * kLog2e;
    // The block's query rows (and below its output rows) are cold and, in a fused qkv buffer,
    // 9 KiB apart: asking for all their lines at once overlaps the misses, which the transposing
    // loops alone take one row at a time (they were 7% of the forward).
    for (int64_t i = 0; i < nq; ++i)
      for (int64_t d = 0; d < D; d += 64 / static_cast<int64_t>(sizeof(float)))
        __builtin_prefetch(q + i * a.q.stride_l + d);
    for (int64_t i = 0; i < width; ++i) {
      if (i < nq) {
        for (int64_t d = 0; d < D; ++d) qt[d * kQueryBlock + i] = q[i * a.q.stride_l + d] * factor;
      } else {  // padding queries: scores 0, finite, never written out
        for (int64_t d = 0; d < D; ++d) qt[d * kQueryBlock + i] = 0.f;
      }
    }
    std::fill(ot, ot + D * kQueryBlock, 0.f);
    std::fill(m, m + kQueryBlock, kNegInf);
    std::fill(l, l + kQueryBlock, 0.f);
    for (int64_t c0 = 0; c0 < a.keys; c0 += kKeyTile) {
      const int64_t nc = std::min(kKeyTile, a.keys - c0);
      if (c0 + kKeyTile >= a.keys) {
        for (int64_t i = 0; i < nq; ++i)
          for (int64_t d = 0; d < D; d += 64 / static_cast<int64_t>(sizeof(float)))
            __builtin_prefetch(out.rows(b, h) + (i0 + i) * out.stride_l + d, 1);
      }
      std::fill(top, top + kQueryBlock, kNegInf);
      product<false>(nc, k + c0 * ldk, ldk, 1, qt, D, width, s, top);
      softmax_columns(s, nc, width, top, m, l, alpha);
      product<true>(D, v + c0 * ldv, 1, ldv, s, nc, width, ot, alpha);
    }
    for (int64_t i = 0; i < nq; ++i) {
      const float inv = 1.f / l[i];  // l >= 1: the row's maximum contributes 2^0
      float* dst = out.rows(b, h) + (i0 + i) * out.stride_l;
      for (int64_t d = 0; d < D; ++d) dst[d] = ot[d * kQueryBlock + i] * inv;
    }
    float* lse_rows = lse + (b * a.heads + h) * a.queries + i0;
    for (int64_t i = 0; i < nq; ++i) lse_rows[i] = m[i] * kLn2 + std::log(l[i]);  // m is in log2 units
  }

  // out (B, H, Q, D), lse (B, H, Q); a.mask must be empty.
  static void forward(const AttentionArgs& a, Heads out, float* lse) {
    const int64_t D = a.head_dim, K = a.keys, BH = a.batch * a.heads;
    const bool copy_k = a.k.stride_l != D, copy_v = a.v.stride_l != D;
    AlignedFloats k_dense(copy_k ? BH * K * D : 0, Fill::none), v_dense(copy_v ? BH * K * D : 0, Fill::none);
    const int64_t blocks = (a.queries + kQueryBlock - 1) / kQueryBlock;
#pragma omp parallel num_threads(a.threads)
    {
      if (copy_k || copy_v) {
        // Token by token, heads inner: in a fused qkv buffer a token's k (or v) for all heads is
        // one contiguous run of H D floats, where one head's rows are 9 KiB apart (a new page,
        // and a TLB miss, every other row).
#pragma omp for schedule(static)
        for (int64_t bl = 0; bl < a.batch * K; ++bl) {
          const int64_t b = bl / K, l = bl % K;
          for (int64_t h = 0; h < a.heads; ++h) {
            const int64_t dst = ((b * a.heads + h) * K + l) * D;
            if (copy_k) std::memcpy(k_dense.get() + dst, a.k.rows(b, h) + l * a.k.stride_l, D * sizeof(float));
            if (copy_v) std::memcpy(v_dense.get() + dst, a.v.rows(b, h) + l * a.v.stride_l, D * sizeof(float));
          }
        }
      }
      Scratch scratch(D);
#pragma omp for schedule(dynamic)
      for (int64_t item = 0; item < BH * blocks; ++item) {
        const int64_t bh = item / blocks, i0 = item % blocks * kQueryBlock, b = bh / a.heads, h = bh % a.heads;
        const float* k = copy_k ? k_dense.get() + bh * K * D : a.k.rows(b, h);
        const float* v = copy_v ? v_dense.get() + bh * K * D : a.v.rows(b, h);
        forward_block(a, b, h, i0, std::min(kQueryBlock, a.queries - i0), k, copy_k ? D : a.k.stride_l, v,
                      copy_v ? D : a.v.stride_l, scratch, out, lse);
      }
    }
  }
};

}  // namespace
}  // namespace fc
