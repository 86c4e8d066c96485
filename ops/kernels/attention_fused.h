// The fused attention drivers (forward, head-averaged probabilities, backward) over the tiles of
// attention_tiles.h. Included only by the per-ISA kernel .cpp files; see attention_tiles.h for
// the blocking and why everything is in an anonymous namespace.
//
// Forward, per (batch, head, query tile), for each key tile (FlashAttention-2, Dao 2023, alg. 1):
//   S = Q K^T; m' = max(m, rowmax(scale S + mask)); P = exp(scale S + mask - m');
//   l = l exp(m - m') + rowsum(P); O = O exp(m - m') + P V;   at the end O /= l, lse = m + log l.
// (In the code the scores are in log2 units and exp is 2^x: the same numbers, one multiply fewer.)
// This row-major form runs only with a mask; without one the forward is the same algorithm
// transposed, with queries across the SIMD lanes (attention_query_lanes.h), which needs no
// horizontal reductions and no packed K^T and runs ~1.2x faster at L = 1025.
// Backward, per (batch, head, key tile), for each query tile (alg. 2), with P recomputed from lse:
//   dV += P^T dO; dP = dO V^T; dS = P (dP - D_i), D_i = rowsum(dO * O);
//   dK += scale dS^T Q; dQ += scale dS K.
// dQ rows receive contributions from every key tile; a (batch, head) may be split over key
// ranges for parallelism, each split writing its own dQ partial that a last pass sums.
#pragma once

#include "ops/kernels/attention_query_lanes.h"
#include "ops/kernels/attention_tiles.h"

namespace fc {
namespace {

template <class Arch>
struct AttentionFused {
  using T = AttentionTiles<Arch>;
  static constexpr int64_t kKeyTile = T::kKeyTile;

  static void forward_tile(const AttentionArgs& a, int64_t b, int64_t h, int64_t i0, int64_t rows, const float* kt,
                           RowOperand v, int64_t Dp, float* q_tile, float* s, float* o, float* stats, Heads out,
                           float* lse) {
    const int64_t D = a.head_dim;
    float *m = stats, *l = stats + T::kQueryTile, *alpha = stats + 2 * T::kQueryTile;
    std::fill(o, o + rows * Dp, 0.f);
    std::fill(m, m + rows, kNegInf);
    std::fill(l, l + rows, 0.f);
    // Dense query rows: read once per key tile for every key tile, so they should sit in L1/L2
    // without the set conflicts of rows 3 C floats apart (see attention_tiles.h).
    const float* q = copy_rows_padded(a.q.rows(b, h) + i0 * a.q.stride_l, a.q.stride_l, rows, D, D, q_tile).data;
    for (int64_t c0 = 0; c0 < a.keys; c0 += kKeyTile) {
      const int64_t nc = std::min(kKeyTile, a.keys - c0);
      T::scores(q, D, rows, kt + c0 * D, D, nc, s);
      for (int64_t r = 0; r < rows; ++r)
        alpha[r] = T::online_softmax_row(s + r * kKeyTile, nc, a.scale * kLog2e, T::mask_row(a, b, h, i0 + r),
                                         a.mask.stride_k, c0, m[r], l[r]);
      T::update(s, kKeyTile, 1, rows, v.data + c0 * v.ld, v.ld, nc, Dp, o, Dp, alpha);
    }
    float* lse_rows = lse + (b * a.heads + h) * a.queries + i0;
    for (int64_t r = 0; r < rows; ++r) {
      const float inv = l[r] > 0.f ? 1.f / l[r] : 0.f;
      float* dst = out.rows(b, h) + (i0 + r) * out.stride_l;
      for (int64_t d = 0; d < D; ++d) dst[d] = o[r * Dp + d] * inv;
      lse_rows[r] = l[r] > 0.f ? m[r] * kLn2 + std::log(l[r]) : kPosInf;  // m is in log2 units
    }
  }

