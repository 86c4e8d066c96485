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
// Threads each take a rectangle of C and run this nest on it alone (own packed copies, no
// barriers); the rectangle grid is chosen so that the re-packing it costs stays small.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

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

// A block rows [i0, i0 + rows) x depth [p0, p0 + depth) into mr-row micro-panels: panel t holds,
// for each p, the mr values of rows t*mr.. (zeros past `rows`), so the kernel reads it linearly.
void pack_a(const OperandA& a, int64_t i0, int64_t rows, int64_t p0, int64_t depth, int mr, float* dst) {
  for (int64_t r0 = 0; r0 < rows; r0 += mr, dst += mr * depth) {
    const int valid = static_cast<int>(std::min<int64_t>(mr, rows - r0));
    if (a.trans) {  // A stored (K, M): the mr values of one p are contiguous
      for (int64_t p = 0; p < depth; ++p) {
        const float* src = a.at(i0 + r0, p0 + p);
        float* d = dst + p * mr;
        for (int i = 0; i < valid; ++i) d[i] = src[i];
        for (int i = valid; i < mr; ++i) d[i] = 0.f;
      }
    } else {  // each row is contiguous in p: read rows, scatter with stride mr
      for (int i = 0; i < valid; ++i) {
        const float* src = a.at(i0 + r0 + i, p0);
        for (int64_t p = 0; p < depth; ++p) dst[p * mr + i] = src[p];
      }
      for (int i = valid; i < mr; ++i)
        for (int64_t p = 0; p < depth; ++p) dst[p * mr + i] = 0.f;
    }
  }
}

// B block depth [p0, p0 + depth) x columns [j0, j0 + cols) into nr-column micro-panels: panel t
// holds, for each p, the nr values of columns t*nr.. (zeros past `cols`).
void pack_b(const OperandB& b, int64_t p0, int64_t depth, int64_t j0, int64_t cols, int nr, float* dst) {
  for (int64_t c0 = 0; c0 < cols; c0 += nr, dst += nr * depth) {
    const int valid = static_cast<int>(std::min<int64_t>(nr, cols - c0));
    if (!b.trans) {  // rows of B are contiguous in j
      for (int64_t p = 0; p < depth; ++p) {
        const float* src = b.at(p0 + p, j0 + c0);
        float* d = dst + p * nr;
        std::memcpy(d, src, sizeof(float) * valid);
        for (int j = valid; j < nr; ++j) d[j] = 0.f;
      }
    } else {  // B stored (N, K), e.g. a Linear weight: each column of op(B) is contiguous in p
      for (int j = 0; j < valid; ++j) {
        const float* src = b.at(p0, j0 + c0 + j);
        for (int64_t p = 0; p < depth; ++p) dst[p * nr + j] = src[p];
      }
      for (int j = valid; j < nr; ++j)
        for (int64_t p = 0; p < depth; ++p) dst[p * nr + j] = 0.f;
    }
  }
}

struct Blocks {
  int64_t mc, kc, nc;
};

// The loop nest of the file comment on one rectangle of C, on the calling thread.
void gemm_serial(const MicroKernel& kernel, const Blocks& blocks, int64_t m, int64_t n, int64_t k, float alpha,
                 const OperandA& a, const OperandB& b, float beta, float* c, int64_t ldc) {
  const int mr = kernel.mr, nr = kernel.nr;
  PackBuffers& buffers = t_pack_buffers;
  const int64_t kc_max = std::min(blocks.kc, k);
  float* packed_a = PackBuffers::ensure(buffers.a, buffers.a_floats,
                                        static_cast<size_t>(round_up(std::min(blocks.mc, m), mr) * kc_max));
  float* packed_b = PackBuffers::ensure(buffers.b, buffers.b_floats,
                                        static_cast<size_t>(round_up(std::min(blocks.nc, n), nr) * kc_max));
  for (int64_t jc = 0; jc < n; jc += blocks.nc) {
    const int64_t nb = std::min(blocks.nc, n - jc);
    for (int64_t pc = 0; pc < k; pc += blocks.kc) {
      const int64_t kb = std::min(blocks.kc, k - pc);
      pack_b(b, pc, kb, jc, nb, nr, packed_b);
      // C = alpha * sum over k blocks + beta * C: the first block applies beta, later ones add.
      const float beta_block = pc == 0 ? beta : 1.f;
      for (int64_t ic = 0; ic < m; ic += blocks.mc) {
        const int64_t mb = std::min(blocks.mc, m - ic);
        pack_a(a, ic, mb, pc, kb, mr, packed_a);
        for (int64_t jr = 0; jr < nb; jr += nr) {
          MicroTile tile{kb, nullptr, packed_b + jr * kb, nullptr, ldc, 0, static_cast<int>(std::min<int64_t>(nr, nb - jr)),
                         alpha, beta_block};
          for (int64_t ir = 0; ir < mb; ir += mr) {
            tile.a = packed_a + ir * kb;
            tile.c = c + (ic + ir) * ldc + jc + jr;
            tile.m = static_cast<int>(std::min<int64_t>(mr, mb - ir));
            kernel.run(tile);
          }
        }
      }
    }
  }
}

