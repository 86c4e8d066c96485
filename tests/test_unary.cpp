#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "ops/kernels/exp.h"
#include "ops/reduce.h"
#include "ops/unary.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

namespace {

// Pointwise results are one libm call (or a double evaluation rounded once) away from the float64
// reference, i.e. a few float ulps: checked at 1e-6 relative instead of the default 1e-4.
constexpr Tolerance kUlps = {1e-7, 1e-6};

OpCase pointwise(const char* op, const char* name, OpFn fn) {
  return {.op = op, .group = "unary", .name = name, .fn = std::move(fn), .forward_tol = kUlps, .backward_tol = kUlps};
}

// At a kink the finite difference straddles two slopes; these cases pin PyTorch's choice of
// subgradient against its own backward only.
OpCase at_kink(const char* op, const char* name, OpFn fn) {
  OpCase c = pointwise(op, name, std::move(fn));
  c.run_gradcheck = false;
  return c;
}

}  // namespace

FC_OP_CASE(exp_basic, {pointwise("exp", "exp_basic", [](const Inputs& x) { return fc::exp(x[0]); })});
FC_OP_CASE(exp_transposed,
           {pointwise("exp", "exp_transposed", [](const Inputs& x) { return fc::exp(x[0].transpose(0, 1)); })});
FC_OP_CASE(log_basic, {pointwise("log", "log_basic", [](const Inputs& x) { return fc::log(x[0]); })});
FC_OP_CASE(log_wide_range, {pointwise("log", "log_wide_range", [](const Inputs& x) { return fc::log(x[0]); })});
FC_OP_CASE(sqrt_basic, {pointwise("sqrt", "sqrt_basic", [](const Inputs& x) { return fc::sqrt(x[0]); })});
FC_OP_CASE(sqrt_transposed,
           {pointwise("sqrt", "sqrt_transposed", [](const Inputs& x) { return fc::sqrt(x[0].transpose(0, 1)); })});
FC_OP_CASE(rsqrt_basic, {pointwise("rsqrt", "rsqrt_basic", [](const Inputs& x) { return rsqrt(x[0]); })});
FC_OP_CASE(pow_2_5, {pointwise("pow", "pow_2_5", [](const Inputs& x) { return fc::pow(x[0], 2.5f); })});
FC_OP_CASE(pow_neg_half, {pointwise("pow", "pow_neg_half", [](const Inputs& x) { return fc::pow(x[0], -0.5f); })});
FC_OP_CASE(pow_square_signed,
           {pointwise("pow", "pow_square_signed", [](const Inputs& x) { return fc::pow(x[0], 2.f); })});
FC_OP_CASE(pow_zero, {pointwise("pow", "pow_zero", [](const Inputs& x) { return fc::pow(x[0], 0.f); })});
FC_OP_CASE(abs_basic, {pointwise("abs", "abs_basic", [](const Inputs& x) { return fc::abs(x[0]); })});
FC_OP_CASE(abs_at_kink, {at_kink("abs", "abs_at_kink", [](const Inputs& x) { return fc::abs(x[0]); })});
FC_OP_CASE(clamp_both, {pointwise("clamp", "clamp_both", [](const Inputs& x) { return clamp(x[0], -0.5f, 1.f); })});
FC_OP_CASE(clamp_min_only,
           {pointwise("clamp", "clamp_min_only", [](const Inputs& x) { return clamp(x[0], 0.25f, std::nullopt); })});
FC_OP_CASE(clamp_max_only,
           {pointwise("clamp", "clamp_max_only", [](const Inputs& x) { return clamp(x[0], std::nullopt, -0.3f); })});
FC_OP_CASE(clamp_transposed, {pointwise("clamp", "clamp_transposed",
                                        [](const Inputs& x) { return clamp(x[0].transpose(0, 1), -1.f, 1.f); })});
FC_OP_CASE(clamp_at_bounds,
           {at_kink("clamp", "clamp_at_bounds", [](const Inputs& x) { return clamp(x[0], -1.f, 2.f); })});
FC_OP_CASE(clamp_min_above_max,
           {at_kink("clamp", "clamp_min_above_max", [](const Inputs& x) { return clamp(x[0], 1.5f, 0.5f); })});
FC_OP_CASE(relu_basic, {pointwise("relu", "relu_basic", [](const Inputs& x) { return relu(x[0]); })});
FC_OP_CASE(relu_transposed,
           {pointwise("relu", "relu_transposed", [](const Inputs& x) { return relu(x[0].transpose(0, 1)); })});