  // probs[b, i0 : i0 + rows, c0 : c0 + 64] = mean over heads of exp(scale S + mask - lse). Heads
  // are the inner loop so that the block of the average is summed in L1 and written once.
  static void probs_block(const AttentionArgs& a, int64_t b, int64_t i0, int64_t rows, int64_t c0, const float* kt_all,
                          int64_t Kp, const float* lse, float* s, float* sum, float* probs) {
    const int64_t D = a.head_dim, K = a.keys, nc = std::min(kKeyTile, K - c0);
    const float factor = 1.f / static_cast<float>(a.heads);
    std::fill(sum, sum + rows * kKeyTile, 0.f);
    for (int64_t h = 0; h < a.heads; ++h) {
      const int64_t bh = b * a.heads + h;
      T::scores(a.q.rows(b, h) + i0 * a.q.stride_l, a.q.stride_l, rows, kt_all + bh * D * Kp + c0 * D, D, nc, s);
      for (int64_t r = 0; r < rows; ++r) {
        float* p = s + r * kKeyTile;
        T::probability_row(p, nc, a.scale * kLog2e, T::mask_row(a, b, h, i0 + r), a.mask.stride_k, c0,
                           lse[bh * a.queries + i0 + r], factor);
        float* acc = sum + r * kKeyTile;
        for (int64_t j = 0; j < kKeyTile; ++j) acc[j] += p[j];
      }
    }
    for (int64_t r = 0; r < rows; ++r)
      std::copy(sum + r * kKeyTile, sum + r * kKeyTile + nc, probs + (b * a.queries + i0 + r) * K + c0);
  }

  static void forward(const AttentionArgs& a, Heads out, float* lse, float* probs) {
    const int64_t D = a.head_dim, BH = a.batch * a.heads;
    const int64_t Dp = round_up(D, T::W), Kp = round_up(a.keys, kKeyTile);
    // Without a mask the query-lanes kernel needs no packed K (the probabilities' sweep still does).
    const bool masked = a.mask.data != nullptr;
    if (!masked) AttentionQueryLanes<Arch>::forward(a, out, lse);
    if (!masked && !probs) return;
    AlignedFloats kt(BH * D * Kp, Fill::none), v_dense(masked ? BH * a.keys * Dp : 0, Fill::none);
#pragma omp parallel for num_threads(a.threads) schedule(static)
    for (int64_t bh = 0; bh < BH; ++bh) {
      const int64_t b = bh / a.heads, h = bh % a.heads;
      pack_key_tiles(a.k.rows(b, h), a.k.stride_l, a.keys, D, kKeyTile, kt.get() + bh * D * Kp);
      if (masked) copy_rows_padded(a.v.rows(b, h), a.v.stride_l, a.keys, D, Dp, v_dense.get() + bh * a.keys * Dp);
    }
    if (masked) forward_masked(a, out, lse, kt.get(), v_dense.get(), Dp, Kp);
    if (probs) probabilities(a, lse, kt.get(), Kp, probs);
  }

  // The row-major forward over packed K^T tiles, which reads the mask row by row.
  static void forward_masked(const AttentionArgs& a, Heads out, float* lse, const float* kt, const float* v_dense,
                             int64_t Dp, int64_t Kp) {
    const int64_t D = a.head_dim, BH = a.batch * a.heads;
    const int64_t tile = T::query_tile(a.queries, BH, a.threads);
    const int64_t tiles = (a.queries + tile - 1) / tile;
#pragma omp parallel num_threads(a.threads)
    {
      AlignedFloats s(T::kQueryTile * kKeyTile), o(T::kQueryTile * Dp), stats(3 * T::kQueryTile);
      AlignedFloats q_tile(T::kQueryTile * D, Fill::none);
#pragma omp for schedule(dynamic)
      for (int64_t item = 0; item < BH * tiles; ++item) {
        const int64_t bh = item / tiles, i0 = item % tiles * tile, b = bh / a.heads, h = bh % a.heads;
        const RowOperand v{v_dense + bh * a.keys * Dp, Dp};
        forward_tile(a, b, h, i0, std::min(tile, a.queries - i0), kt + bh * D * Kp, v, Dp, q_tile.get(), s.get(),
                     o.get(), stats.get(), out, lse);
      }
    }
  }

