// The cache-blocked GEMM driver (Goto & van de Geijn, "Anatomy of High-Performance Matrix
// Multiplication", 2008; the loop order of BLIS): pack, then call the micro-kernel tile by tile.
//
//   for jc in N step nc:            B block (kc x nc) packed once, lives in L3
//     for pc in K step kc:
//       pack B block
//       for ic in M step mc:        A block (mc x kc) packed once, lives in L2
//         pack A block
//         for jr in nc step nr:     B micro-panel (kc x nr) stays in L1 ...
//           for ir in mc step mr:   ... while A micro-panels stream past it from L2
//             micro-kernel: C tile (mr x nr) += A panel * B panel, accumulators in registers
//
// When all of M fits one A block (m <= mc, e.g. 50 tokens) the nest is reordered: A is packed once
// per k block and B a few panels at a time, right before use (see gemm_serial).
//
// Threads each take a rectangle of C and run this nest on it alone (own packed copies, no
// barriers); the rectangle grid is chosen so that the re-packing it costs stays small.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "ops/kernels/gemm_packed.h"

namespace fc::gemm_detail {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

// Packing buffers, one pair per thread, grown on demand and kept: a fresh multi-MiB allocation
// per call would be returned to the OS and page-faulted back in every time, which costs more than
// a mid-sized GEMM itself. Reused only for scratch: no result depends on what was there before.
struct PackBuffers {
  std::unique_ptr<float, FreeDeleter> a, b;
  size_t a_floats = 0, b_floats = 0;

