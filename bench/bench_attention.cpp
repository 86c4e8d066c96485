// Attention forward/backward timings against the matmul-bound time for the same FLOPs.
//
//   build/bench_attention            # all shapes, 1 and 2 threads
//   build/bench_attention --quick    # fewer repetitions, no naive reference
//
// FLOPs counted: forward 4 B H Q K D (q k^T and P v), backward 10 B H Q K D (the recomputed
// q k^T plus dO v^T, P^T dO, dS^T q, dS k). The probabilities' extra sweep is timed, not counted.
// "x peak" divides by flops / the FMA peak measured at start-up (so a busy machine skews both
// alike), "(cpu)" the same in CPU seconds (robust to other processes taking the cores); "x gemm"
// divides by flops / fc::gemm's rate at the shape of one head's q k^T.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/attention.h"
#include "ops/kernels/gemm.h"

using namespace fc;

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// CPU seconds of all this process's threads: on a shared machine this counts only the time we
// actually ran, so "x peak (cpu)" stays meaningful while wall-clock figures swing.
double cpu_s() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Timing {
  double wall = 1e30, cpu = 1e30;  // best of the repetitions, each
};

template <class F>
Timing best_of(int reps, F&& f) {
  Timing best;
  for (int i = 0; i < reps; ++i) {
    double w0 = now_s(), c0 = cpu_s();
    f();
    best.cpu = std::min(best.cpu, cpu_s() - c0);
    best.wall = std::min(best.wall, now_s() - w0);
  }
  return best;
}

struct Case {
  const char* name;
  int64_t B, H, Q, K, D;
  bool probs;
  // q, k, v as views of one (B, L, 3, H, D) buffer, as a ViT block's fused projection leaves them:
  // rows 3 H D floats apart instead of D.
  bool fused_qkv = false;
};

// FMA throughput right now (GFLOP/s over all threads): 12 independent accumulator chains in the
// widest vectors this binary's baseline ISA has. Measured beside the kernels so that a busy
// machine slows both alike.
Timing fma_peak_time(int threads, int64_t iterations);

// GFLOP/s of the FMA loop: wall-clock over all threads, and per CPU-second.
struct Peak {
  double wall, per_cpu;
};
Peak fma_peak(int threads) {
  const int64_t iterations = 20'000'000;
  Timing t = fma_peak_time(threads, iterations);
  const double flops = threads * iterations * 12.0 * 2 * xsimd::batch<float>::size;
  return {flops / t.wall * 1e-9, flops / t.cpu * 1e-9};
}

Timing fma_peak_time(int threads, int64_t iterations) {
  using V = xsimd::batch<float>;
  volatile float sink = 0;
  return best_of(3, [&] {
#pragma omp parallel num_threads(threads)
    {
      V acc[12];
      for (int i = 0; i < 12; ++i) acc[i] = V(static_cast<float>(i));
      const V a(0.999999f), b(1e-7f);
      for (int64_t n = 0; n < iterations; ++n) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; ++i) acc[i] = xsimd::fma(acc[i], a, b);
      }
      float s = 0;
      for (int i = 0; i < 12; ++i) s += xsimd::hadd(acc[i]);
      sink = sink + s;
    }
  });
}

