// core/: shapes, storage, views and the autograd engine.
#include <doctest/doctest.h>

#include <numeric>

#include "core/autograd.h"
#include "core/error.h"
#include "core/random.h"
#include "core/tensor.h"
#include "ops/elementwise.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

namespace {
Tensor iota(const Shape& s) {
  std::vector<float> v(s.numel());
  std::iota(v.begin(), v.end(), 0.f);
  return Tensor::from_vector(v, s);
}
}  // namespace

TEST_CASE("shape: printing, negative dims, broadcasting") {
  Shape s{2, 3, 4};
  CHECK(s.numel() == 24);
  CHECK(s[-1] == 4);
  CHECK(contiguous_strides(s) == Shape{12, 4, 1});
  CHECK(broadcast_shapes({2, 1, 4}, {3, 1}, "t") == Shape{2, 3, 4});
  CHECK_THROWS_WITH_AS(s[3], "dim 3 out of range for shape (2,3,4)", Error);
  CHECK_THROWS_AS(Shape({1, 1, 1, 1, 1, 1, 1}), Error);
}

TEST_CASE("storage: owned memory is 64-byte aligned; wrapped memory is read-only") {
  Tensor t = Tensor::zeros({3, 5});
  CHECK(reinterpret_cast<uintptr_t>(t.data()) % 64 == 0);
  static const float values[4] = {1, 2, 3, 4};
  auto owner = std::make_shared<int>(0);
  Tensor w = Tensor::from_storage(Storage::wrap_read_only(values, sizeof(values), owner), {2, 2}, {2, 1}, 0);
  CHECK(w.at({1, 0}) == 3.f);
  CHECK_THROWS_AS(w.mutable_data(), Error);
  CHECK(w.clone().mutable_data() != nullptr);
  CHECK_THROWS_AS(Tensor::from_storage(Storage::wrap_read_only(values, sizeof(values), owner), {3, 2}, {2, 1}, 0),
                  Error);
}

TEST_CASE("views share storage and read the right elements") {
  Tensor x = iota({2, 3, 4});
  Tensor p = x.permute({2, 0, 1});
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.shares_storage_with(x));
  CHECK_FALSE(p.is_contiguous());
  CHECK(p.at({3, 1, 2}) == x.at({1, 2, 3}));
  CHECK(x.transpose(0, 2).at({1, 2, 0}) == x.at({0, 2, 1}));
  Tensor n = x.narrow(2, 1, 2);
  CHECK(n.shape() == Shape{2, 3, 2});
  CHECK(n.at({1, 0, 1}) == x.at({1, 0, 2}));
  CHECK(x.select(1, -1).shape() == Shape{2, 4});
  CHECK(x.select(1, -1).at({1, 3}) == 23.f);
  Tensor e = Tensor::from_vector({1, 2, 3}, {3, 1}).expand({2, 3, 4});
  CHECK(e.stride(0) == 0);
  CHECK(e.at({1, 2, 3}) == 3.f);
  CHECK(x.reshape({4, -1}).shape() == Shape{4, 6});
  CHECK(x.unsqueeze(-1).shape() == Shape{2, 3, 4, 1});
  CHECK(x.unsqueeze(0).squeeze(0).shape() == x.shape());
  CHECK(x.flatten(1).shape() == Shape{2, 12});
  // A permuted tensor reshapes through a copy; the values follow the logical order.
  Tensor r = p.reshape({-1});
  CHECK(r.at({1}) == x.at({0, 1, 0}));
  CHECK_FALSE(r.shares_storage_with(x));
  CHECK_THROWS_WITH_AS(p.view({-1}), doctest::Contains("not contiguous"), Error);
  CHECK_THROWS_WITH_AS(x.reshape({5, -1}), doctest::Contains("reshape"), Error);
  CHECK_THROWS_WITH_AS(x.narrow(1, 2, 2), "narrow: [2, 4) out of range for dim 1 of shape (2,3,4)", Error);
  CHECK_THROWS_WITH_AS(x.expand({2, 5, 4}), doctest::Contains("expand"), Error);
  CHECK_THROWS_WITH_AS(x.permute({0, 0, 1}), doctest::Contains("repeated"), Error);
}