  static float* ensure(std::unique_ptr<float, FreeDeleter>& buffer, size_t& have, size_t need) {
    if (need > have) {
      size_t bytes = round_up(static_cast<int64_t>(need * sizeof(float)), 64);
      buffer.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      have = bytes / sizeof(float);
    }
    return buffer.get();
  }
};
thread_local PackBuffers t_pack_buffers;

// A operand view: element (i, p) of op(A), i < rows, p < depth.
struct OperandA {
  const float* data;
  int64_t ld;
  bool trans;
  const float* at(int64_t i, int64_t p) const { return trans ? data + p * ld + i : data + i * ld + p; }
};
// B operand view: element (p, j) of op(B).
struct OperandB {
  const float* data;
  int64_t ld;
  bool trans;
  const float* at(int64_t p, int64_t j) const { return trans ? data + j * ld + p : data + p * ld + j; }
};

// Transposes eight rows of 8 floats in registers: r[q] becomes column q (element j = old r[j][q]).
// AVX2 shuffles (the baseline ISA of this file).
inline void transpose_8x8_registers(__m256 r[8]) {
  __m256 t[8];
  for (int j = 0; j < 8; j += 2) {
    t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]);
    t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
  }
  for (int j = 0; j < 8; j += 4) {
    r[j] = _mm256_shuffle_ps(t[j], t[j + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[j + 1] = _mm256_shuffle_ps(t[j], t[j + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[j + 2] = _mm256_shuffle_ps(t[j + 1], t[j + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[j + 3] = _mm256_shuffle_ps(t[j + 1], t[j + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int q = 0; q < 4; ++q) {
    t[q] = _mm256_permute2f128_ps(r[q], r[q + 4], 0x20);
    t[q + 4] = _mm256_permute2f128_ps(r[q], r[q + 4], 0x31);
  }
  for (int q = 0; q < 8; ++q) r[q] = t[q];
}

// dst[q * ld_dst + j] = src_j[q] for an 8 x 8 block: eight rows of 8 floats (src_j = src + j *
// ld_src) become eight columns; the transpose a Linear weight (O, I) needs to become K-major panels.
inline void transpose_8x8(const float* src, int64_t ld_src, float* dst, int64_t ld_dst) {
  __m256 r[8];
  for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(src + j * ld_src);
  transpose_8x8_registers(r);
  for (int q = 0; q < 8; ++q) _mm256_storeu_ps(dst + q * ld_dst, r[q]);
}

// The 6-row AVX2 panel of pack_a from row-major A, 8 depths at a time: the 6 rows' next 8 values
// (two zero rows pad the 8 x 8 transpose) become 8 groups of 6. Each group is stored as a full
// vector whose last 2 lanes the next group's store overwrites; the block's last group stores only
// its 6 lanes, so nothing is written past the panel. Element-wise packing cost ~4 cycles per
// value (one scattered store each), about 8% of a 768-deep GEMM; this is a fraction of that.
inline int64_t pack_a_rows6_avx2(const float* const src[6], int64_t depth, float* dst) {
  static const __m256i kFirstSix = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  int64_t p = 0;
  for (; p + 8 <= depth; p += 8) {
    __m256 r[8];
    // Six short streams (a k block is 16 lines per row) are too short for the hardware
    // prefetcher to lock on: A usually comes from L3, so ask for each row 4 lines ahead.
    for (int i = 0; i < 6; ++i) __builtin_prefetch(src[i] + p + 64);
    for (int i = 0; i < 6; ++i) r[i] = _mm256_loadu_ps(src[i] + p);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose_8x8_registers(r);
    float* d = dst + p * 6;
    for (int q = 0; q < 7; ++q) _mm256_storeu_ps(d + q * 6, r[q]);
    _mm256_maskstore_ps(d + 42, kFirstSix, r[7]);
  }
  return p;
}

// A block rows [i0, i0 + rows) x depth [p0, p0 + depth) into MR-row micro-panels: panel t holds,
// for each p, the MR values of rows t*MR.. (zeros past `rows`), so the kernel reads it linearly.
template <int MR>
void pack_a(const OperandA& a, int64_t i0, int64_t rows, int64_t p0, int64_t depth, float* dst) {
  for (int64_t r0 = 0; r0 < rows; r0 += MR, dst += MR * depth) {
    const int valid = static_cast<int>(std::min<int64_t>(MR, rows - r0));
    if (a.trans) {  // A stored (K, M): the MR values of one p are contiguous
      for (int64_t p = 0; p < depth; ++p) {
        const float* src = a.at(i0 + r0, p0 + p);
        float* d = dst + p * MR;
        for (int i = 0; i < valid; ++i) d[i] = src[i];
        for (int i = valid; i < MR; ++i) d[i] = 0.f;
      }
    } else {  // each row is contiguous in p: read rows, scatter with stride MR
      int64_t done = 0;
      if constexpr (MR == 6) {
        if (valid == MR) {
          const float* rows[6];
          for (int i = 0; i < 6; ++i) rows[i] = a.at(i0 + r0 + i, p0);
          done = pack_a_rows6_avx2(rows, depth, dst);
        }
      }
      for (int i = 0; i < valid; ++i) {
        const float* src = a.at(i0 + r0 + i, p0);
        for (int64_t p = done; p < depth; ++p) dst[p * MR + i] = src[p];
      }
      for (int i = valid; i < MR; ++i)
        for (int64_t p = 0; p < depth; ++p) dst[p * MR + i] = 0.f;
    }
  }
}

// B block depth [p0, p0 + depth) x columns [j0, j0 + cols) into NR-column micro-panels: panel t
// holds, for each p, the NR values of columns t*NR.. (zeros past `cols`).
template <int NR>
void pack_b(const OperandB& b, int64_t p0, int64_t depth, int64_t j0, int64_t cols, float* dst) {
  const int64_t full_panels = cols / NR;
  const int tail = static_cast<int>(cols - full_panels * NR);
  if (!b.trans) {
    // Rows of B are contiguous in j: read each row once, left to right, dealing NR-wide pieces
    // to the panels (a row-wise read keeps the hardware prefetcher on one stream).
    for (int64_t p = 0; p < depth; ++p) {
      const float* src = b.at(p0 + p, j0);
      float* d = dst + p * NR;
      // The strip's rows are short runs ldb apart, too short for the hardware prefetcher to
      // lock on; ask for the row a few steps ahead (prefetches past the end are harmless).
      if (p + 4 < depth)
        for (int64_t j = 0; j < cols; j += 16) __builtin_prefetch(b.at(p0 + p + 4, j0 + j));
      // A constant-size memcpy compiles to NR / 8 vector moves (a plain loop stays scalar: the
      // compiler cannot rule out src and d overlapping).
      for (int64_t t = 0; t < full_panels; ++t, src += NR, d += NR * depth) std::memcpy(d, src, sizeof(float) * NR);
      if (tail > 0) {
        for (int j = 0; j < tail; ++j) d[j] = src[j];
        for (int j = tail; j < NR; ++j) d[j] = 0.f;
      }
    }
    return;
  }
  // B stored (N, K), e.g. a Linear weight: column j of op(B) is contiguous in p. Full panels go
  // through 8 x 8 transposes; the K remainder and the last partial panel element by element.
  for (int64_t t = 0; t <= full_panels; ++t, dst += NR * depth) {
    const int valid = t < full_panels ? NR : tail;
    if (valid == 0) break;
    int64_t p = 0;
    if (valid == NR) {
      for (; p + 8 <= depth; p += 8)
        for (int j = 0; j < NR; j += 8) transpose_8x8(b.at(p0 + p, j0 + t * NR + j), b.ld, dst + p * NR + j, NR);
    }
    for (int j = 0; j < valid; ++j) {
      const float* src = b.at(p0, j0 + t * NR + j);
      for (int64_t q = p; q < depth; ++q) dst[q * NR + j] = src[q];
    }
    for (int j = valid; j < NR; ++j)
      for (int64_t q = p; q < depth; ++q) dst[q * NR + j] = 0.f;
  }
}

struct Blocks {
  int64_t mc, kc, nc;
};

// Runs the kernel over the tiles of one packed A block (rows x kb) and one packed B block
// (kb x cols): jr outer so each B micro-panel stays in L1 while the A micro-panels stream by.
void run_tiles(const MicroKernel& kernel, int64_t kb, int64_t rows, int64_t cols, const float* packed_a,
               const float* packed_b, float* c, int64_t ldc, float alpha, float beta) {
  const int mr = kernel.mr, nr = kernel.nr;
  const int64_t row_tiles = (rows + mr - 1) / mr;
  // Lines of one B micro-panel, and how many of the next panel's lines each row tile prefetches.
  const int64_t panel_lines = kb * nr / 16, lines_per_tile = (panel_lines + row_tiles - 1) / row_tiles;
  for (int64_t jr = 0; jr < cols; jr += nr) {
    MicroTile tile{kb, nullptr, packed_b + jr * kb, nullptr, ldc, 0,
                   static_cast<int>(std::min<int64_t>(nr, cols - jr)), alpha, beta};
    // The next B micro-panel often comes from L3 or memory (a prepacked weight, a packed block
    // larger than L2): fetched on demand, the first row tile stalls on it at every k step. Spread
    // its prefetch (to L2) over this panel's row tiles instead (about 3% on 1025-row prepacked
    // products, 1 thread; a noisy measurement).
    const char* next = jr + nr < cols ? reinterpret_cast<const char*>(packed_b + (jr + nr) * kb) : nullptr;
    for (int64_t ir = 0, t = 0; ir < rows; ir += mr, ++t) {
      if (next != nullptr)
        for (int64_t l = t * lines_per_tile; l < std::min(panel_lines, (t + 1) * lines_per_tile); ++l)
          _mm_prefetch(next + l * 64, _MM_HINT_T1);
      tile.a = packed_a + ir * kb;
      tile.c = c + ir * ldc + jr;
      tile.m = static_cast<int>(std::min<int64_t>(mr, rows - ir));
      kernel.by_rows[tile.m](tile);
    }
  }
}

// Where the packed B blocks come from: packed per call from `b`, or, when `prepacked` is set, read
// from a whole op(B) packed once by gemm_pack_b (layout there); this rectangle starts at its panel
// `panel0` (a thread's column range starts on a panel boundary).
struct SourceB {
  OperandB b;
  const float* prepacked = nullptr;
  int64_t padded_n = 0, panel0 = 0;
};

// The packed (depth x cols) block of B at k offset pc, columns [j0, j0 + cols): a pointer into the
// prepacked panels, or `scratch` after packing it there.
template <int NR>
const float* block_b(const SourceB& src, int64_t pc, int64_t depth, int64_t j0, int64_t cols, float* scratch) {
  if (src.prepacked != nullptr) return src.prepacked + pc * src.padded_n + (src.panel0 + j0 / NR) * NR * depth;
  pack_b<NR>(src.b, pc, depth, j0, cols, scratch);
  return scratch;
}

// The loop nest of the file comment on one rectangle of C, on the calling thread.
template <int MR, int NR>
void gemm_serial(const MicroKernel& kernel, const Blocks& blocks, int64_t m, int64_t n, int64_t k, float alpha,
                 const OperandA& a, const SourceB& b, float beta, float* c, int64_t ldc) {
  PackBuffers& buffers = t_pack_buffers;
  const int64_t kc = std::min(blocks.kc, k);
  // Equal column blocks: N = 2304 with nc = 2048 would otherwise leave a thin 256-wide block
  // that re-packs all of A for little work.
  const int64_t nc = round_up(ceil_div(n, ceil_div(n, blocks.nc)), NR);
  float* packed_a = PackBuffers::ensure(buffers.a, buffers.a_floats, static_cast<size_t>(round_up(std::min(blocks.mc, m), MR) * kc));
  float* packed_b = b.prepacked != nullptr ? nullptr
                                           : PackBuffers::ensure(buffers.b, buffers.b_floats,
                                                                 static_cast<size_t>(std::min(nc, round_up(n, NR)) * kc));

  if (m <= blocks.mc) {
    // A is a single block (e.g. 50 tokens): pack it once per k block, then B in strips of 8
    // micro-panels (kc x 8 NR = 128 KiB for AVX2, 192 KiB for AVX-512) that stay in L2 between
    // packing and use. A multi-MiB packed B block would make a round trip through L3, which with
    // few rows per panel costs as much as the arithmetic.
    const int64_t strip = std::min<int64_t>(8 * NR, nc);
    for (int64_t pc = 0; pc < k; pc += blocks.kc) {
      const int64_t kb = std::min(blocks.kc, k - pc);
      const float beta_block = pc == 0 ? beta : 1.f;  // C = alpha * sum of k blocks + beta * C
      pack_a<MR>(a, 0, m, pc, kb, packed_a);
      for (int64_t jc = 0; jc < n; jc += strip) {
        const int64_t nb = std::min(strip, n - jc);
        const float* block = block_b<NR>(b, pc, kb, jc, nb, packed_b);
        run_tiles(kernel, kb, m, nb, packed_a, block, c + jc, ldc, alpha, beta_block);
      }
    }
    return;
  }
  for (int64_t jc = 0; jc < n; jc += nc) {
    const int64_t nb = std::min(nc, n - jc);
    for (int64_t pc = 0; pc < k; pc += blocks.kc) {
      const int64_t kb = std::min(blocks.kc, k - pc);
      const float* block = block_b<NR>(b, pc, kb, jc, nb, packed_b);
      // C = alpha * sum over k blocks + beta * C: the first block applies beta, later ones add.
      const float beta_block = pc == 0 ? beta : 1.f;
      for (int64_t ic = 0; ic < m; ic += blocks.mc) {
        const int64_t mb = std::min(blocks.mc, m - ic);
        pack_a<MR>(a, ic, mb, pc, kb, packed_a);
        run_tiles(kernel, kb, mb, nb, packed_a, block, c + ic * ldc + jc, ldc, alpha, beta_block);
      }
    }
  }
}

using SerialFn = void (*)(const MicroKernel&, const Blocks&, int64_t, int64_t, int64_t, float, const OperandA&,
                          const SourceB&, float, float*, int64_t);
// Packing is specialised on the tile geometry so its inner copies have constant trip counts.
SerialFn serial_for(const MicroKernel& kernel) {
  if (kernel.mr == 6 && kernel.nr == 16) return &gemm_serial<6, 16>;
  if (kernel.mr == kAvx512Geometry.mr && kernel.nr == kAvx512Geometry.nr)
    return &gemm_serial<kAvx512Geometry.mr, kAvx512Geometry.nr>;
  throw Error(str_cat("gemm: no packing for a ", kernel.mr, " x ", kernel.nr, " tile"));
}

// Splits C into a grid of tm x tn thread rectangles (tm * tn = threads). Each thread packs its own
// rows of A (K x M/tm) and, unless B came prepacked, columns of B (K x N/tn), so the grid
// minimises the per-thread compute plus that packing; a packed element costs about as long as 16
// multiply-adds in the kernel. (With B prepacked, splitting columns would make every thread pack
// all of A for nothing: rows win unless they are too few to share.)
void choose_grid(int threads, int64_t m_tiles, int64_t n_tiles, int mr, int nr, bool packs_b, int& tm, int& tn) {
  double best = -1;
  for (int rows = 1; rows <= threads; ++rows) {
    if (threads % rows != 0) continue;
    const int cols = threads / rows;
    if (rows > m_tiles || cols > n_tiles) continue;
    const double mt = static_cast<double>(ceil_div(m_tiles, rows) * mr);
    const double nt = static_cast<double>(ceil_div(n_tiles, cols) * nr);
    const double b_share = packs_b ? nt : 0.0;
    const double cost = mt * nt + 16.0 * (mt + b_share);
    if (best < 0 || cost < best) {
      best = cost;
      tm = rows;
      tn = cols;
    }
  }
}

}  // namespace

namespace {

// Threads over the rows of a product whose B came prepacked (a frozen weight): the rows go out in
// chunks taken dynamically, each chunk running gemm_serial over the shared panels. With a grid of
// rectangles, splitting columns makes each thread pack all of A, and a static split of rows
// leaves the first thread done waiting whenever the other was slowed (another process, a busier
// core). Results do not depend on the split: every element sums the same k blocks in the same
// order as on one thread. (A B packed per call keeps the rectangles: a shared packed B, read from
// L3 by every chunk, measured up to 15% slower at K = 3072 than private L2-sized blocks.)
void prepacked_rows_split(const MicroKernel& kernel, SerialFn gemm_serial, const Blocks& blocks, int threads, int64_t m,
                          int64_t n, int64_t k, float alpha, const OperandA& a, const SourceB& b, float beta, float* c,
                          int64_t ldc) {
  const int mr = kernel.mr;
  const int64_t m_tiles = ceil_div(m, mr);
  // About 4 chunks per thread (measured on the 512 encoder: 1, 2 and 8 per thread were 2-4%
  // slower), at most an A block each.
  const int64_t chunk_tiles =
      std::clamp<int64_t>(ceil_div(m_tiles, 4 * threads), 1, std::max<int64_t>(blocks.mc / mr, 1));
  const int64_t chunk_rows = chunk_tiles * mr, chunks = ceil_div(m_tiles, chunk_tiles);
#pragma omp parallel for num_threads(threads) schedule(dynamic)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const int64_t r0 = chunk * chunk_rows, rows = std::min(chunk_rows, m - r0);
    gemm_serial(kernel, blocks, rows, n, k, alpha, OperandA{a.at(r0, 0), a.ld, a.trans}, b, beta, c + r0 * ldc, ldc);
  }
}

// Threads around gemm_serial (a grid of rectangles, or prepacked_rows_split); `b.prepacked` set or not.
void gemm_driver(const MicroKernel& kernel, const GemmConfig& config, const Blocks& blocks, int64_t m, int64_t n,
                 int64_t k, float alpha, const float* a, int64_t lda, const SourceB& b, float beta, float* c,
                 int64_t ldc) {
  const int mr = kernel.mr, nr = kernel.nr;
  const int64_t m_tiles = ceil_div(m, mr), n_tiles = ceil_div(n, nr);

  int threads = config.threads;
  if (threads <= 0) {  // automatic: below ~64^3 multiply-adds a parallel region costs more than it saves
    threads = static_cast<double>(m) * n * k < 64.0 * 64 * 64 ? 1 : omp_get_max_threads();
  }
  if (omp_in_parallel()) threads = 1;  // already inside a parallel loop (e.g. over a batch)
  threads = static_cast<int>(std::min<int64_t>(threads, m_tiles * n_tiles));
  int tm = 1, tn = 1;
  while (threads > 1) {  // a prime thread count larger than both tile counts has no grid: use fewer
    choose_grid(threads, m_tiles, n_tiles, mr, nr, b.prepacked == nullptr, tm, tn);
    if (tm * tn == threads) break;
    --threads;
  }
  const OperandA op_a{a, lda, config.trans_a};
  const SerialFn gemm_serial = serial_for(kernel);
  if (threads <= 1) {
    gemm_serial(kernel, blocks, m, n, k, alpha, op_a, b, beta, c, ldc);
    return;
  }
  if (b.prepacked != nullptr && tm > 1) {
    prepacked_rows_split(kernel, gemm_serial, blocks, threads, m, n, k, alpha, op_a, b, beta, c, ldc);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    // The team may be smaller than asked (OMP_THREAD_LIMIT, dynamic adjustment): whoever is
    // present takes the rectangles between them.
#pragma omp for schedule(dynamic)
    for (int t = 0; t < tm * tn; ++t) {
      const int ti = t / tn, tj = t % tn;
      const int64_t row0 = std::min(m, ti * m_tiles / tm * mr), row1 = std::min(m, (ti + 1) * m_tiles / tm * mr);
      const int64_t col0 = std::min(n, tj * n_tiles / tn * nr), col1 = std::min(n, (tj + 1) * n_tiles / tn * nr);
      if (row1 <= row0 || col1 <= col0) continue;
      const OperandA sub_a{op_a.at(row0, 0), lda, config.trans_a};
      SourceB sub_b = b;
      if (b.prepacked != nullptr) sub_b.panel0 = b.panel0 + col0 / nr;
      else sub_b.b = OperandB{b.b.at(0, col0), b.b.ld, b.b.trans};
      gemm_serial(kernel, blocks, row1 - row0, col1 - col0, k, alpha, sub_a, sub_b, beta, c + row0 * ldc + col0, ldc);
    }
  }
}

Blocks blocks_for(const MicroKernel& kernel, const GemmConfig& config) {
  return {config.block_m > 0 ? round_up(config.block_m, kernel.mr) : kernel.mc,
          config.block_k > 0 ? config.block_k : kernel.kc,
          config.block_n > 0 ? round_up(config.block_n, kernel.nr) : kernel.nc};
}

template <int NR>
void pack_whole_b(const OperandB& b, int64_t k, int64_t n, int64_t kc, int64_t padded_n, float* dst) {
  for (int64_t pc = 0; pc < k; pc += kc) pack_b<NR>(b, pc, std::min(kc, k - pc), 0, n, dst + pc * padded_n);
}

}  // namespace

void gemm_packed(const MicroKernel& kernel, const GemmConfig& config, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_driver(kernel, config, blocks_for(kernel, config), m, n, k, alpha, a, lda,
              SourceB{OperandB{b, ldb, config.trans_b}}, beta, c, ldc);
}

int64_t packed_b_floats(const MicroKernel& kernel, int64_t k, int64_t n) { return k * round_up(n, kernel.nr); }

void pack_b_whole(const MicroKernel& kernel, bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb,
                  float* dst) {
  const OperandB op{b, ldb, trans_b};
  const int64_t padded_n = round_up(n, kernel.nr);
  if (kernel.nr == 16) pack_whole_b<16>(op, k, n, kernel.kc, padded_n, dst);
  else if (kernel.nr == kAvx512Geometry.nr) pack_whole_b<kAvx512Geometry.nr>(op, k, n, kernel.kc, padded_n, dst);
  else throw Error(str_cat("gemm: no packing for a ", kernel.mr, " x ", kernel.nr, " tile"));
}

void gemm_prepacked(const MicroKernel& kernel, const GemmConfig& config, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* packed_b, float beta, float* c, int64_t ldc) {
  Blocks blocks = blocks_for(kernel, config);
  blocks.kc = kernel.kc;  // the k blocks the panels were packed in
  SourceB src{OperandB{nullptr, 0, false}, packed_b, round_up(n, kernel.nr), 0};
  gemm_driver(kernel, config, blocks, m, n, k, alpha, a, lda, src, beta, c, ldc);
}

}  // namespace fc::gemm_detail
