// Pointwise math and activations, each differentiable: y = f(x) elementwise, shape preserved.
// Values and gradients follow PyTorch's definitions, including its conventions at kinks
// (relu'(0) = 0, abs'(0) = 0, clamp passes the gradient where min <= x <= max, bounds included).
//
//   Tensor h = fc::gelu(fc::add(x, bias));      // x (B, N, C) -> (B, N, C)
//   Tensor r = fc::rsqrt(var + 1e-5f);           // 1 / sqrt(v)
//   Tensor c = fc::clamp(x, 0.f, std::nullopt);  // like relu, either bound may be left open
//
// Every function takes x (...) and returns a fresh contiguous tensor of the same shape (...).
// Names shadow the C library inside namespace fc: call std::exp etc. for floats.
#pragma once

#include <optional>

#include "core/tensor.h"

namespace fc {

Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);  // natural log; x <= 0 gives -inf / nan like PyTorch
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);  // 1 / sqrt(x)
Tensor pow(const Tensor& x, float exponent);
Tensor abs(const Tensor& x);
// min(max(x, min), max); a bound left as nullopt is open. min > max gives max everywhere, as in
// PyTorch. NaN stays NaN.
Tensor clamp(const Tensor& x, std::optional<float> min, std::optional<float> max);

Tensor relu(const Tensor& x);
// Exact (erf) GELU, PyTorch's default approximate='none': x * Phi(x).
Tensor gelu(const Tensor& x);
// x * sigmoid(1.702 x): the "QuickGELU" of OpenAI CLIP, used by FaRL's transformer.
Tensor quick_gelu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);

}  // namespace fc
