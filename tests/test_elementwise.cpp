#include <doctest/doctest.h>

#include "core/error.h"
#include "ops/elementwise.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

FC_OP_CASE(add_same, {.op = "add", .group = "elementwise", .name = "add_same",
                      .fn = [](const Inputs& x) { return add(x[0], x[1]); }});
FC_OP_CASE(add_broadcast, {.op = "add", .group = "elementwise", .name = "add_broadcast",
                           .fn = [](const Inputs& x) { return x[0] + x[1]; }});
FC_OP_CASE(sub_broadcast, {.op = "sub", .group = "elementwise", .name = "sub_broadcast",
                           .fn = [](const Inputs& x) { return x[0] - x[1]; }});
FC_OP_CASE(mul_broadcast, {.op = "mul", .group = "elementwise", .name = "mul_broadcast",
                           .fn = [](const Inputs& x) { return x[0] * x[1]; }});
FC_OP_CASE(div_broadcast, {.op = "div", .group = "elementwise", .name = "div_broadcast",
                           .fn = [](const Inputs& x) { return x[0] / x[1]; }});
FC_OP_CASE(add_scalar, {.op = "add_scalar", .group = "elementwise", .name = "add_scalar",
                        .fn = [](const Inputs& x) { return x[0] + 0.75f; }});
FC_OP_CASE(mul_scalar, {.op = "mul_scalar", .group = "elementwise", .name = "mul_scalar",
                        .fn = [](const Inputs& x) { return x[0] * -1.5f; }});
FC_OP_CASE(rsub_scalar, {.op = "rsub_scalar", .group = "elementwise", .name = "rsub_scalar",
                         .fn = [](const Inputs& x) { return 2.0f - x[0]; }});
FC_OP_CASE(neg, {.op = "neg", .group = "elementwise", .name = "neg", .fn = [](const Inputs& x) { return -x[0]; }});

TEST_CASE("elementwise: shapes that do not broadcast name the op and both shapes") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4});
  CHECK_THROWS_WITH_AS(add(a, b), "add: shapes (2,3) and (4) do not broadcast", Error);
  CHECK_THROWS_WITH_AS(mul(a, Tensor::zeros({3, 3})), "mul: shapes (2,3) and (3,3) do not broadcast", Error);
}

TEST_CASE("elementwise: a tensor used twice accumulates both gradients") {
  Tensor x = Tensor::from_vector({1, 2, 3}, {3}).set_requires_grad(true);
  Tensor y = x * x + x;  // dy/dx = 2x + 1
  y.backward(Tensor::ones({3}));
  CHECK(x.grad().to_vector() == std::vector<float>{3, 5, 7});
  Tensor z = x * 2.0f;  // accumulates on top: += 2
  z.backward(Tensor::ones({3}));
  CHECK(x.grad().to_vector() == std::vector<float>{5, 7, 9});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}
