// Binary elementwise arithmetic with PyTorch broadcasting, scalar forms, and the operators.
// Shapes: a (...), b (...) -> broadcast_shapes(a, b). Backward sums the gradient over the
// broadcast dims of each input (sum_to_shape).
//
//   Tensor y = fc::add(x, bias);   // x (B, N, C), bias (C) -> (B, N, C)
//   Tensor z = (x - mean) * rstd;  // operators call the same functions
#pragma once

#include "core/tensor.h"

namespace fc {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);

Tensor add_scalar(const Tensor& a, float s);   // a + s
Tensor mul_scalar(const Tensor& a, float s);   // a * s
Tensor rsub_scalar(float s, const Tensor& a);  // s - a
Tensor neg(const Tensor& a);                   // -a

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, float s) { return add_scalar(a, s); }
inline Tensor operator+(float s, const Tensor& a) { return add_scalar(a, s); }
inline Tensor operator-(const Tensor& a, float s) { return add_scalar(a, -s); }
inline Tensor operator-(float s, const Tensor& a) { return rsub_scalar(s, a); }
inline Tensor operator*(const Tensor& a, float s) { return mul_scalar(a, s); }
inline Tensor operator*(float s, const Tensor& a) { return mul_scalar(a, s); }
inline Tensor operator/(const Tensor& a, float s) { return mul_scalar(a, 1.0f / s); }
inline Tensor operator-(const Tensor& a) { return neg(a); }

}  // namespace fc
