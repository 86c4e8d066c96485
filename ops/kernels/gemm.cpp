#include "ops/kernels/gemm.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>

#include "core/error.h"
#include "ops/kernels/gemm_packed.h"

namespace fc {

void gemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        float av = trans_a ? a[p * lda + i] : a[i * lda + p];
        float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += static_cast<double>(av) * bv;
      }
      float prev = beta == 0.f ? 0.f : beta * c[i * ldc + j];
      c[i * ldc + j] = static_cast<float>(alpha * acc) + prev;
    }
  }
}

namespace {

bool cpu_has_avx512() {
  // The *_avx512.cpp files are compiled with exactly these four extensions.
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

}  // namespace

// The one place the instruction set is chosen; the CPU does not change while we run.
GemmIsa gemm_default_isa() {
  static const GemmIsa isa = cpu_has_avx512() ? GemmIsa::avx512 : GemmIsa::avx2;
  return isa;
}

const char* gemm_isa_name(GemmIsa isa) {
  switch (isa) {
    case GemmIsa::automatic: return "automatic";
    case GemmIsa::avx2: return "avx2";
    case GemmIsa::avx512: return "avx512";
    case GemmIsa::reference: return "reference";
    case GemmIsa::avx2_wide_tile: return "avx2_wide_tile";
  }
  return "?";
}

namespace {

gemm_detail::MicroKernel kernel_for(GemmIsa isa) {
  switch (isa) {
    case GemmIsa::avx512:
      FC_CHECK(cpu_has_avx512(), "gemm: the avx512 path was requested on a CPU without AVX-512");
      return gemm_detail::micro_kernel_avx512();
    case GemmIsa::avx2_wide_tile: return gemm_detail::micro_kernel_avx2_wide_tile();
    default: return gemm_detail::micro_kernel_avx2();
  }
}

}  // namespace

namespace {

constexpr size_t kPage = 4096, kHugePage = size_t{2} << 20;
size_t page_round(size_t bytes) { return (bytes + kPage - 1) / kPage * kPage; }

// A pack's own mapping, not a BufferPool block: the pool's size classes round multi-MiB blocks up
// to whole 2 MiB huge pages, and a pack lives as long as its model, so that rounding (~1 MiB per
// encoder weight, 39 MiB for Faceptor-Base) would stay resident for good. Here the mapping starts
// on a 2 MiB boundary and ends at the last page the pack uses: every whole 2 MiB inside gets a
// huge page (fewer TLB misses while a product streams the panels), the tail stays 4 KiB pages.
float* map_pack(size_t bytes) {
  const size_t capacity = page_round(bytes), span = capacity + kHugePage;
  void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<uintptr_t>(p);
  const uintptr_t start = (base + kHugePage - 1) / kHugePage * kHugePage;
  if (start > base) munmap(p, start - base);
  munmap(reinterpret_cast<void*>(start + capacity), base + span - start - capacity);
  madvise(reinterpret_cast<void*>(start), capacity, MADV_HUGEPAGE);
  return reinterpret_cast<float*>(start);
}

void unmap_pack(const float* p, size_t bytes) { munmap(const_cast<float*>(p), page_round(bytes)); }

}  // namespace

size_t PackedB::bytes() const {
  return defined() ? static_cast<size_t>(gemm_detail::packed_b_floats(kernel_for(isa), k, n)) * sizeof(float) : 0;
}

PackedB gemm_pack_b(bool trans_b, int64_t k, int64_t n, const float* b, int64_t ldb) {
  FC_CHECK(k > 0 && n > 0, "gemm_pack_b: empty operand k=", k, " n=", n);
  PackedB packed;
  packed.k = k;
  packed.n = n;
  packed.isa = gemm_default_isa();
  const gemm_detail::MicroKernel kernel = kernel_for(packed.isa);
  const size_t bytes = static_cast<size_t>(gemm_detail::packed_b_floats(kernel, k, n)) * sizeof(float);
  float* data = map_pack(bytes);
  packed.panels = std::shared_ptr<const float>(data, [bytes](const float* p) { unmap_pack(p, bytes); });
  gemm_detail::pack_b_whole(kernel, trans_b, k, n, b, ldb, data);
  return packed;
}

void gemm_prepacked_b(const GemmConfig& config, int64_t m, float alpha, const float* a, int64_t lda, const PackedB& b,
                      float beta, float* c, int64_t ldc) {
  FC_CHECK(b.defined() && m >= 0, "gemm_prepacked_b: no packed operand, or negative m=", m);
  if (m == 0) return;
  gemm_detail::gemm_prepacked(kernel_for(b.isa), config, m, b.n, b.k, alpha, a, lda, b.panels.get(), beta, c, ldc);
}

void gemm(const GemmConfig& config, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  FC_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=", m, " n=", n, " k=", k);
  if (m == 0 || n == 0) return;
  GemmIsa isa = config.force_reference ? GemmIsa::reference : config.isa;
  if (isa == GemmIsa::automatic) isa = gemm_default_isa();
  if (isa == GemmIsa::reference || k == 0) {  // k == 0: C = beta * C, which the reference does
    gemm_reference(config.trans_a, config.trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  gemm_detail::gemm_packed(kernel_for(isa), config, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace fc