  static void probabilities(const AttentionArgs& a, const float* lse, const float* kt, int64_t Kp, float* probs) {
    // A second sweep, parallel over (batch, key tile) with queries and heads inner: each thread
    // owns whole columns of the head average (no (B, H, Q, K) tensor, no races), and each packed
    // key block is read from memory once, which matters when K is long (12k keys of a decoder).
    const int64_t key_tiles = Kp / kKeyTile;
#pragma omp parallel num_threads(a.threads)
    {
      AlignedFloats s(T::kQueryTile * kKeyTile), sum(T::kQueryTile * kKeyTile);
#pragma omp for schedule(dynamic)
      for (int64_t item = 0; item < a.batch * key_tiles; ++item) {
        const int64_t b = item / key_tiles, c0 = item % key_tiles * kKeyTile;
        for (int64_t i0 = 0; i0 < a.queries; i0 += T::kQueryTile)
          probs_block(a, b, i0, std::min(T::kQueryTile, a.queries - i0), c0, kt, Kp, lse, s.get(), sum.get(), probs);
      }
    }
  }

  struct BackwardScratch {
    explicit BackwardScratch(const AttentionArgs& a, int64_t Dp, int64_t Kp)
        : kt(a.head_dim * Kp, Fill::none),
          vt(a.head_dim * Kp, Fill::none),
          q_padded(a.queries * Dp, Fill::none),
          g_padded(a.queries * Dp, Fill::none),
          k_padded(a.keys * Dp, Fill::none),
          delta(a.queries),
          p(T::kQueryTile * kKeyTile),
          ds(T::kQueryTile * kKeyTile),
          dk(kKeyTile * Dp),
          dv(kKeyTile * Dp) {}
    AlignedFloats kt, vt, q_padded, g_padded, k_padded, delta, p, ds, dk, dv;
  };

  // Key tiles [t_begin, t_end) of one (batch, head): dk, dv rows written, dq_part (Q, Dp) added to.
  static void backward_keys(const AttentionArgs& a, int64_t b, int64_t h, int64_t t_begin, int64_t t_end,
                            ConstHeads out, ConstHeads grad_out, const float* lse, Heads dk, Heads dv, float* dq_part,
                            int64_t Dp, BackwardScratch& w) {
    const int64_t D = a.head_dim, Q = a.queries;
    const float* q = a.q.rows(b, h);
    const float* g = grad_out.rows(b, h);
    pack_key_tiles(a.k.rows(b, h), a.k.stride_l, a.keys, D, kKeyTile, w.kt.get());
    pack_key_tiles(a.v.rows(b, h), a.v.stride_l, a.keys, D, kKeyTile, w.vt.get());
    // Always dense copies (a Q x D copy against Q K D work): rows of a fused qkv buffer or of the
    // (B, Q, H, D) output gradient are 3 C or C floats apart, and 60 such rows of a query tile
    // fall into a few L1 sets and evict each other in every product that reads them.
    const RowOperand q_rows = copy_rows_padded(q, a.q.stride_l, Q, D, Dp, w.q_padded.get());
    const RowOperand g_rows = copy_rows_padded(g, grad_out.stride_l, Q, D, Dp, w.g_padded.get());
    const RowOperand k_rows = copy_rows_padded(a.k.rows(b, h), a.k.stride_l, a.keys, D, Dp, w.k_padded.get());
    float* delta = w.delta.get();
    for (int64_t i = 0; i < Q; ++i) {
      const float* oi = out.rows(b, h) + i * out.stride_l;
      const float* gi = g + i * grad_out.stride_l;
      float acc = 0.f;
      for (int64_t d = 0; d < D; ++d) acc += oi[d] * gi[d];
      delta[i] = acc;
    }
    const float* lse_bh = lse + (b * a.heads + h) * Q;
    float *p = w.p.get(), *ds = w.ds.get();
    for (int64_t t = t_begin; t < t_end; ++t) {
      const int64_t c0 = t * kKeyTile, nc = std::min(kKeyTile, a.keys - c0);
      std::fill(w.dk.get(), w.dk.get() + kKeyTile * Dp, 0.f);
      std::fill(w.dv.get(), w.dv.get() + kKeyTile * Dp, 0.f);
      for (int64_t i0 = 0; i0 < Q; i0 += T::kQueryTile) {
        const int64_t rows = std::min(T::kQueryTile, Q - i0);
        T::scores(q_rows.data + i0 * q_rows.ld, q_rows.ld, rows, w.kt.get() + c0 * D, D, nc, p);
        T::scores(g_rows.data + i0 * g_rows.ld, g_rows.ld, rows, w.vt.get() + c0 * D, D, nc, ds);
        for (int64_t r = 0; r < rows; ++r) {
          float* pr = p + r * kKeyTile;
          float* dsr = ds + r * kKeyTile;
          T::probability_row(pr, nc, a.scale * kLog2e, T::mask_row(a, b, h, i0 + r), a.mask.stride_k, c0,
                             lse_bh[i0 + r], 1.f);
          const typename T::V dr(delta[i0 + r]);
          for (int j = 0; j < T::kKeyVecs; ++j) {
            const typename T::V pv = T::V::load_aligned(pr + j * T::W);
            (pv * (T::V::load_aligned(dsr + j * T::W) - dr)).store_aligned(dsr + j * T::W);
          }
        }
        // dV (nc, Dp) += P^T dO and dK += dS^T Q: the tiles are read transposed in place.
        T::update(p, 1, kKeyTile, nc, g_rows.data + i0 * g_rows.ld, g_rows.ld, rows, Dp, w.dv.get(), Dp, nullptr);
        T::update(ds, 1, kKeyTile, nc, q_rows.data + i0 * q_rows.ld, q_rows.ld, rows, Dp, w.dk.get(), Dp, nullptr);
        T::update(ds, kKeyTile, 1, rows, k_rows.data + c0 * k_rows.ld, k_rows.ld, nc, Dp, dq_part + i0 * Dp, Dp,
                  nullptr);
      }
      for (int64_t c = 0; c < nc; ++c) {
        float* dk_row = dk.rows(b, h) + (c0 + c) * dk.stride_l;
        float* dv_row = dv.rows(b, h) + (c0 + c) * dv.stride_l;
        for (int64_t d = 0; d < D; ++d) {
          dk_row[d] = a.scale * w.dk.get()[c * Dp + d];
          dv_row[d] = w.dv.get()[c * Dp + d];
        }
      }
    }
  }

