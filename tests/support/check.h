// Test helpers: closeness with a report (max abs and max relative error, worst index), the
// finite-difference gradient check, and the registry of per-op PyTorch cases.
//
//   check_close(y, fx.get("gelu/out"), {1e-6, 1e-5}, "gelu forward");
//   gradcheck("gelu", [](const Inputs& x) { return gelu(x[0]); }, {x}, {true}, {});
//   FC_OP_CASE(gelu_basic, {.op = "gelu", .group = "unary", .name = "gelu",
//                           .fn = [](const Inputs& x) { return gelu(x[0]); }});
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace fc::test {

using Inputs = std::vector<Tensor>;
using OpFn = std::function<Tensor(const Inputs&)>;

// |actual - expected| <= atol + rtol * |expected| elementwise.
struct Tolerance {
  double atol = 1e-5;
  double rtol = 1e-4;
};

struct Closeness {
  bool ok = true;
  double max_abs = 0, max_rel = 0;
  std::string report;  // "max abs 3e-7, max rel 1e-6 (worst at 17: 0.5 vs 0.5000001)"
};
Closeness compare(const Tensor& actual, const Tensor& expected, Tolerance tol);
// A doctest CHECK with the comparison report as its message.
void check_close(const Tensor& actual, const Tensor& expected, Tolerance tol, const std::string& what);

// max |actual - expected| <= rel * max |expected|: the whole-model comparisons, where logits near
// zero make element-wise relative error meaningless.
void check_close_scaled(const Tensor& actual, const Tensor& expected, double rel, const std::string& what);

// Central differences of <f(x), R> (R random, accumulated in double) against backward().
// eps is relative to max(1, |x_i|); at most max_elements entries of each input are probed
// (a seeded random subset), so large inputs stay cheap.
struct GradcheckOptions {
  double eps = 1e-3;
  double atol = 2e-3;
  double rtol = 2e-2;
  int max_elements = 40;
  uint64_t seed = 1;
};
void gradcheck(const std::string& what, const OpFn& f, const Inputs& inputs, const std::vector<bool>& differentiable,
               GradcheckOptions options = {});

// One PyTorch-checked case of an op. The fixture file tests/fixtures/ops_<group>.fxt holds
// "<name>/in0", "<name>/in1", ... (inputs), "<name>/out", and for a backward check
// "<name>/grad_out" plus "<name>/grad<i>" for each differentiable input.
struct OpCase {
  std::string op;     // the name in ops/registry.cpp
  std::string group;  // fixture file
  std::string name;   // case prefix inside it
  OpFn fn;
  Tolerance forward_tol = {1e-5, 1e-4};
  Tolerance backward_tol = {1e-5, 1e-4};
  bool run_gradcheck = true;
  GradcheckOptions fd = {};
};
int register_op_case(OpCase c);
const std::vector<OpCase>& op_cases();
void run_op_case(const OpCase& c);  // fixture forward/backward + finite differences

// Names an op as tested by a dedicated test instead of a fixture case (random ops).
int register_dedicated_test(const std::string& op);
bool has_dedicated_test(const std::string& op);

}  // namespace fc::test

#define FC_OP_CASE(ident, ...) \
  static const int fc_op_case_##ident = ::fc::test::register_op_case(::fc::test::OpCase __VA_ARGS__)
