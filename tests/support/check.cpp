#include "tests/support/check.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "core/autograd.h"
#include "core/error.h"
#include "core/random.h"
#include "tests/support/fixture.h"

namespace fc::test {

Closeness compare(const Tensor& actual, const Tensor& expected, Tolerance tol) {
  Closeness c;
  if (!actual.defined() || !expected.defined() || actual.shape() != expected.shape()) {
    c.ok = false;
    c.report = str_cat("shape mismatch: ", actual.describe(), " vs expected ", expected.describe());
    return c;
  }
  std::vector<float> a = actual.to_vector(), e = expected.to_vector();
  int64_t worst = -1;
  double worst_excess = -1;
  for (size_t i = 0; i < a.size(); ++i) {
    double diff = std::fabs(static_cast<double>(a[i]) - e[i]);
    double rel = diff / std::max(std::fabs(static_cast<double>(e[i])), 1e-30);
    if (std::isnan(a[i]) != std::isnan(e[i])) diff = rel = INFINITY;
    if (std::isnan(a[i]) && std::isnan(e[i])) diff = rel = 0;
    c.max_abs = std::max(c.max_abs, diff);
    if (std::fabs(e[i]) > tol.atol) c.max_rel = std::max(c.max_rel, rel);
    double excess = diff - (tol.atol + tol.rtol * std::fabs(static_cast<double>(e[i])));
    if (excess > worst_excess) {
      worst_excess = excess;
      worst = static_cast<int64_t>(i);
    }
  }
  c.ok = worst_excess <= 0;
  std::ostringstream out;
  out << "max abs " << c.max_abs << ", max rel " << c.max_rel << " (atol " << tol.atol << ", rtol " << tol.rtol
      << ")";
  if (worst >= 0) out << "; worst at flat index " << worst << ": " << a[worst] << " vs " << e[worst];
  c.report = out.str();
  return c;
}

void check_close(const Tensor& actual, const Tensor& expected, Tolerance tol, const std::string& what) {
  Closeness c = compare(actual, expected, tol);
  CHECK_MESSAGE(c.ok, what << ": " << c.report);
}

void check_close_scaled(const Tensor& actual, const Tensor& expected, double rel, const std::string& what) {
  REQUIRE_MESSAGE(actual.defined(), what << ": result is undefined");
  REQUIRE_MESSAGE(actual.shape() == expected.shape(),
                  what << ": shape " << actual.shape() << " vs expected " << expected.shape());
  std::vector<float> a = actual.to_vector(), e = expected.to_vector();
  double max_diff = 0, max_ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double d = std::fabs(static_cast<double>(a[i]) - e[i]);
    max_diff = std::isnan(d) ? INFINITY : std::max(max_diff, d);
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(e[i])));
  }
  CHECK_MESSAGE(max_diff <= rel * max_ref, what << ": max |diff| " << max_diff << " > " << rel << " * max |ref| "
                                                << max_ref << " (relative " << max_diff / max_ref << ")");
}

namespace {

double weighted_sum(const Tensor& out, const Tensor& weights) {
  std::vector<float> o = out.to_vector(), w = weights.to_vector();
  double s = 0;
  for (size_t i = 0; i < o.size(); ++i) s += static_cast<double>(o[i]) * w[i];
  return s;
}

}  // namespace

void gradcheck(const std::string& what, const OpFn& f, const Inputs& inputs, const std::vector<bool>& differentiable,
               GradcheckOptions options) {
  Inputs x;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor c = inputs[i].detach().clone();
    if (i < differentiable.size() && differentiable[i]) c.set_requires_grad(true);
    x.push_back(c);
  }
  Tensor out = f(x);
  Rng rng(options.seed);
  Tensor weights = Tensor::randn(out.shape(), rng);
  out.backward(weights);

  NoGradGuard no_grad;
  for (size_t i = 0; i < x.size(); ++i) {
    if (i >= differentiable.size() || !differentiable[i]) continue;
    Tensor& xi = x[i];
    REQUIRE_MESSAGE(xi.grad().defined(), what << ": input " << i << " got no gradient");
    std::vector<float> analytic = xi.grad().to_vector();
    std::vector<int64_t> probe(static_cast<size_t>(xi.numel()));
    for (int64_t k = 0; k < xi.numel(); ++k) probe[k] = k;
    if (xi.numel() > options.max_elements) {
      for (int64_t k = 0; k < options.max_elements; ++k) std::swap(probe[k], probe[k + rng.below(xi.numel() - k)]);
      probe.resize(options.max_elements);
    }
    float* p = xi.mutable_data();
    for (int64_t k : probe) {
      const float saved = p[k];
      const double h = options.eps * std::max(1.0, std::fabs(static_cast<double>(saved)));
      p[k] = static_cast<float>(saved + h);
      double plus = weighted_sum(f(x), weights);
      p[k] = static_cast<float>(saved - h);
      double minus = weighted_sum(f(x), weights);
      p[k] = saved;
      // The step actually taken in float, not the requested h, divides the difference.
      double step = static_cast<double>(static_cast<float>(saved + h)) - static_cast<float>(saved - h);
      double numeric = (plus - minus) / step;
      double err = std::fabs(numeric - analytic[k]);
      CHECK_MESSAGE(err <= options.atol + options.rtol * std::fabs(numeric),
                    what << ": d/d input" << i << "[" << k << "]: backward " << analytic[k] << ", finite difference "
                         << numeric << " (abs err " << err << ")");
    }
  }
}

namespace {

std::vector<OpCase>& case_list() {
  static std::vector<OpCase> cases;
  return cases;
}

std::set<std::string>& dedicated() {
  static std::set<std::string> ops;
  return ops;
}

}  // namespace

int register_op_case(OpCase c) {
  case_list().push_back(std::move(c));
  return static_cast<int>(case_list().size());
}

const std::vector<OpCase>& op_cases() { return case_list(); }

int register_dedicated_test(const std::string& op) {
  dedicated().insert(op);
  return 0;
}

bool has_dedicated_test(const std::string& op) { return dedicated().count(op) != 0; }

void run_op_case(const OpCase& c) {
  const Fixture& fx = load_fixture(c.group);
  Inputs inputs;
  std::vector<bool> differentiable;
  const bool has_backward = fx.has(c.name + "/grad_out");
  for (int i = 0; fx.has(c.name + "/in" + std::to_string(i)); ++i) {
    Tensor t = fx.get(c.name + "/in" + std::to_string(i));
    bool diff = has_backward && fx.has(c.name + "/grad" + std::to_string(i));
    if (diff) t.set_requires_grad(true);
    inputs.push_back(t);
    differentiable.push_back(diff);
  }
  REQUIRE_MESSAGE(!inputs.empty(), fx.path() << ": case " << c.name << " has no inputs");
  Tensor out = c.fn(inputs);
  check_close(out, fx.get(c.name + "/out"), c.forward_tol, c.name + " forward vs PyTorch");
  if (has_backward) {
    out.backward(fx.get(c.name + "/grad_out"));
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!differentiable[i]) continue;
      check_close(inputs[i].grad(), fx.get(c.name + "/grad" + std::to_string(i)), c.backward_tol,
                  c.name + " grad of input " + std::to_string(i) + " vs PyTorch");
    }
    if (c.run_gradcheck) gradcheck(c.name, c.fn, inputs, differentiable, c.fd);
  }
}

}  // namespace fc::test
