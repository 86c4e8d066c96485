// Matrix products on tensors: matmul with torch.matmul's semantics and linear (the math of a
// PyTorch nn.Linear), both differentiable, both on the packed GEMM of ops/kernels/gemm.h.
//
// Letter key: ... any leading batch dims (broadcast like PyTorch), M rows, K the contracted dim,
// N columns, I in features, O out features.
//
//   Tensor y = fc::matmul(x, w);                      // x (B, M, K), w (K, N) -> (B, M, N)
//   Tensor s = fc::matmul(q, k.transpose(-2, -1));    // (B, H, M, D) x (B, H, D, N): k read in place
//   Tensor z = fc::linear(x, weight, bias);           // x (..., I), weight (O, I), bias (O) -> (..., O)
//
// No operand is copied when its last two dims have a unit stride on either side (row-major, or a
// transposed view such as w.transpose(0, 1)): gemm reads it in place with a transpose flag. Batch
// dims fold into M when they can (x (B, M, K) x w (K, N) is one (B*M, K) x (K, N) product), and
// broadcast batch dims are read through zero strides, never materialised.
#pragma once

#include "core/tensor.h"

namespace fc {

// torch.matmul: 1-D x 1-D is a dot product (0-dim), 1-D operands get a unit dim that is removed
// again, 2-D x 2-D is a matrix product, and anything with more dims is a batched product whose
// batch dims broadcast:
//   a (K) x b (K) -> ();  a (M, K) x b (K) -> (M);  a (K) x b (..., K, N) -> (..., N)
//   a (..a, M, K) x b (..b, K, N) -> (broadcast(..a, ..b), M, N)
Tensor matmul(const Tensor& a, const Tensor& b);

// x @ weight^T + bias with PyTorch's Linear layout; bias may be an undefined Tensor (no bias).
// x (..., I), weight (O, I), bias (O) -> (..., O)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// The output buffer of a linear layer, shaped as x with its last dim out_features, before the
// GEMM: every row holds the bias (gemm then adds x W^T onto it with beta 1), or, without a bias,
// it is left unwritten (beta 0). Shared by linear() and linear_prepacked() (ops/linear_packed.h).
// x (..., I), bias (O) or undefined -> (..., O)
Tensor linear_output_from_bias(const Tensor& x, int64_t out_features, const Tensor& bias);

}  // namespace fc
