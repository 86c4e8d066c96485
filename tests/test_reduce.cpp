#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "core/random.h"
#include "ops/reduce.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

namespace {

// Sums accumulate in double and round once; max and argmax are exact copies.
constexpr Tolerance kUlps = {1e-6, 1e-6};

OpCase reduce_case(const char* op, const char* name, OpFn fn, bool gradcheck = true) {
  return {.op = op,
          .group = "reduce",
          .name = name,
          .fn = std::move(fn),
          .forward_tol = kUlps,
          .backward_tol = kUlps,
          .run_gradcheck = gradcheck};
}

}  // namespace

FC_OP_CASE(sum_all, {reduce_case("sum", "sum_all", [](const Inputs& x) { return fc::sum(x[0]); })});
FC_OP_CASE(sum_all_transposed,
           {reduce_case("sum", "sum_all_transposed", [](const Inputs& x) { return fc::sum(x[0].transpose(0, 1)); })});
FC_OP_CASE(sum_last, {reduce_case("sum", "sum_last", [](const Inputs& x) { return fc::sum(x[0], {-1}); })});
FC_OP_CASE(sum_last_keepdim,
           {reduce_case("sum", "sum_last_keepdim", [](const Inputs& x) { return fc::sum(x[0], {2}, true); })});
FC_OP_CASE(sum_first, {reduce_case("sum", "sum_first", [](const Inputs& x) { return fc::sum(x[0], {0}); })});
FC_OP_CASE(sum_middle_keepdim,
           {reduce_case("sum", "sum_middle_keepdim", [](const Inputs& x) { return fc::sum(x[0], {1}, true); })});
FC_OP_CASE(sum_two_adjacent, {reduce_case("sum", "sum_two_adjacent", [](const Inputs& x) {
             return fc::sum(x[0], {1, 2});
           })});
FC_OP_CASE(sum_two_apart, {reduce_case("sum", "sum_two_apart", [](const Inputs& x) {
             return fc::sum(x[0], {0, -1}, true);
           })});
FC_OP_CASE(sum_transposed,
           {reduce_case("sum", "sum_transposed", [](const Inputs& x) { return fc::sum(x[0].transpose(0, 1), {1}); })});
FC_OP_CASE(sum_long_row, {reduce_case("sum", "sum_long_row", [](const Inputs& x) { return fc::sum(x[0], {-1}); })});
FC_OP_CASE(mean_all, {reduce_case("mean", "mean_all", [](const Inputs& x) { return mean(x[0]); })});
FC_OP_CASE(mean_last_keepdim,
           {reduce_case("mean", "mean_last_keepdim", [](const Inputs& x) { return mean(x[0], {-1}, true); })});
FC_OP_CASE(mean_first, {reduce_case("mean", "mean_first", [](const Inputs& x) { return mean(x[0], {0}); })});
FC_OP_CASE(mean_two_apart, {reduce_case("mean", "mean_two_apart", [](const Inputs& x) { return mean(x[0], {0, 2}); })});
FC_OP_CASE(mean_transposed, {reduce_case("mean", "mean_transposed",
                                         [](const Inputs& x) { return mean(x[0].transpose(0, 1), {0}, true); })});

FC_OP_CASE(max_last, {reduce_case("max", "max_last", [](const Inputs& x) { return fc::max(x[0], -1); })});
FC_OP_CASE(max_last_keepdim,
           {reduce_case("max", "max_last_keepdim", [](const Inputs& x) { return fc::max(x[0], 2, true); })});
FC_OP_CASE(max_first, {reduce_case("max", "max_first", [](const Inputs& x) { return fc::max(x[0], 0); })});
FC_OP_CASE(max_middle_keepdim,
           {reduce_case("max", "max_middle_keepdim", [](const Inputs& x) { return fc::max(x[0], 1, true); })});
FC_OP_CASE(max_transposed,
           {reduce_case("max", "max_transposed", [](const Inputs& x) { return fc::max(x[0].transpose(0, 1), 1); })});
// Ties: PyTorch's gradient goes to the first maximal element (max(dim)) or is shared (max()).
// A finite difference across a tie is not a derivative, so these check PyTorch's backward only.
FC_OP_CASE(max_ties, {reduce_case(
                         "max", "max_ties", [](const Inputs& x) { return fc::max(x[0], 1); }, false)});
FC_OP_CASE(max_ties_first_dim,
           {reduce_case(
               "max", "max_ties_first_dim", [](const Inputs& x) { return fc::max(x[0], 0); }, false)});
FC_OP_CASE(max_all, {reduce_case("max", "max_all", [](const Inputs& x) { return fc::max(x[0]); })});
FC_OP_CASE(max_all_ties, {reduce_case(
                             "max", "max_all_ties", [](const Inputs& x) { return fc::max(x[0]); }, false)});

FC_OP_CASE(argmax_last, {reduce_case("argmax", "argmax_last", [](const Inputs& x) { return argmax(x[0], -1); })});
FC_OP_CASE(argmax_first_keepdim,
           {reduce_case("argmax", "argmax_first_keepdim", [](const Inputs& x) { return argmax(x[0], 0, true); })});