// Splits C into a grid of tm x tn thread rectangles (tm * tn = threads). Each thread packs its own
// rows of A (K x M/tm) and columns of B (K x N/tn), so the grid minimises the per-thread compute
// plus that packing; a packed element costs about as long as 16 multiply-adds in the kernel.
void choose_grid(int threads, int64_t m_tiles, int64_t n_tiles, int mr, int nr, int& tm, int& tn) {
  double best = -1;
  for (int rows = 1; rows <= threads; ++rows) {
    if (threads % rows != 0) continue;
    const int cols = threads / rows;
    if (rows > m_tiles || cols > n_tiles) continue;
    const double mt = static_cast<double>(ceil_div(m_tiles, rows) * mr);
    const double nt = static_cast<double>(ceil_div(n_tiles, cols) * nr);
    const double cost = mt * nt + 16.0 * (mt + nt);
    if (best < 0 || cost < best) {
      best = cost;
      tm = rows;
      tn = cols;
    }
  }
}

}  // namespace

void gemm_packed(const MicroKernel& kernel, const GemmConfig& config, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const int mr = kernel.mr, nr = kernel.nr;
  Blocks blocks{config.block_m > 0 ? round_up(config.block_m, mr) : kernel.mc,
                config.block_k > 0 ? config.block_k : kernel.kc,
                config.block_n > 0 ? round_up(config.block_n, nr) : kernel.nc};
  const int64_t m_tiles = ceil_div(m, mr), n_tiles = ceil_div(n, nr);

  int threads = config.threads;
  if (threads <= 0) {  // automatic: below ~64^3 multiply-adds a parallel region costs more than it saves
    threads = static_cast<double>(m) * n * k < 64.0 * 64 * 64 ? 1 : omp_get_max_threads();
  }
  if (omp_in_parallel()) threads = 1;  // already inside a parallel loop (e.g. over a batch)
  threads = static_cast<int>(std::min<int64_t>(threads, m_tiles * n_tiles));
  int tm = 1, tn = 1;
  while (threads > 1) {  // a prime thread count larger than both tile counts has no grid: use fewer
    choose_grid(threads, m_tiles, n_tiles, mr, nr, tm, tn);
    if (tm * tn == threads) break;
    --threads;
  }
  const OperandA op_a{a, lda, config.trans_a};
  const OperandB op_b{b, ldb, config.trans_b};
  if (threads <= 1) {
    gemm_serial(kernel, blocks, m, n, k, alpha, op_a, op_b, beta, c, ldc);
    return;
  }

#pragma omp parallel num_threads(threads)
  {
    // The team may be smaller than asked (OMP_THREAD_LIMIT, dynamic adjustment): whoever is
    // missing, the threads present cover every rectangle between them.
    const int team = omp_get_num_threads();
    for (int t = omp_get_thread_num(); t < tm * tn; t += team) {
      const int ti = t / tn, tj = t % tn;
      const int64_t row0 = std::min(m, ti * m_tiles / tm * mr), row1 = std::min(m, (ti + 1) * m_tiles / tm * mr);
      const int64_t col0 = std::min(n, tj * n_tiles / tn * nr), col1 = std::min(n, (tj + 1) * n_tiles / tn * nr);
      if (row1 <= row0 || col1 <= col0) continue;
      const OperandA sub_a{op_a.at(row0, 0), lda, config.trans_a};
      const OperandB sub_b{op_b.at(0, col0), ldb, config.trans_b};
      gemm_serial(kernel, blocks, row1 - row0, col1 - col0, k, alpha, sub_a, sub_b, beta, c + row0 * ldc + col0, ldc);
    }
  }
}

}  // namespace fc::gemm_detail