FC_OP_CASE(relu_at_kink, {at_kink("relu", "relu_at_kink", [](const Inputs& x) { return relu(x[0]); })});
FC_OP_CASE(gelu_basic, {pointwise("gelu", "gelu_basic", [](const Inputs& x) { return gelu(x[0]); })});
FC_OP_CASE(gelu_tails, {pointwise("gelu", "gelu_tails", [](const Inputs& x) { return gelu(x[0]); })});
FC_OP_CASE(gelu_transposed,
           {pointwise("gelu", "gelu_transposed", [](const Inputs& x) { return gelu(x[0].transpose(0, 1)); })});
FC_OP_CASE(quick_gelu_basic,
           {pointwise("quick_gelu", "quick_gelu_basic", [](const Inputs& x) { return quick_gelu(x[0]); })});
FC_OP_CASE(quick_gelu_transposed, {pointwise("quick_gelu", "quick_gelu_transposed",
                                             [](const Inputs& x) { return quick_gelu(x[0].transpose(0, 1)); })});
FC_OP_CASE(sigmoid_basic, {pointwise("sigmoid", "sigmoid_basic", [](const Inputs& x) { return sigmoid(x[0]); })});
FC_OP_CASE(sigmoid_tails, {pointwise("sigmoid", "sigmoid_tails", [](const Inputs& x) { return sigmoid(x[0]); })});
FC_OP_CASE(tanh_basic, {pointwise("tanh", "tanh_basic", [](const Inputs& x) { return fc::tanh(x[0]); })});
FC_OP_CASE(tanh_transposed,
           {pointwise("tanh", "tanh_transposed", [](const Inputs& x) { return fc::tanh(x[0].transpose(0, 1)); })});

TEST_CASE("unary: NaN propagates through relu, clamp and abs as in PyTorch") {
  Tensor x = Tensor::from_vector({NAN, -1.f, 2.f}, {3});
  CHECK(std::isnan(relu(x).to_vector()[0]));
  CHECK(std::isnan(clamp(x, 0.f, 1.f).to_vector()[0]));
  CHECK(std::isnan(fc::abs(x).to_vector()[0]));
  CHECK(clamp(x, 0.f, 1.f).to_vector()[2] == 1.f);
}

TEST_CASE("unary: broadcast (stride 0) inputs give contiguous results and summed gradients") {
  Tensor base = Tensor::from_vector({0.5f, -1.f, 2.f}, {3}).set_requires_grad(true);
  Tensor y = sigmoid(base.expand({4, 3}));
  CHECK(y.shape() == Shape{4, 3});
  CHECK(y.is_contiguous());
  fc::sum(y).backward();
  for (int i = 0; i < 3; ++i) {
    const float s = 1.f / (1.f + std::exp(-base.at({i})));
    CHECK(base.grad().at({i}) == doctest::Approx(4 * s * (1 - s)).epsilon(1e-6));
  }
}

TEST_CASE("unary: no graph is recorded for inputs without requires_grad") {
  Tensor x = Tensor::from_vector({1.f, 2.f}, {2});
  CHECK_FALSE(gelu(x).requires_grad());
  CHECK(gelu(Tensor::from_vector({1.f, 2.f}, {2}).set_requires_grad(true)).grad_fn() != nullptr);
}

TEST_CASE("exp kernel: AVX2 lanes and the scalar tail agree bitwise and stay within 1e-7 of double exp") {
  // Every 4099th float from -110 to 95 (both tails included), plus the special values.
  std::vector<float> x;
  for (float v = -110.f; v < 95.f; v += std::max(std::fabs(v) * 4099 * 1.2e-7f, 1e-30f)) x.push_back(v);
  x.insert(x.end(), {NAN, INFINITY, -INFINITY, 0.f, -0.f, 88.72f, -87.5f, -103.f});
  std::vector<float> y(x.size());
  exp_affine(x.data(), y.data(), static_cast<int64_t>(x.size()), 1.f, 0.f);
  double worst = 0;
  int64_t mismatched = 0, wrong_tail = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const float s = exp_scalar(x[i]);
    mismatched += !(s == y[i] || (std::isnan(s) && std::isnan(y[i])));
    const double ref = std::exp(static_cast<double>(x[i]));
    if (std::isnan(x[i])) {
      wrong_tail += !std::isnan(y[i]);
    } else if (ref > 3.4028235e38) {
      wrong_tail += !std::isinf(y[i]);
    } else if (ref < 1.1754944e-38) {  // subnormal results: within one subnormal step
      wrong_tail += std::fabs(y[i] - ref) > 1.5e-45;
    } else {
      worst = std::max(worst, std::fabs(y[i] - ref) / ref);
    }
  }
  CHECK(x.size() > 100000);
  CHECK(mismatched == 0);
  CHECK(wrong_tail == 0);
  CHECK_MESSAGE(worst < 1e-7, "max relative error " << worst);
}
