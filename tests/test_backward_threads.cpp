// The training-path ops that split large tensors over OpenMP threads (column ranges for bias
// gradients and sums over leading dims, positions of a batch-1 LayerNorm2d, loss chunks) must
// give the same bits on 1 and 2 threads: each output element is summed in the same order either
// way. Shapes are just above the parallel threshold (2^15 elements) so both paths run.
#include <doctest/doctest.h>
#include <omp.h>

#include <cstring>
#include <functional>
#include <vector>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/matmul.h"
#include "ops/norm.h"
#include "ops/reduce.h"

using namespace fc;

namespace {

// Forward output then the gradient of every input, after backward of sum(out * weights).
std::vector<Tensor> run(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs,
                        int threads) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  std::vector<Tensor> leaves;
  for (const Tensor& x : inputs) leaves.push_back(x.clone().set_requires_grad(true));
  Tensor out = fn(leaves);
  Rng rng(7);
  Tensor w = Tensor::randn(out.shape(), rng);
  sum(mul(out, w)).backward();
  omp_set_num_threads(saved);
  std::vector<Tensor> results{out.detach()};
  for (const Tensor& x : leaves) results.push_back(x.grad());
  return results;
}

void check_same_bits(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs) {
  const std::vector<Tensor> one = run(fn, inputs, 1), two = run(fn, inputs, 2);
  REQUIRE(one.size() == two.size());
  for (size_t i = 0; i < one.size(); ++i) {
    CAPTURE(i);
    REQUIRE(one[i].shape() == two[i].shape());
    const Tensor a = one[i].contiguous(), b = two[i].contiguous();
    CHECK(std::memcmp(a.data(), b.data(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0);
  }
}

}  // namespace

TEST_CASE("backward threads: split column sums and positions give the same bits on 1 and 2 threads") {
  Rng rng(3);
  SUBCASE("linear bias gradient") {
    check_same_bits([](const auto& x) { return linear(x[0], x[1], x[2]); },
                    {Tensor::randn({400, 128}, rng), Tensor::randn({96, 128}, rng), Tensor::randn({96}, rng)});
  }
  SUBCASE("broadcast add: sum over leading dims") {
    check_same_bits([](const auto& x) { return add(x[0], x[1]); },
                    {Tensor::randn({2, 150, 136}, rng), Tensor::randn({136}, rng)});
  }
  SUBCASE("layer_norm weight and bias gradients") {
    check_same_bits([](const auto& x) { return layer_norm(x[0], x[1], x[2], 1e-5f); },
                    {Tensor::randn({260, 144}, rng), Tensor::randn({144}, rng), Tensor::randn({144}, rng)});
  }
  SUBCASE("layer_norm_channels at batch 1") {
    check_same_bits([](const auto& x) { return layer_norm_channels(x[0], x[1], x[2], 1e-6f); },
                    {Tensor::randn({1, 24, 40, 44}, rng), Tensor::randn({24}, rng), Tensor::randn({24}, rng)});
  }
  SUBCASE("cross_entropy over a map") {
    Tensor labels = Tensor::empty({1, 80, 90});
    for (int64_t i = 0; i < labels.numel(); ++i) labels.mutable_data()[i] = static_cast<float>(i % 7 == 3 ? -100 : i % 5);
    check_same_bits([&](const auto& x) { return cross_entropy(x[0], labels); }, {Tensor::randn({1, 5, 80, 90}, rng)});
  }
  SUBCASE("binary_cross_entropy_with_logits and mse_loss") {
    Tensor target = Tensor::rand({200, 190}, rng);
    check_same_bits([&](const auto& x) { return binary_cross_entropy_with_logits(x[0], target); },
                    {Tensor::randn({200, 190}, rng)});
    check_same_bits([](const auto& x) { return mse_loss(x[0], x[1], Reduction::sum); },
                    {Tensor::randn({200, 190}, rng), Tensor::randn({200, 190}, rng)});
  }
}