// fc::gemm rate (GFLOP/s) at one head's score shape: (Q, D) x (D, K).
double gemm_rate(int64_t Q, int64_t K, int64_t D, int threads, int reps) {
  Rng rng(1);
  Tensor a = Tensor::randn({Q, D}, rng), b = Tensor::randn({K, D}, rng), c = Tensor::empty({Q, K});
  GemmConfig config{.trans_b = true, .threads = threads};
  Timing t = best_of(reps, [&] { gemm(config, Q, K, D, 1.f, a.data(), D, b.data(), D, 0.f, c.mutable_data(), K); });
  return 2.0 * Q * K * D / t.wall * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--quick")) quick = true;
  const int reps = quick ? 3 : 10;
  const std::vector<Case> cases = {
      {"self L=50", 1, 12, 50, 50, 64, false},
      {"self L=1025", 1, 12, 1025, 1025, 64, false},
      {"self L=1025 fused qkv", 1, 12, 1025, 1025, 64, false, true},
      {"cross 101x12288, D=32", 1, 8, 101, 12 * 1024, 32, false},
      {"cross 101x12288 +probs", 1, 8, 101, 12 * 1024, 32, true},
  };
  const Peak peaks[3] = {{0, 0}, fma_peak(1), fma_peak(2)};
  std::printf(
      "FMA peak measured now: %.1f GFLOP/s (1 thread), %.1f GFLOP/s (2 threads), %.1f GFLOP/s per CPU-second; "
      "%d-float vectors\n",
      peaks[1].wall, peaks[2].wall, peaks[1].per_cpu, static_cast<int>(xsimd::batch<float>::size));
  std::printf("%-24s %3s | %9s %8s %7s %7s | %9s %8s %7s %7s | %7s\n", "case (B=1)", "thr", "fwd ms", "GFLOP/s",
              "x peak", "(cpu)", "bwd ms", "GFLOP/s", "x peak", "(cpu)", "x gemm");
  for (const Case& c : cases) {
    Rng rng(0);
    Tensor q = Tensor::randn({c.B, c.H, c.Q, c.D}, rng).set_requires_grad(true);
    Tensor k = Tensor::randn({c.B, c.H, c.K, c.D}, rng).set_requires_grad(true);
    Tensor v = Tensor::randn({c.B, c.H, c.K, c.D}, rng).set_requires_grad(true);
    if (c.fused_qkv) {
      Tensor qkv = Tensor::randn({c.B, c.Q, 3, c.H, c.D}, rng).set_requires_grad(true).permute({2, 0, 3, 1, 4});
      q = qkv.select(0, 0), k = qkv.select(0, 1), v = qkv.select(0, 2);
    }
    Tensor grad = Tensor::randn({c.B, c.H, c.Q, c.D}, rng);
    const double unit = static_cast<double>(c.B) * c.H * c.Q * c.K * c.D;
    for (int threads : {1, 2}) {
      AttentionOptions o;
      o.threads = threads;
      Timing fwd = best_of(reps, [&] {
        NoGradGuard no_grad;
        if (c.probs)
          attention_with_probs(q, k, v, o);
        else
          scaled_dot_product_attention(q, k, v, o);
      });
      Timing bwd;
      for (int r = 0; r < reps; ++r) {
        Tensor out = scaled_dot_product_attention(q, k, v, o);
        Timing t = best_of(1, [&] { out.backward(grad); });
        bwd.wall = std::min(bwd.wall, t.wall);
        bwd.cpu = std::min(bwd.cpu, t.cpu);
      }
      // Matmul-bound times: the FLOPs at the measured FMA rate (wall) and per CPU-second.
      const double fwd_bound = 4 * unit / peaks[threads].wall * 1e-9,
                   fwd_cpu_bound = 4 * unit / peaks[1].per_cpu * 1e-9;
      const double g = gemm_rate(c.Q, c.K, c.D, threads, 1);
      std::printf("%-24s %3d | %9.3f %8.1f %7.2f %7.2f | %9.3f %8.1f %7.2f %7.2f | %7.2f\n", c.name, threads,
                  fwd.wall * 1e3, 4 * unit / fwd.wall * 1e-9, fwd.wall / fwd_bound, fwd.cpu / fwd_cpu_bound,
                  bwd.wall * 1e3, 10 * unit / bwd.wall * 1e-9, bwd.wall / (2.5 * fwd_bound),
                  bwd.cpu / (2.5 * fwd_cpu_bound), fwd.wall / (4 * unit / g * 1e-9));
      std::fflush(stdout);
    }
  }
  if (!quick) {
    // The naive reference at the small shape, as the "before" figure.
    Rng rng(0);
    Tensor q = Tensor::randn({1, 12, 50, 64}, rng), k = Tensor::randn({1, 12, 50, 64}, rng);
    AttentionOptions o;
    o.force_reference = true;
    Timing t = best_of(3, [&] { scaled_dot_product_attention(q, k, k, o); });
    std::printf("naive reference, self L=50: %.3f ms\n", t.wall * 1e3);
  }
  std::printf(
      "x peak: wall time / (flops / FMA peak at that thread count); (cpu): CPU time / (flops / FMA peak per "
      "CPU-second), i.e. what an idle machine would show; x gemm: forward wall time / (flops / fc::gemm rate at "
      "one head's (Q, D) x (D, K))\n");
  return 0;
}
