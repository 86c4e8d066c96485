// The single-process pieces of data parallelism (no MPI needed): SyncBN's cross-process sums in
// batch_norm, checked by splitting one batch into two "processes" whose other half is added in
// the sync function, and GradientBuckets over the LocalCommunicator.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/random.h"
#include "dist/communicator.h"
#include "dist/gradient_buckets.h"
#include "nn/linear.h"
#include "ops/elementwise.h"
#include "ops/norm.h"
#include "ops/reduce.h"
#include "tests/support/check.h"

using namespace fc;

namespace {

// Rows [begin, end) of a contiguous (N, ...) tensor, as a fresh tensor.
Tensor rows(const Tensor& t, int64_t begin, int64_t end) {
  return t.narrow(0, begin, end - begin).clone();
}

}  // namespace

TEST_CASE("batch_norm with a CrossProcessSum (SyncBN) equals batch_norm over the whole batch") {
  Rng rng(7);
  const int64_t N = 6, C = 3, H = 2, W = 2, half = 2;  // "this process" holds rows 0..1, "the other" 2..5
  Tensor x = Tensor::randn({N, C, H, W}, rng, 0.5f, 2.f), upstream = Tensor::randn({N, C, H, W}, rng);
  Tensor weight = Tensor::randn({C}, rng), bias = Tensor::randn({C}, rng);
  Tensor full_mean = Tensor::zeros({C}), full_var = Tensor::ones({C});
  Tensor x_full = x.clone().set_requires_grad(true);
  Tensor y_full = batch_norm(x_full, weight, bias, full_mean, full_var, true, 0.1f, 1e-5f);
  sum(mul(y_full, upstream)).backward();

  // What the other process would contribute, computed directly: its moment sums (forward) and,
  // with the global statistics, its gradient sums (backward).
  Tensor other_x = rows(x, half, N), other_g = rows(upstream, half, N);
  std::vector<double> mean(C), rstd(C);
  {
    const std::vector<float> v = x.to_vector();
    const int64_t inner = H * W;
    for (int64_t c = 0; c < C; ++c) {
      double s = 0, sq = 0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < inner; ++i) {
          const double value = v[(n * C + c) * inner + i];
          s += value;
          sq += value * value;
        }
      mean[c] = s / (N * inner);
      rstd[c] = 1.0 / std::sqrt(sq / (N * inner) - mean[c] * mean[c] + 1e-5);
    }
  }
  int calls = 0;
  CrossProcessSum add_other = [&](std::vector<double>& values) {
    ++calls;
    const std::vector<float> ox = other_x.to_vector(), og = other_g.to_vector();
    const int64_t inner = H * W, rows_other = N - half;
    const bool forward = values.size() == static_cast<size_t>(2 * C + 1);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t n = 0; n < rows_other; ++n)
        for (int64_t i = 0; i < inner; ++i) {
          const double v = ox[(n * C + c) * inner + i], g = og[(n * C + c) * inner + i];
          if (forward) {
            values[c] += v;
            values[C + c] += v * v;
          } else {
            values[c] += g;
            values[C + c] += g * (static_cast<float>(v) - static_cast<float>(mean[c])) * static_cast<float>(rstd[c]);
          }
        }
    if (forward) values[2 * C] += static_cast<double>(rows_other * inner);
  };
  Tensor mine_mean = Tensor::zeros({C}), mine_var = Tensor::ones({C});
  Tensor x_mine = rows(x, 0, half).set_requires_grad(true);
  Tensor y_mine = batch_norm(x_mine, weight, bias, mine_mean, mine_var, true, 0.1f, 1e-5f, add_other);
  sum(mul(y_mine, rows(upstream, 0, half))).backward();
  CHECK(calls == 2);  // one sum in the forward, one in the backward
  test::check_close(y_mine, rows(y_full.detach(), 0, half), {1e-5, 1e-5}, "SyncBN forward");
  test::check_close(mine_mean, full_mean, {1e-6, 1e-6}, "SyncBN running_mean");
  test::check_close(mine_var, full_var, {1e-6, 1e-6}, "SyncBN running_var (unbiased over the global count)");
  test::check_close(x_mine.grad(), rows(x_full.grad(), 0, half), {1e-5, 1e-4}, "SyncBN input gradient");
}

TEST_CASE("GradientBuckets on one process: buckets start during backward and leave the gradients as they are") {
  Rng rng(3);
  Linear first(8, 16), second(16, 4);
  first.initialize(rng);
  second.initialize(rng);
  std::vector<Tensor*> parameters = first.parameters();
  for (Tensor* p : second.parameters()) parameters.push_back(p);
  Tensor x = Tensor::randn({5, 8}, rng);
  auto loss = [&] { return sum(second.forward(first.forward(x))); };
  loss().backward();
  std::vector<std::vector<float>> plain;
  for (Tensor* p : parameters) {
    plain.push_back(p->grad().to_vector());
    p->zero_grad();
  }
  dist::LocalCommunicator local;
  dist::GradientBuckets buckets(local, parameters, /*bucket_floats=*/70);  // a bucket or two per layer
  CHECK(buckets.bucket_count() >= 3);
  Tensor total = loss();
  run_backward(total, Tensor::ones(total.shape()), buckets.leaf_ready_hook());
  buckets.finish();
  CHECK(buckets.last_timing().started_during_backward == buckets.bucket_count());
  CHECK(buckets.last_timing().floats == 8 * 16 + 16 + 16 * 4 + 4);
  for (size_t i = 0; i < parameters.size(); ++i) CHECK(parameters[i]->grad().to_vector() == plain[i]);
}