FC_OP_CASE(argmax_middle, {reduce_case("argmax", "argmax_middle", [](const Inputs& x) { return argmax(x[0], 1); })});
FC_OP_CASE(argmax_transposed, {reduce_case("argmax", "argmax_transposed",
                                           [](const Inputs& x) { return argmax(x[0].transpose(0, 1), 0); })});
FC_OP_CASE(argmax_ties, {reduce_case("argmax", "argmax_ties", [](const Inputs& x) { return argmax(x[0], 1); })});

TEST_CASE("reduce: bad dims name the op and the shape") {
  Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(fc::sum(x, {2}), "sum: dim 2 out of range for shape (2,3)", Error);
  CHECK_THROWS_WITH_AS(mean(x, {1, -1}), "mean: dim -1 repeated in the dim list for shape (2,3)", Error);
  CHECK_THROWS_WITH_AS(fc::sum(x, {}), "sum: (2,3): empty dim list (call sum(x) to reduce every dim)", Error);
  CHECK_THROWS_WITH_AS(fc::max(x, -3), "max: dim -3 out of range for shape (2,3)", Error);
  CHECK_THROWS_WITH_AS(argmax(Tensor::zeros({2, 0}), 1), "argmax: (2,0): cannot reduce dim 1 of size 0", Error);
  CHECK_THROWS_WITH_AS(fc::max(Tensor::zeros({0})), "max: (0): cannot take the max of an empty tensor", Error);
}

TEST_CASE("reduce: shapes with and without keepdim, and empty reductions") {
  Tensor x = Tensor::ones({2, 3, 4});
  CHECK(fc::sum(x).shape() == Shape{});
  CHECK(fc::sum(x, {0, 2}).shape() == Shape{3});
  CHECK(fc::sum(x, {0, 2}, true).shape() == Shape{1, 3, 1});
  CHECK(fc::max(x, 1).shape() == Shape{2, 4});
  CHECK(argmax(x, -1, true).shape() == Shape{2, 3, 1});
  CHECK(fc::sum(Tensor::zeros({0, 3}), {0}).to_vector() == std::vector<float>{0, 0, 0});
  CHECK(std::isnan(mean(Tensor::zeros({0})).item()));  // 0 / 0, as in PyTorch
}

TEST_CASE("reduce: NaN is the maximum, as in PyTorch") {
  Tensor x = Tensor::from_vector({1.f, NAN, 3.f, NAN}, {4});
  CHECK(std::isnan(fc::max(x).item()));
  CHECK(argmax(x, 0).item() == 1.f);
  CHECK(std::isnan(fc::max(x, 0).item()));
}

TEST_CASE("reduce: large inputs take the threaded paths and still match a double sum") {
  const int64_t rows = std::getenv("FC_TEST_SMALL") ? 64 : 512, cols = 300;
  std::vector<float> values(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < values.size(); ++i) values[i] = std::sin(static_cast<float>(i) * 0.37f);
  Tensor x = Tensor::from_vector(values, {rows, cols});
  Tensor by_row = fc::sum(x, {1}), by_col = fc::sum(x, {0});
  for (int64_t r = 0; r < rows; r += 37) {
    double s = 0;
    for (int64_t c = 0; c < cols; ++c) s += values[r * cols + c];
    CHECK(by_row.at({r}) == doctest::Approx(s).epsilon(1e-6));
  }
  for (int64_t c = 0; c < cols; c += 29) {
    double s = 0;
    for (int64_t r = 0; r < rows; ++r) s += values[r * cols + c];
    CHECK(by_col.at({c}) == doctest::Approx(s).epsilon(1e-6));
  }
}

TEST_CASE("reduce: contiguous fast paths agree with the strided fallback on every dim subset") {
  Rng rng(7);
  Tensor x = Tensor::randn({3, 4, 5, 6}, rng);
  // Same logical values, reversed memory order: every dim strided, so the fallback runs.
  Tensor strided = x.permute({3, 2, 1, 0}).contiguous().permute({3, 2, 1, 0});
  REQUIRE_FALSE(strided.is_contiguous());
  for (int mask = 1; mask < 16; ++mask) {
    std::vector<int> dims;
    for (int d = 0; d < 4; ++d)
      if (mask & (1 << d)) dims.push_back(d);
    for (bool keepdim : {false, true}) {
      CAPTURE(mask);
      CAPTURE(keepdim);
      check_close(fc::sum(x, dims, keepdim), fc::sum(strided, dims, keepdim), {1e-6, 1e-6}, "sum");
      check_close(mean(x, dims, keepdim), mean(strided, dims, keepdim), {1e-6, 1e-6}, "mean");
    }
  }
  for (int d = 0; d < 4; ++d) {
    CAPTURE(d);
    CHECK(fc::max(x, d).to_vector() == fc::max(strided, d).to_vector());
    CHECK(argmax(x, d, true).to_vector() == argmax(strided, d, true).to_vector());
  }
}