TEST_CASE("views are differentiable") {
  Rng rng(3);
  auto check = [&](const char* what, OpFn f, Shape s) { gradcheck(what, f, {Tensor::randn(s, rng)}, {true}); };
  check("permute", [](const Inputs& x) { return x[0].permute({1, 2, 0}) * 2.f; }, {2, 3, 4});
  check("narrow", [](const Inputs& x) { return x[0].narrow(1, 1, 2) * x[0].narrow(1, 0, 2); }, {2, 3, 2});
  check("expand", [](const Inputs& x) { return x[0].expand({3, 2, 4}) * 1.5f; }, {2, 1});
  check("reshape of a permute", [](const Inputs& x) { return x[0].transpose(0, 1).reshape({-1}) * 3.f; }, {3, 4});
  check("select+unsqueeze", [](const Inputs& x) { return x[0].select(0, 1).unsqueeze(0) * 2.f; }, {3, 4});
  check("contiguous", [](const Inputs& x) { return x[0].transpose(0, 1).contiguous() * x[0].transpose(0, 1); },
        {2, 3});
}

TEST_CASE("autograd: diamond graph, no-grad scope, detach, errors") {
  Tensor x = Tensor::from_vector({2, -1}, {2}).set_requires_grad(true);
  Tensor a = x * 3.f, b = x * x;
  Tensor y = a * b;  // 3x^3 -> 9x^2
  y.backward(Tensor::ones({2}));
  CHECK(x.grad().to_vector() == std::vector<float>{36, 9});
  {
    NoGradGuard no_grad;
    Tensor z = x * x;
    CHECK_FALSE(z.requires_grad());
    CHECK(z.grad_fn() == nullptr);
  }
  CHECK(grad_enabled());
  Tensor d = (x * 2.f).detach();
  CHECK_FALSE(d.requires_grad());
  CHECK_THROWS_WITH_AS(d.backward(Tensor::ones({2})), doctest::Contains("does not require grad"), Error);
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("only one-element tensors"), Error);
  CHECK_THROWS_AS(y.set_requires_grad(false), Error);
  CHECK(y.describe() == "Tensor(2) float32 [grad_fn=MulBackward]");
}

TEST_CASE("rng: deterministic, splittable, serialisable") {
  Rng a(7), b(7);
  CHECK(a.next_u64() == b.next_u64());
  Rng::State s = a.state();
  float u = a.uniform();
  b.set_state(s);
  CHECK(b.uniform() == u);
  CHECK(a.split(1).next_u64() != a.split(2).next_u64());
  double mean = 0, var = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    float v = a.normal();
    mean += v;
    var += v * v;
  }
  mean /= n;
  CHECK(std::abs(mean) < 0.03);
  CHECK(std::abs(var / n - 1.0) < 0.05);
}

TEST_CASE("autograd: a leaf's gradient takes over the buffer in flight only when nothing else sees it") {
  Tensor a = iota({64, 3}).set_requires_grad(true);
  Tensor b = iota({64, 3}).set_requires_grad(true);
  Tensor seed = Tensor::full({64, 3}, 2.f);
  // add hands one gradient to both inputs, and the seed is the caller's: every grad is a copy.
  (a + b).backward(seed);
  CHECK_FALSE(a.grad().shares_storage_with(b.grad()));
  CHECK_FALSE(a.grad().shares_storage_with(seed));
  // A second pass accumulates in place without touching the caller's seed or the other leaf.
  (a + b).backward(seed);
  CHECK(a.grad().to_vector() == std::vector<float>(192, 4.f));
  CHECK(b.grad().to_vector() == std::vector<float>(192, 4.f));
  CHECK(seed.to_vector() == std::vector<float>(192, 2.f));
  // x*x + 3x: two contributions meet at x (summed in a buffer the engine owns), then the leaf.
  Tensor x = Tensor::from_vector({1, -2, 0.5f}, {3}).set_requires_grad(true);
  Tensor y = x * x + x * 3.f;
  y.backward(Tensor::ones({3}));
  CHECK(x.grad().to_vector() == std::vector<float>{5, -1, 4});
}

TEST_CASE("autograd: a gradient reaching a node from several consumers is the sum of all of them") {
  // Integer values: every summation order is exact, whichever consumer the engine runs first.
  Tensor x = iota({300}).set_requires_grad(true);
  Tensor g1 = iota({300}), g2 = iota({300}) * 2.f, g3 = iota({300}) * -5.f;
  Tensor h = x * 1.f;  // one node that three consumers feed
  Tensor y = (h * g1 + h * g2) + h * g3;
  y.backward(Tensor::ones({300}));
  const std::vector<float> got = x.grad().to_vector();
  for (int i = 0; i < 300; ++i) CHECK(got[i] == float(-2 * i));
}
