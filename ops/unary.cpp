#include "ops/unary.h"

#include <algorithm>
#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "ops/kernels/exp.h"
#include "ops/kernels/gelu.h"

namespace fc {
namespace {

// Below this many elements a loop stays on one thread: starting the OpenMP team costs more than
// the math (a few microseconds against ~1 ns per element).
constexpr int64_t kParallelElements = 1 << 15;

// out = exp(scale * x) (elements split over threads in blocks of whole vectors), then
// out = finish(i, x, out) in a second pass the compiler vectorises (i: the flat index, for
// finishes that read a second tensor, as quick_gelu's backward reads the gradient). Used by exp,
// sigmoid and quick_gelu (forward and backward) so their exponentials run 8 lanes at a time.
template <class F>
Tensor map_through_exp(const Tensor& x, float scale, F finish) {
  Tensor src = x.detach().contiguous();
  Tensor out = Tensor::empty(x.shape());
  const float* p = src.data();
  float* o = out.mutable_data();
  const int64_t n = out.numel();
  constexpr int64_t kBlock = 4096;
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t len = std::min(kBlock, n - start);
    exp_affine(p + start, o + start, len, scale, 0.f);
    for (int64_t i = start; i < start + len; ++i) o[i] = finish(i, p[i], o[i]);
  }
  return out;
}

// out = f(x) into a fresh contiguous tensor. Most f here are libm calls the compiler cannot
// vectorise, so the loop is split over threads instead.
template <class F>
Tensor map_unary(const Tensor& x, F f) {
  Tensor src = x.detach().contiguous();
  Tensor out = Tensor::empty(x.shape());
  const float* p = src.data();
  float* o = out.mutable_data();
  const int64_t n = out.numel();
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (int64_t i = 0; i < n; ++i) o[i] = f(p[i]);
  return out;
}

// dx = f(grad, saved) for the backward passes; grad and saved have the output's shape.
template <class F>
Tensor map_backward(const Tensor& grad, const Tensor& saved, const char* op, F f) {
  FC_CHECK(grad.shape() == saved.shape(), op, " backward: gradient ", grad.shape(), " for output ", saved.shape());
  Tensor g = grad.contiguous(), s = saved.contiguous();
  Tensor out = Tensor::empty(saved.shape());
  const float* pg = g.data();
  const float* ps = s.data();
  float* o = out.mutable_data();
  const int64_t n = out.numel();
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (int64_t i = 0; i < n; ++i) o[i] = f(pg[i], ps[i]);
  return out;
}

// One node type for every op whose gradient is a pointwise function of (grad, saved), where
// `saved` is the input or the output, whichever the derivative is cheaper from (as in PyTorch's
// derivatives.yaml). The derivative is a lambda type, so the backward loop inlines it.
template <class D>
struct PointwiseBackward : Node {
  Tensor saved;
  D derivative;
  const char* op = "PointwiseBackward";
  PointwiseBackward(Tensor s, D d, const char* node_name) : saved(std::move(s)), derivative(d), op(node_name) {}
  const char* name() const override { return op; }
  std::vector<Tensor> backward(const Tensor& grad) override { return {map_backward(grad, saved, op, derivative)}; }
};

template <class D>
Tensor with_backward(const Tensor& x, Tensor out, const char* node_name, const Tensor& saved, D derivative) {
  if (needs_grad({x})) connect(out, std::make_shared<PointwiseBackward<D>>(saved.detach(), derivative, node_name), {x});
  return out;
}

// Saves the output: the derivative of exp, sqrt, rsqrt, sigmoid, tanh and relu is cheapest from it.
template <class F, class D>
Tensor from_output(const Tensor& x, F f, const char* node_name, D derivative) {
  Tensor out = map_unary(x, f);
  return with_backward(x, out, node_name, out, derivative);
}

template <class F, class D>
Tensor from_input(const Tensor& x, F f, const char* node_name, D derivative) {
  return with_backward(x, map_unary(x, f), node_name, x, derivative);
}

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1 / sqrt(2 pi)
constexpr float kQuickGeluScale = 1.702f;

}  // namespace

Tensor exp(const Tensor& x) {
  Tensor out = map_through_exp(x, 1.f, [](int64_t, float, float e) { return e; });
  return with_backward(x, out, "ExpBackward", out, [](float g, float y) { return g * y; });
}

Tensor log(const Tensor& x) {
  return from_input(
      x, [](float v) { return std::log(v); }, "LogBackward", [](float g, float v) { return g / v; });
}

Tensor sqrt(const Tensor& x) {
  // PyTorch: grad / (2 * result), so sqrt'(0) = inf like theirs.
  return from_output(
      x, [](float v) { return std::sqrt(v); }, "SqrtBackward", [](float g, float y) { return g / (2.f * y); });
}

