// Times conv2d / conv_transpose2d on Faceptor's shapes, each fast path against the general
// im2col path it replaces (forward, and forward + backward for every input). Reports the best of
// a few runs in ms and GFLOP/s (2 flops per multiply-add of the forward product; backward counts
// twice that). `--quick` uses smaller images.
//
//   build/bench_conv [--quick]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/conv.h"

using namespace fc;

namespace {

double best_ms(int reps, const std::function<void()>& fn) {
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

// fn(x, w, algorithm) -> y; flops: of the forward product.
void bench(const char* label, const Shape& x_shape, const Shape& w_shape, double flops, int reps,
           const std::function<Tensor(const Tensor&, const Tensor&, ConvAlgorithm)>& fn) {
  Rng rng(0);
  Tensor x = Tensor::randn(x_shape, rng).set_requires_grad(true);
  Tensor w = Tensor::randn(w_shape, rng).set_requires_grad(true);
  for (ConvAlgorithm algorithm : {ConvAlgorithm::general, ConvAlgorithm::automatic}) {
    const char* name = algorithm == ConvAlgorithm::general ? "general" : "fast";
    double forward = best_ms(reps, [&] {
      NoGradGuard no_grad;
      fn(x, w, algorithm);
    });
    double both = best_ms(reps, [&] {
      Tensor y = fn(x, w, algorithm);
      y.backward(Tensor::ones(y.shape()));
      x.zero_grad();
      w.zero_grad();
    });
    std::printf("%-34s %-8s forward %9.2f ms (%6.2f GFLOP/s)   forward+backward %9.2f ms (%6.2f GFLOP/s)\n", label,
                name, forward, flops / forward * 1e-6, both, 3 * flops / both * 1e-6);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int reps = quick ? 2 : 3;
  const int64_t image = quick ? 112 : 224, grid = image / 16, low = quick ? 16 : 32;
  std::printf("bench_conv: %d OpenMP threads%s\n", omp_get_max_threads(), quick ? ", quick sizes" : "");

  bench("patch embed 16x16/16 3->768", {1, 3, image, image}, {768, 3, 16, 16}, 2.0 * grid * grid * 768 * 3 * 256,
        reps, [](const Tensor& x, const Tensor& w, ConvAlgorithm a) {
          return conv2d(x, w, Tensor(), {.stride_h = 16, .stride_w = 16, .algorithm = a});
        });
  bench("1x1 256->256", {1, 256, low, low}, {256, 256, 1, 1}, 2.0 * low * low * 256 * 256, reps,
        [](const Tensor& x, const Tensor& w, ConvAlgorithm a) { return conv2d(x, w, Tensor(), {.algorithm = a}); });
  for (int64_t side : {low, 2 * low}) {
    char label[64];
    std::snprintf(label, sizeof label, "transpose 2x2/2 256->256 %ldx%ld", static_cast<long>(side),
                  static_cast<long>(side));
    bench(label, {1, 256, side, side}, {256, 256, 2, 2}, 2.0 * side * side * 256 * 256 * 4, reps,
          [](const Tensor& x, const Tensor& w, ConvAlgorithm a) {
            return conv_transpose2d(x, w, Tensor(), {.stride_h = 2, .stride_w = 2, .algorithm = a});
          });
  }
  return 0;
}
