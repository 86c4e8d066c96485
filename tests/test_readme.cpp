// The C++ example of README.md, extracted at configure time into readme_example.inc: it must
// compile and run, and its gradient must be right.
#include <doctest/doctest.h>

#include "core/autograd.h"
#include "core/random.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/reduce.h"

namespace {

// The example's own #include lines are no-ops here (every header is included above and guarded
// by #pragma once), so the block can be pasted into a function body.
fc::Tensor run_readme_example(fc::Tensor* x_out) {
#include "readme_example.inc"
  *x_out = x;
  return w;
}

}  // namespace

TEST_CASE("README example runs and computes d mean(2 x w^T) / dw") {
  fc::Tensor x;
  fc::Tensor w = run_readme_example(&x);
  REQUIRE(w.grad().defined());
  // loss = mean over (8, 3) of 2 * x w^T  =>  dloss/dw[o, i] = 2/24 * sum_n x[n, i]
  for (int64_t o = 0; o < 3; ++o)
    for (int64_t i = 0; i < 4; ++i) {
      double s = 0;
      for (int64_t n = 0; n < 8; ++n) s += x.at({n, i});
      CHECK(w.grad().at({o, i}) == doctest::Approx(2.0 * s / 24.0).epsilon(1e-5));
    }
}
