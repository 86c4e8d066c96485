#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "core/random.h"
#include "ops/softmax.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

namespace {

// One float exp per element, sums in double: a few ulps from the float64 reference.
constexpr Tolerance kUlps = {1e-7, 2e-6};

OpCase softmax_case(const char* op, const char* name, OpFn fn) {
  return {.op = op, .group = "softmax", .name = name, .fn = std::move(fn), .forward_tol = kUlps};
}

// Logits near +-1000: the default step (1e-3 relative, so 1.0 here) is not small next to the
// softmax's curvature; 1e-6 relative is a 1e-3 step, still 16 float spacings at 1000.
OpCase large_logits_case(const char* op, const char* name, OpFn fn) {
  OpCase c = softmax_case(op, name, std::move(fn));
  c.fd.eps = 1e-6;
  return c;
}

}  // namespace

FC_OP_CASE(softmax_last, {softmax_case("softmax", "softmax_last", [](const Inputs& x) { return softmax(x[0], -1); })});
FC_OP_CASE(softmax_first, {softmax_case("softmax", "softmax_first", [](const Inputs& x) { return softmax(x[0], 0); })});
FC_OP_CASE(softmax_middle,
           {softmax_case("softmax", "softmax_middle", [](const Inputs& x) { return softmax(x[0], 1); })});
FC_OP_CASE(softmax_transposed, {softmax_case("softmax", "softmax_transposed",
                                             [](const Inputs& x) { return softmax(x[0].transpose(0, 1), 1); })});
FC_OP_CASE(softmax_1d, {softmax_case("softmax", "softmax_1d", [](const Inputs& x) { return softmax(x[0], 0); })});
FC_OP_CASE(softmax_large_logits,
           {large_logits_case("softmax", "softmax_large_logits", [](const Inputs& x) { return softmax(x[0], -1); })});
FC_OP_CASE(softmax_long_row,
           {softmax_case("softmax", "softmax_long_row", [](const Inputs& x) { return softmax(x[0], -1); })});
FC_OP_CASE(log_softmax_last,
           {softmax_case("log_softmax", "log_softmax_last", [](const Inputs& x) { return log_softmax(x[0], -1); })});
FC_OP_CASE(log_softmax_first,
           {softmax_case("log_softmax", "log_softmax_first", [](const Inputs& x) { return log_softmax(x[0], 0); })});
FC_OP_CASE(log_softmax_middle,
           {softmax_case("log_softmax", "log_softmax_middle", [](const Inputs& x) { return log_softmax(x[0], -2); })});
FC_OP_CASE(log_softmax_transposed, {softmax_case("log_softmax", "log_softmax_transposed", [](const Inputs& x) {
             return log_softmax(x[0].transpose(0, 1), -1);
           })});
FC_OP_CASE(log_softmax_large_logits, {large_logits_case("log_softmax", "log_softmax_large_logits",
                                                        [](const Inputs& x) { return log_softmax(x[0], 1); })});

TEST_CASE("softmax: a dim out of range names the op and the shape") {
  Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(softmax(x, 2), "softmax: dim 2 out of range for shape (2,3)", Error);
  CHECK_THROWS_WITH_AS(log_softmax(x, -3), "log_softmax: dim -3 out of range for shape (2,3)", Error);
}

TEST_CASE("softmax: rows sum to one on every dim, and empty tensors pass through") {
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor rows = softmax(x, 1), cols = softmax(x, 0);
  for (int i = 0; i < 2; ++i) CHECK(rows.at({i, 0}) + rows.at({i, 1}) + rows.at({i, 2}) == doctest::Approx(1.0));
  for (int j = 0; j < 3; ++j) CHECK(cols.at({0, j}) + cols.at({1, j}) == doctest::Approx(1.0));
  CHECK(softmax(Tensor::zeros({0, 4}), -1).shape() == Shape{0, 4});
}

TEST_CASE("softmax: the strided-column path (leading and middle dims) agrees with the row path") {
  Rng rng(3);
  Tensor x = Tensor::randn({3, 4, 5}, rng, 0.f, 3.f);
  for (int d = 0; d < 2; ++d) {
    CAPTURE(d);
    // Moving dim d last sends it through the contiguous-row path; moving back compares layouts.
    check_close(softmax(x, d), softmax(x.transpose(d, 2), 2).transpose(d, 2), {1e-7, 1e-6}, "softmax");
    check_close(log_softmax(x, d), log_softmax(x.transpose(d, 2), 2).transpose(d, 2), {1e-6, 1e-6}, "log_softmax");
  }
}