  static void backward(const AttentionArgs& a, ConstHeads out, ConstHeads grad_out, const float* lse, Heads dq,
                       Heads dk, Heads dv) {
    const int64_t D = a.head_dim, Q = a.queries, BH = a.batch * a.heads;
    const int64_t Dp = round_up(D, T::W), Kp = round_up(a.keys, kKeyTile), key_tiles = Kp / kKeyTile;
    // Split a (batch, head) over key ranges only when there are too few of them for the threads.
    const int64_t splits = std::clamp<int64_t>((2 * a.threads + BH - 1) / BH, 1, std::max<int64_t>(key_tiles, 1));
    AlignedFloats dq_parts(BH * splits * Q * Dp, Fill::none);  // each item zeroes its own part
#pragma omp parallel num_threads(a.threads)
    {
      BackwardScratch scratch(a, Dp, Kp);
#pragma omp for schedule(dynamic)
      for (int64_t item = 0; item < BH * splits; ++item) {
        const int64_t bh = item / splits, split = item % splits;
        float* part = dq_parts.get() + item * Q * Dp;
        std::fill(part, part + Q * Dp, 0.f);
        backward_keys(a, bh / a.heads, bh % a.heads, key_tiles * split / splits, key_tiles * (split + 1) / splits, out,
                      grad_out, lse, dk, dv, part, Dp, scratch);
      }
#pragma omp for schedule(static)
      for (int64_t bh = 0; bh < BH; ++bh) {
        for (int64_t i = 0; i < Q; ++i) {
          float* dst = dq.rows(bh / a.heads, bh % a.heads) + i * dq.stride_l;
          for (int64_t d = 0; d < D; ++d) {
            float acc = 0.f;
            for (int64_t sp = 0; sp < splits; ++sp) acc += dq_parts.get()[((bh * splits + sp) * Q + i) * Dp + d];
            dst[d] = a.scale * acc;
          }
        }
      }
    }
  }
};

}  // namespace
}  // namespace fc
