#include <doctest/doctest.h>

#include "core/error.h"
#include "ops/pool.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

namespace {

// Non-tensor arguments mirror tests/reference/op_fixtures_pool.py case by case.
struct FixedCase {
  const char* suffix;
  int64_t kernel, stride, padding;
};
constexpr FixedCase kFixedCases[] = {{"_k2s2", 2, 2, 0},      {"_k3s2p1", 3, 2, 1},   {"_k3s1", 3, 1, 0},
                                     {"_k3s1p1", 3, 1, 1},    {"_unbatched", 2, 1, 0}, {"_one_row", 2, 2, 1}};
struct AdaptiveCase {
  const char* suffix;
  int64_t out_h, out_w;
};
constexpr AdaptiveCase kAdaptiveCases[] = {{"_global", 1, 1}, {"_2x3", 2, 3}, {"_3x3", 3, 3},
                                           {"_6x6", 6, 6},    {"_up", 6, 7},  {"_one_row", 1, 3}};

using FixedPool = Tensor (*)(const Tensor&, int64_t, int64_t, int64_t);
using AdaptivePool = Tensor (*)(const Tensor&, int64_t, int64_t);

int fixed_cases(const std::string& op, const std::string& prefix, FixedPool pool) {
  for (FixedCase c : kFixedCases)
    register_op_case({.op = op, .group = "pool", .name = prefix + c.suffix, .fn = [=](const Inputs& x) {
                        return pool(x[0], c.kernel, c.stride, c.padding);
                      }});
  return 0;
}

int adaptive_cases(const std::string& op, const std::string& prefix, AdaptivePool pool) {
  for (AdaptiveCase c : kAdaptiveCases)
    register_op_case({.op = op, .group = "pool", .name = prefix + c.suffix, .fn = [=](const Inputs& x) {
                        return pool(x[0], c.out_h, c.out_w);
                      }});
  return 0;
}

const int max_pool_cases = fixed_cases("max_pool2d", "max_pool", max_pool2d);
const int avg_pool_cases = fixed_cases("avg_pool2d", "avg_pool", avg_pool2d);
const int adaptive_avg_cases = adaptive_cases("adaptive_avg_pool2d", "adaptive_avg", adaptive_avg_pool2d);
const int adaptive_max_cases = adaptive_cases("adaptive_max_pool2d", "adaptive_max", adaptive_max_pool2d);

}  // namespace

TEST_CASE("max_pool2d: ties send the gradient to the first maximum, like PyTorch") {
  Tensor x = Tensor::from_vector({1, 3, 3, 0}, {1, 1, 2, 2}).set_requires_grad(true);
  Tensor y = max_pool2d(x, 2, 2);
  CHECK(y.item() == 3.f);
  y.backward(Tensor::ones({1, 1, 1, 1}));
  CHECK(x.grad().to_vector() == std::vector<float>{0, 1, 0, 0});

  Tensor z = Tensor::from_vector({5, 5, 5}, {1, 1, 3}).set_requires_grad(true);
  adaptive_max_pool2d(z, 1, 1).backward(Tensor::ones({1, 1, 1}));
  CHECK(z.grad().to_vector() == std::vector<float>{1, 0, 0});
}

TEST_CASE("pool: bad shapes and arguments name the op and the shapes") {
  Tensor x = Tensor::zeros({1, 2, 4, 4});
  CHECK_THROWS_WITH_AS(max_pool2d(Tensor::zeros({4, 4}), 2, 2),
                       "max_pool2d: x (4,4): expected a non-empty (N, C, H, W) or (C, H, W)", Error);
  CHECK_THROWS_WITH_AS(max_pool2d(x, 2, 2, 2),
                       "max_pool2d: x (1,2,4,4): padding 2 must be at most half of the kernel size 2", Error);
  CHECK_THROWS_WITH_AS(
      avg_pool2d(x, 5, 1),
      "avg_pool2d: x (1,2,4,4): kernel 5 with padding 0 is larger than the input (output size would be 0)", Error);
  CHECK_THROWS_WITH_AS(avg_pool2d(x, 2, 0),
                       "avg_pool2d: x (1,2,4,4): kernel 2, stride 0, padding 0: kernel and stride must be positive, "
                       "padding non-negative",
                       Error);
  CHECK_THROWS_WITH_AS(adaptive_avg_pool2d(x, 0, 3),
                       "adaptive_avg_pool2d: x (1,2,4,4): output size (0, 3) must be positive", Error);
  CHECK_THROWS_WITH_AS(adaptive_max_pool2d(Tensor::zeros({2, 3, 0, 4}), 1, 1),
                       "adaptive_max_pool2d: x (2,3,0,4): expected a non-empty (N, C, H, W) or (C, H, W)", Error);
}
