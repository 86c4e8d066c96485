// GEMM throughput: the machine's fp32 FMA peak, then our packed gemm and Eigen 3.4 at the
// model's matrix shapes on 1 and 2 threads, as GFLOP/s, % of peak and the ratio ours / Eigen.
// Columns: B row-major (plain), B^T stored (N, K) like a Linear weight and packed per call
// (training), and B^T packed once with gemm_pack_b (frozen inference weights).
//
//   build/bench_matmul            # every shape, best of several repetitions after a warm-up
//   build/bench_matmul --quick    # two shapes, a few seconds (what `make demo` runs)
//
// Timings are only meaningful on an otherwise idle machine. Eigen is compiled here with the same
// flags as the project (x86-64-v3, no -ffast-math) and threaded with Eigen::setNbThreads.
#include <immintrin.h>
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"
#include "ops/kernels/gemm.h"

namespace {

using Clock = std::chrono::steady_clock;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Register-resident FMA chains: enough independent accumulators to cover 2 pipes x 4-5 cycles of
// latency, no memory traffic, so the loop runs at the core's FMA throughput. Returns FLOPs done.
// (No asm barrier inside the loop: one that names the accumulators makes GCC spill them to the
// stack every iteration, which halves the measured peak. The final sum keeps the loop alive.)
constexpr int64_t kPeakIterations = 20'000'000;

double fma_loop_avx2() {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < kPeakIterations; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  }
  float sink = 0;
  for (int i = 0; i < 12; ++i) sink += _mm256_cvtss_f32(acc[i]);
  __asm__ volatile("" ::"x"(sink));
  return 2.0 * 8 * 12 * kPeakIterations;
}

__attribute__((target("avx512f"))) double fma_loop_avx512() {
  __m512 acc[24];
  for (int i = 0; i < 24; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < kPeakIterations; ++it) {
    for (int i = 0; i < 24; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  }
  float sink = 0;
  for (int i = 0; i < 24; ++i) sink += _mm512_cvtss_f32(acc[i]);
  __asm__ volatile("" ::"x"(sink));
  return 2.0 * 16 * 24 * kPeakIterations;
}

// GFLOP/s of `threads` threads each running the FMA loop at once (best of 3).
double measure_peak(int threads, bool avx512) {
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double flops = 0;
    auto start = Clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
    flops += avx512 ? fma_loop_avx512() : fma_loop_avx2();
    best = std::max(best, flops / seconds_since(start) * 1e-9);
  }
  return best;
}

// Best time of `reps` runs after one warm-up run.
double best_seconds(int reps, const std::function<void()>& run) {
  run();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    auto start = Clock::now();
    run();
    best = std::min(best, seconds_since(start));
  }
  return best;
}

