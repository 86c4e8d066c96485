// Attention forward/backward timings against the matmul-bound time for the same FLOPs.
//
//   build/bench_attention            # all shapes, 1 and 2 threads
//   build/bench_attention --quick    # fewer repetitions, no naive reference
//
// FLOPs counted: forward 4 B H Q K D (q k^T and P v), backward 10 B H Q K D (the recomputed
// q k^T plus dO v^T, P^T dO, dS^T q, dS k). The probabilities' extra sweep is timed, not counted.
// "x peak" divides by flops / the FMA peak measured at start-up (so a busy machine skews both
// alike); "x gemm" by flops / fc::gemm's rate at the shape of one head's q k^T.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/attention.h"
#include "ops/kernels/gemm.h"

#include <xsimd/xsimd.hpp>

using namespace fc;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <class F>
double best_of(int reps, F&& f) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    double t0 = now_s();
    f();
    best = std::min(best, now_s() - t0);
  }
  return best;
}

struct Case {
  const char* name;
  int64_t B, H, Q, K, D;
  bool probs;
};

// FMA throughput right now (GFLOP/s over all threads): 12 independent accumulator chains in the
// widest vectors this binary's baseline ISA has. Measured beside the kernels so that a busy
// machine slows both alike.
double fma_peak(int threads) {
  using V = xsimd::batch<float>;
  const int64_t iterations = 20'000'000;
  volatile float sink = 0;
  double t = best_of(3, [&] {
#pragma omp parallel num_threads(threads)
    {
      V acc[12];
      for (int i = 0; i < 12; ++i) acc[i] = V(static_cast<float>(i));
      const V a(0.999999f), b(1e-7f);
      for (int64_t n = 0; n < iterations; ++n)
        for (int i = 0; i < 12; ++i) acc[i] = xsimd::fma(acc[i], a, b);
      float s = 0;
      for (int i = 0; i < 12; ++i) s += xsimd::hadd(acc[i]);
      sink = sink + s;
    }
  });
  return threads * iterations * 12.0 * 2 * V::size / t * 1e-9;
}

// fc::gemm rate (GFLOP/s) at one head's score shape: (Q, D) x (D, K).
double gemm_rate(int64_t Q, int64_t K, int64_t D, int threads, int reps) {
  Rng rng(1);
  Tensor a = Tensor::randn({Q, D}, rng), b = Tensor::randn({K, D}, rng), c = Tensor::empty({Q, K});
  GemmConfig config{.trans_b = true, .threads = threads};
  double t = best_of(reps, [&] {
    gemm(config, Q, K, D, 1.f, a.data(), D, b.data(), D, 0.f, c.mutable_data(), K);
  });
  return 2.0 * Q * K * D / t * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--quick")) quick = true;
  const double peaks[3] = {0, fma_peak(1), fma_peak(2)};
  std::printf("FMA peak measured now: %.1f GFLOP/s (1 thread), %.1f GFLOP/s (2 threads), %d-float vectors\n",
              peaks[1], peaks[2], static_cast<int>(xsimd::batch<float>::size));
  const int reps = quick ? 3 : 10;
  const std::vector<Case> cases = {
      {"self L=50", 1, 12, 50, 50, 64, false},
      {"self L=1025", 1, 12, 1025, 1025, 64, false},
      {"cross 101x12288", 1, 8, 101, 12 * 1024, 32, false},
      {"cross 101x12288 +probs", 1, 8, 101, 12 * 1024, 32, true},
  };
  std::printf("%-24s %3s %10s %9s %8s %10s %9s %8s %8s\n", "case (B=1, D)", "thr", "fwd ms", "GFLOP/s", "x peak",
              "bwd ms", "GFLOP/s", "x peak", "x gemm");
  for (const Case& c : cases) {
    Rng rng(0);
    Tensor q = Tensor::randn({c.B, c.H, c.Q, c.D}, rng).set_requires_grad(true);
    Tensor k = Tensor::randn({c.B, c.H, c.K, c.D}, rng).set_requires_grad(true);
    Tensor v = Tensor::randn({c.B, c.H, c.K, c.D}, rng).set_requires_grad(true);
    Tensor grad = Tensor::randn({c.B, c.H, c.Q, c.D}, rng);
    const double unit = static_cast<double>(c.B) * c.H * c.Q * c.K * c.D;
    for (int threads : {1, 2}) {
      AttentionOptions o;
      o.threads = threads;
      double fwd = best_of(reps, [&] {
        NoGradGuard no_grad;
        if (c.probs) attention_with_probs(q, k, v, o);
        else scaled_dot_product_attention(q, k, v, o);
      });
      double bwd = 1e30;
      for (int r = 0; r < reps; ++r) {
        Tensor out = scaled_dot_product_attention(q, k, v, o);
        bwd = std::min(bwd, best_of(1, [&] { out.backward(grad); }));
      }
      const double peak = peaks[threads];
      const double g = gemm_rate(c.Q, c.K, c.D, threads, quick ? 1 : 2);
      std::printf("%-24s %3d %10.3f %9.1f %8.2f %10.3f %9.1f %8.2f %8.2f\n", c.name, threads, fwd * 1e3,
                  4 * unit / fwd * 1e-9, fwd / (4 * unit / peak * 1e-9), bwd * 1e3, 10 * unit / bwd * 1e-9,
                  bwd / (10 * unit / peak * 1e-9), fwd / (4 * unit / g * 1e-9));
      std::fflush(stdout);
    }
  }
  if (!quick) {
    // The naive reference at the small shape, as the "before" figure.
    Rng rng(0);
    Tensor q = Tensor::randn({1, 12, 50, 64}, rng), k = Tensor::randn({1, 12, 50, 64}, rng);
    AttentionOptions o;
    o.force_reference = true;
    double t = best_of(3, [&] { scaled_dot_product_attention(q, k, k, o); });
    std::printf("naive reference, self L=50: %.3f ms\n", t * 1e3);
  }
  std::printf("x peak: time / (flops / FMA peak); x gemm: forward time / (flops / fc::gemm rate at one head's "
              "(Q, D) x (D, K))\n");
  return 0;
}
