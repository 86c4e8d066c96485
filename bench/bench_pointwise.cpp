// Pointwise, reduction and softmax throughput at the model's activation shapes, as ns per
// element and GB/s (input read + output written), on 1 and 2 threads, next to a plain copy
// (clone) as the memory-bound ceiling and, for reductions, the strided fallback as the reference.
//
//   build/bench_pointwise            # every row, best of several repetitions after a warm-up
//   build/bench_pointwise --quick    # fewer repetitions
//
// Timings are only meaningful on an otherwise idle machine.
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>

#include "core/random.h"
#include "core/tensor.h"
#include "ops/reduce.h"
#include "ops/softmax.h"
#include "ops/unary.h"

namespace {

using Clock = std::chrono::steady_clock;

double best_seconds(int reps, const std::function<void()>& run) {
  run();
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    auto start = Clock::now();
    run();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

void row(const char* what, const fc::Tensor& x, int64_t out_elements, int reps,
         const std::function<fc::Tensor(const fc::Tensor&)>& op) {
  std::printf("%-34s", what);
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    const double s = best_seconds(reps, [&] { op(x); });
    const double bytes = 4.0 * static_cast<double>(x.numel() + out_elements);
    std::printf("  %dT %7.3f ms %6.2f ns/el %6.1f GB/s", threads, s * 1e3, s * 1e9 / static_cast<double>(x.numel()),
                bytes / s * 1e-9);
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int reps = quick ? 3 : 10;
  fc::Rng rng(0);
  // ViT-B MLP hidden activations for one image: (N = 197 tokens, 4 * 768 channels).
  fc::Tensor mlp = fc::Tensor::randn({197, 3072}, rng);
  // Attention scores for one image: (H = 12 heads, N, N).
  fc::Tensor scores = fc::Tensor::randn({12, 197, 197}, rng);
  fc::Tensor scores_strided = scores.permute({2, 1, 0}).contiguous().permute({2, 1, 0});
  const int64_t n = mlp.numel(), s = scores.numel();

  std::printf("pointwise ops, (197, 3072) = %lld elements\n", static_cast<long long>(n));
  row("copy (clone, memory ceiling)", mlp, n, reps, [](const fc::Tensor& x) { return x.clone(); });
  row("relu", mlp, n, reps, [](const fc::Tensor& x) { return fc::relu(x); });
  row("exp", mlp, n, reps, [](const fc::Tensor& x) { return fc::exp(x); });
  row("sigmoid", mlp, n, reps, [](const fc::Tensor& x) { return fc::sigmoid(x); });
  row("gelu (erf, double)", mlp, n, reps, [](const fc::Tensor& x) { return fc::gelu(x); });
  row("quick_gelu", mlp, n, reps, [](const fc::Tensor& x) { return fc::quick_gelu(x); });
  std::printf("softmax and reductions, (12, 197, 197) = %lld elements\n", static_cast<long long>(s));
  row("softmax dim -1 (rows)", scores, s, reps, [](const fc::Tensor& x) { return fc::softmax(x, -1); });
  row("softmax dim 1 (columns)", scores, s, reps, [](const fc::Tensor& x) { return fc::softmax(x, 1); });
  row("sum dim -1 (contiguous rows)", scores, s / 197, reps, [](const fc::Tensor& x) { return fc::sum(x, {-1}); });
  row("sum dim -1 (strided fallback)", scores_strided, s / 197, reps,
      [](const fc::Tensor& x) { return fc::sum(x, {-1}); });
  row("sum dim 0 (leading)", scores, s / 12, reps, [](const fc::Tensor& x) { return fc::sum(x, {0}); });
  row("max dim -1", scores, s / 197, reps, [](const fc::Tensor& x) { return fc::max(x, -1); });
  row("max dim 0", scores, s / 12, reps, [](const fc::Tensor& x) { return fc::max(x, 0); });
  return 0;
}