struct Shape3 {
  int64_t m, k, n;
};

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const bool avx512 = fc::gemm_default_isa() == fc::GemmIsa::avx512;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {  // a busy machine makes every number below low
    double load = 0;
    if (std::fscanf(f, "%lf", &load) == 1)
      std::printf("load average %.2f on %d hardware threads%s\n", load, omp_get_num_procs(),
                  load > 0.5 * omp_get_num_procs() ? " (busy: timings are noisy)" : "");
    std::fclose(f);
  }
  std::printf("gemm kernel: %s; fp32 FMA peak measured with %s\n", fc::gemm_isa_name(fc::gemm_default_isa()),
              avx512 ? "AVX-512 (24 zmm chains)" : "AVX2 (12 ymm chains)");
  const int max_threads = std::min(2, omp_get_max_threads());
  std::vector<double> peak(max_threads + 1, 0);
  for (int t = 1; t <= max_threads; ++t) {
    peak[t] = measure_peak(t, avx512);
    std::printf("peak %d thread%s: %.1f GFLOP/s\n", t, t > 1 ? "s" : "", peak[t]);
  }

  // The 512 encoder's four products (1025 tokens), the 112 encoder's (50 tokens), and a training
  // batch of 8 at 112 (400 rows).
  std::vector<Shape3> shapes{{1025, 768, 2304}, {1025, 768, 3072}, {1025, 3072, 768}, {1025, 768, 768},
                             {50, 768, 2304},   {50, 3072, 768},   {400, 768, 3072},  {400, 3072, 768}};
  if (quick) shapes = {{1025, 768, 768}, {50, 768, 2304}};
  const int reps = quick ? 3 : 7;

  std::printf("\n%-18s %3s | %9s %6s | %9s %6s | %9s %6s | %9s %6s | %6s | %s\n", "M x K x N", "thr", "ours", "%peak",
              "ours B^T", "%peak", "prepacked", "%peak", "Eigen", "%peak", "ratio", "max |ours - Eigen| / max |C|");
  fc::Rng rng(0);
  for (const Shape3& s : shapes) {
    fc::Tensor ta = fc::Tensor::randn({s.m, s.k}, rng), tb = fc::Tensor::randn({s.k, s.n}, rng);
    std::vector<float> a = ta.to_vector(), b = tb.to_vector(), b_t(b.size()), c(s.m * s.n);
    for (int64_t p = 0; p < s.k; ++p)
      for (int64_t j = 0; j < s.n; ++j) b_t[j * s.k + p] = b[p * s.n + j];  // B^T stored (N, K), a Linear weight
    RowMatrix ea = Eigen::Map<RowMatrix>(a.data(), s.m, s.k), eb = Eigen::Map<RowMatrix>(b.data(), s.k, s.n);
    RowMatrix ec(s.m, s.n);
    const double flops = 2.0 * s.m * s.n * s.k;
    const fc::PackedB packed = fc::gemm_pack_b(true, s.k, s.n, b_t.data(), s.k);
    for (int t = 1; t <= max_threads; ++t) {
      fc::GemmConfig plain{.threads = t}, linear{.trans_b = true, .threads = t};
      double ours = best_seconds(reps, [&] {
        fc::gemm(plain, s.m, s.n, s.k, 1.f, a.data(), s.k, b.data(), s.n, 0.f, c.data(), s.n);
      });
      double ours_t = best_seconds(reps, [&] {
        fc::gemm(linear, s.m, s.n, s.k, 1.f, a.data(), s.k, b_t.data(), s.k, 0.f, c.data(), s.n);
      });
      double ours_p = best_seconds(reps, [&] {
        fc::gemm_prepacked_b(plain, s.m, 1.f, a.data(), s.k, packed, 0.f, c.data(), s.n);
      });
      Eigen::setNbThreads(t);
      double eigen = best_seconds(reps, [&] { ec.noalias() = ea * eb; });
      double diff = 0, scale = 0;
      for (int64_t i = 0; i < s.m * s.n; ++i) {
        diff = std::max(diff, static_cast<double>(std::fabs(c[i] - ec.data()[i])));
        scale = std::max(scale, static_cast<double>(std::fabs(ec.data()[i])));
      }
      const double g = flops / ours * 1e-9, gt = flops / ours_t * 1e-9, gp = flops / ours_p * 1e-9;
      const double ge = flops / eigen * 1e-9;
      char name[32];
      std::snprintf(name, sizeof name, "%lldx%lldx%lld", static_cast<long long>(s.m), static_cast<long long>(s.k),
                    static_cast<long long>(s.n));
      std::printf("%-18s %3d | %9.1f %5.0f%% | %9.1f %5.0f%% | %9.1f %5.0f%% | %9.1f %5.0f%% | %5.2fx | %.1e\n", name,
                  t, g, 100 * g / peak[t], gt, 100 * gt / peak[t], gp, 100 * gp / peak[t], ge, 100 * ge / peak[t],
                  g / ge, diff / scale);
    }
  }
  std::printf("\nGFLOP/s = 2*M*N*K / best of %d runs after a warm-up; ratio = ours / Eigen (plain layout).\n", reps);
  return 0;
}