Tensor rsqrt(const Tensor& x) {
  // A division of correctly rounded sqrt: 1 ulp or so, where an rsqrt instruction is ~12 bits.
  return from_output(
      x, [](float v) { return 1.f / std::sqrt(v); }, "RsqrtBackward",
      [](float g, float y) { return -0.5f * g * y * y * y; });
}

Tensor pow(const Tensor& x, float exponent) {
  // PyTorch's pow_backward: exponent 0 gives a zero gradient even at x = 0.
  return from_input(
      x, [exponent](float v) { return std::pow(v, exponent); }, "PowBackward",
      [p = exponent](float g, float v) { return p == 0.f ? 0.f : g * p * std::pow(v, p - 1.f); });
}

Tensor abs(const Tensor& x) {
  // sign(0) = 0, so abs'(0) = 0 as in PyTorch.
  return from_input(
      x, [](float v) { return std::fabs(v); }, "AbsBackward",
      [](float g, float v) { return v > 0.f ? g : (v < 0.f ? -g : 0.f); });
}

Tensor clamp(const Tensor& x, std::optional<float> min, std::optional<float> max) {
  const float lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
  Tensor out = map_unary(x, [lo, hi](float v) {
    if (std::isnan(v)) return v;
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
  });
  // PyTorch's clamp_backward passes the gradient where min <= x <= max, both bounds included;
  // an open bound is +-inf here, which gives the same mask.
  return with_backward(x, out, "ClampBackward", x, [lo, hi](float g, float v) { return v >= lo && v <= hi ? g : 0.f; });
}

Tensor relu(const Tensor& x) {
  // Written so NaN propagates (PyTorch: relu(nan) = nan); the gradient needs y > 0, so relu'(0) = 0.
  return from_output(
      x, [](float v) { return v < 0.f ? 0.f : v; }, "ReluBackward", [](float g, float y) { return y > 0.f ? g : 0.f; });
}

Tensor gelu(const Tensor& x) {
  // 0.5 x (1 + erf(x / sqrt 2)) written as 0.5 x erfc(-x / sqrt 2), which keeps full relative
  // precision for negative x where 1 + erf cancels: forward by the float kernel of
  // ops/kernels/gelu.h (8 lanes), backward in double, rounded once.
  Tensor src = x.detach().contiguous();
  Tensor out = Tensor::empty(x.shape());
  const float* p = src.data();
  float* o = out.mutable_data();
  const int64_t n = out.numel();
  constexpr int64_t kBlock = 4096;
#pragma omp parallel for schedule(static) if (n >= kParallelElements)
  for (int64_t start = 0; start < n; start += kBlock) gelu_forward(p + start, o + start, std::min(kBlock, n - start));
  return with_backward(
      x, out, "GeluBackward", x,
      [](float g, float v) {
        const double d = v;
        const double cdf = 0.5 * std::erfc(-d * kInvSqrt2);
        const double pdf = kInvSqrt2Pi * std::exp(-0.5 * d * d);
        return static_cast<float>(g * (cdf + d * pdf));
      });
}

namespace {

// d/dx x s(kx) = s + k x s (1 - s), with s = sigmoid(kx). The exponentials run through
// exp_affine 8 lanes at a time in L1-sized blocks (a scalar exp per element was ~5x slower).
struct QuickGeluBackward : Node {
  Tensor x;  // the input
  const char* name() const override { return "QuickGeluBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    FC_CHECK(grad.shape() == x.shape(), "QuickGeluBackward: gradient ", grad.shape(), " for output ", x.shape());
    Tensor g = grad.contiguous();
    const float* pg = g.data();
    // e = exp(-k x) as the forward, then s = sigmoid(k x) = 1 / (1 + e).
    Tensor out = map_through_exp(x, -kQuickGeluScale, [pg](int64_t i, float v, float e) {
      const float s = 1.f / (1.f + e);
      return pg[i] * (s + kQuickGeluScale * v * s * (1.f - s));
    });
    return {out};
  }
};

}  // namespace

Tensor quick_gelu(const Tensor& x) {
  // d/dx x s(kx) = s + k x s (1 - s), with s = sigmoid(kx).
  Tensor out = map_through_exp(x, -kQuickGeluScale, [](int64_t, float v, float e) { return v * (1.f / (1.f + e)); });
  if (needs_grad({x})) {
    auto node = std::make_shared<QuickGeluBackward>();
    node->x = x.detach();
    connect(out, node, {x});
  }
  return out;
}

Tensor sigmoid(const Tensor& x) {
  Tensor out = map_through_exp(x, -1.f, [](int64_t, float, float e) { return 1.f / (1.f + e); });
  return with_backward(x, out, "SigmoidBackward", out, [](float g, float y) { return g * y * (1.f - y); });
}

Tensor tanh(const Tensor& x) {
  return from_output(
      x, [](float v) { return std::tanh(v); }, "TanhBackward", [](float g, float y) { return g * (1.f - y * y); });
}

}  // namespace fc
