#include "ops/elementwise.h"

#include "core/autograd.h"
#include "core/error.h"
#include "ops/kernels/pointwise.h"

namespace fc {
namespace {

// d(a+b): grad to both, each summed down to its own shape.
struct AddBackward : Node {
  Shape a_shape, b_shape;
  float b_sign = 1.f;  // -1 for sub
  const char* name() const override { return b_sign > 0 ? "AddBackward" : "SubBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor gb = sum_to_shape(grad, b_shape);
    return {sum_to_shape(grad, a_shape), b_sign > 0 ? gb : neg(gb)};
  }
};

// d(a*b) = grad*b, grad*a.
struct MulBackward : Node {
  Tensor a, b;
  const char* name() const override { return "MulBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    return {sum_to_shape(mul(grad, b), a.shape()), sum_to_shape(mul(grad, a), b.shape())};
  }
};

// d(a/b) = grad/b, -grad*a/b^2.
struct DivBackward : Node {
  Tensor a, b;
  const char* name() const override { return "DivBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor ga = div(grad, b);
    Tensor gb = binary_kernel(mul(grad, a), b, "div backward", [](float ga_, float y) { return -ga_ / (y * y); });
    return {sum_to_shape(ga, a.shape()), sum_to_shape(gb, b.shape())};
  }
};

// d(a*s + c) = grad*s (add_scalar: s = 1; neg: s = -1; rsub: s = -1).
struct ScaleBackward : Node {
  float scale = 1.f;
  const char* op = "ScaleBackward";
  const char* name() const override { return op; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    if (scale == 1.f) return {grad};
    return {unary_kernel(grad, [s = scale](float g) { return g * s; })};
  }
};

Tensor scaled(const Tensor& a, Tensor out, float scale, const char* node_name) {
  if (needs_grad({a})) {
    auto node = std::make_shared<ScaleBackward>();
    node->scale = scale;
    node->op = node_name;
    connect(out, node, {a});
  }
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(a, b, "add", [](float x, float y) { return x + y; });
  if (needs_grad({a, b})) {
    auto node = std::make_shared<AddBackward>();
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    connect(out, node, {a, b});
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(a, b, "sub", [](float x, float y) { return x - y; });
  if (needs_grad({a, b})) {
    auto node = std::make_shared<AddBackward>();
    node->a_shape = a.shape();
    node->b_shape = b.shape();
    node->b_sign = -1.f;
    connect(out, node, {a, b});
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(a, b, "mul", [](float x, float y) { return x * y; });
  if (needs_grad({a, b})) {
    auto node = std::make_shared<MulBackward>();
    node->a = a.detach();
    node->b = b.detach();
    connect(out, node, {a, b});
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(a, b, "div", [](float x, float y) { return x / y; });
  if (needs_grad({a, b})) {
    auto node = std::make_shared<DivBackward>();
    node->a = a.detach();
    node->b = b.detach();
    connect(out, node, {a, b});
  }
  return out;
}

Tensor add_scalar(const Tensor& a, float s) {
  return scaled(a, unary_kernel(a, [s](float x) { return x + s; }), 1.f, "AddScalarBackward");
}

Tensor mul_scalar(const Tensor& a, float s) {
  return scaled(a, unary_kernel(a, [s](float x) { return x * s; }), s, "MulScalarBackward");
}

Tensor rsub_scalar(float s, const Tensor& a) {
  return scaled(a, unary_kernel(a, [s](float x) { return s - x; }), -1.f, "RsubScalarBackward");
}

Tensor neg(const Tensor& a) { return scaled(a, unary_kernel(a, [](float x) { return -x; }), -1.f, "NegBackward"); }

}  // namespace fc
