#include <doctest/doctest.h>

#include "core/error.h"
#include "ops/pool.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

// Non-tensor arguments mirror tests/reference/op_fixtures_pool.py case by case.
#define POOL_CASES(prefix, pool)                                                                                    \
  FC_OP_CASE(prefix##_k2s2, {.op = #pool, .group = "pool", .name = #prefix "_k2s2",                                \
                             .fn = [](const Inputs& x) { return pool(x[0], 2, 2, 0); }});                         \
  FC_OP_CASE(prefix##_k3s2p1, {.op = #pool, .group = "pool", .name = #prefix "_k3s2p1",                            \
                               .fn = [](const Inputs& x) { return pool(x[0], 3, 2, 1); }});                       \
  FC_OP_CASE(prefix##_k3s1, {.op = #pool, .group = "pool", .name = #prefix "_k3s1",                                \
                             .fn = [](const Inputs& x) { return pool(x[0], 3, 1, 0); }});                         \
  FC_OP_CASE(prefix##_k3s1p1, {.op = #pool, .group = "pool", .name = #prefix "_k3s1p1",                            \
                               .fn = [](const Inputs& x) { return pool(x[0], 3, 1, 1); }});                       \
  FC_OP_CASE(prefix##_unbatched, {.op = #pool, .group = "pool", .name = #prefix "_unbatched",                      \
                                  .fn = [](const Inputs& x) { return pool(x[0], 2, 1, 0); }});                    \
  FC_OP_CASE(prefix##_one_row, {.op = #pool, .group = "pool", .name = #prefix "_one_row",                          \
                                .fn = [](const Inputs& x) { return pool(x[0], 2, 2, 1); }})

#define ADAPTIVE_CASES(prefix, pool)                                                                                \
  FC_OP_CASE(prefix##_global, {.op = #pool, .group = "pool", .name = #prefix "_global",                            \
                               .fn = [](const Inputs& x) { return pool(x[0], 1, 1); }});                          \
  FC_OP_CASE(prefix##_2x3, {.op = #pool, .group = "pool", .name = #prefix "_2x3",                                  \
                            .fn = [](const Inputs& x) { return pool(x[0], 2, 3); }});                             \
  FC_OP_CASE(prefix##_3x3, {.op = #pool, .group = "pool", .name = #prefix "_3x3",                                  \
                            .fn = [](const Inputs& x) { return pool(x[0], 3, 3); }});                             \
  FC_OP_CASE(prefix##_6x6, {.op = #pool, .group = "pool", .name = #prefix "_6x6",                                  \
                            .fn = [](const Inputs& x) { return pool(x[0], 6, 6); }});                             \
  FC_OP_CASE(prefix##_up, {.op = #pool, .group = "pool", .name = #prefix "_up",                                    \
                           .fn = [](const Inputs& x) { return pool(x[0], 6, 7); }});                              \
  FC_OP_CASE(prefix##_one_row, {.op = #pool, .group = "pool", .name = #prefix "_one_row",                          \
                                .fn = [](const Inputs& x) { return pool(x[0], 1, 3); }})

POOL_CASES(max_pool, max_pool2d);
POOL_CASES(avg_pool, avg_pool2d);
ADAPTIVE_CASES(adaptive_avg, adaptive_avg_pool2d);
ADAPTIVE_CASES(adaptive_max, adaptive_max_pool2d);

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
  CHECK_THROWS_WITH_AS(max_pool2d(x, 2, 2, 2), "max_pool2d: x (1,2,4,4): padding 2 must be at most half of the kernel size 2",
                       Error);
  CHECK_THROWS_WITH_AS(avg_pool2d(x, 5, 1),
                       "avg_pool2d: x (1,2,4,4): kernel 5 with padding 0 is larger than the input (output size would be 0)",
                       Error);
  CHECK_THROWS_WITH_AS(avg_pool2d(x, 2, 0),
                       "avg_pool2d: x (1,2,4,4): kernel 2, stride 0, padding 0: kernel and stride must be positive, "
                       "padding non-negative",
                       Error);
  CHECK_THROWS_WITH_AS(adaptive_avg_pool2d(x, 0, 3), "adaptive_avg_pool2d: x (1,2,4,4): output size (0, 3) must be positive",
                       Error);
  CHECK_THROWS_WITH_AS(adaptive_max_pool2d(Tensor::zeros({2, 3, 0, 4}), 1, 1),
                       "adaptive_max_pool2d: x (2,3,0,4): expected a non-empty (N, C, H, W) or (C, H, W)", Error);
}
