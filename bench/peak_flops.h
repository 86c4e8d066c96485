// The machine's fp32 FMA peak, measured: register-resident FMA chains on every thread at once.
// The same loops as bench/bench_matmul.cpp (kept there too so that bench stays self-contained).
//
//   fc::bench::Peak p = fc::bench::measure_fma_peak(2);   // GFLOP/s of 2 threads, best of 3
#pragma once

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>

#include "ops/kernels/gemm.h"

namespace fc::bench {

// Enough independent accumulators to cover 2 pipes x 4-5 cycles of FMA latency, no memory
// traffic. No asm barrier inside the loop: one naming the accumulators makes GCC spill them.
inline constexpr int64_t kPeakIterations = 20'000'000;

inline double fma_loop_avx2() {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < kPeakIterations; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  float sink = 0;
  for (int i = 0; i < 12; ++i) sink += _mm256_cvtss_f32(acc[i]);
  __asm__ volatile("" ::"x"(sink));
  return 2.0 * 8 * 12 * kPeakIterations;
}

__attribute__((target("avx512f"))) inline double fma_loop_avx512() {
  __m512 acc[24];
  for (int i = 0; i < 24; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < kPeakIterations; ++it)
    for (int i = 0; i < 24; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  float sink = 0;
  for (int i = 0; i < 24; ++i) sink += _mm512_cvtss_f32(acc[i]);
  __asm__ volatile("" ::"x"(sink));
  return 2.0 * 16 * 24 * kPeakIterations;
}

inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Peak {
  double wall = 0;  // GFLOP/s of `threads` threads by the clock (low when the machine is shared)
  double cpu = 0;   // sum over threads of GFLOP per CPU-second: the peak of `threads` owned cores
};

// The FMA loop on `threads` threads at once (best of 3), with the ISA the gemm uses.
inline Peak measure_fma_peak(int threads) {
  const bool avx512 = gemm_default_isa() == GemmIsa::avx512;
  Peak best;
  for (int rep = 0; rep < 3; ++rep) {
    double flops = 0, per_cpu = 0;
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : flops, per_cpu)
    {
      const double t0 = thread_cpu_seconds();
      const double f = avx512 ? fma_loop_avx512() : fma_loop_avx2();
      flops += f;
      per_cpu += f / (thread_cpu_seconds() - t0);
    }
    best.wall = std::max(best.wall, flops / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() * 1e-9);
    best.cpu = std::max(best.cpu, per_cpu * 1e-9);
  }
  return best;
}

}  // namespace fc::bench
