// Reductions: sum and mean (over everything or a list of dims), max over one dim or everything,
// and argmax. Dims may be negative (counted from the end, as in PyTorch). With keepdim the
// reduced dims stay as size 1, so the result broadcasts against the input.
//
//   Tensor loss = fc::mean(fc::mul(d, d));             // (...) -> ()
//   Tensor mu = fc::mean(x, {-1}, true);               // x (B, N, C) -> (B, N, 1)
//   Tensor pooled = fc::sum(x, {1});                   // x (B, N, C) -> (B, C)
//   Tensor best = fc::max(logits, -1);                 // logits (B, K) -> (B)
//   Tensor label = fc::argmax(logits, -1);             // (B), indices stored as float values
//
// Sums accumulate in double, so long reductions agree with a float64 reference to float rounding.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace fc {

// x (...) -> () 0-dim
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);
// x (...) -> (...) without `dims` (or with them as size 1 when keepdim). `dims` must be
// non-empty and without repeats (PyTorch reads an empty list as "all dims"; use sum(x) for that).
Tensor sum(const Tensor& x, const std::vector<int>& dims, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int>& dims, bool keepdim = false);

// x (..., K, ...) -> (..., ...) the largest value along `dim` (size 1 there when keepdim).
// The gradient goes to the index argmax returns: the first maximal element (PyTorch's
// max(dim) picks the same one on CPU). NaN counts as the largest value, as in PyTorch.
Tensor max(const Tensor& x, int dim, bool keepdim = false);
// x (...) -> () the largest element; on ties the gradient is shared evenly among the maximal
// elements, as PyTorch's max() without a dim does.
Tensor max(const Tensor& x);
// x (..., K, ...) -> (..., ...) the index of the first maximal element along `dim`. Not
// differentiable. The runtime holds float32 only, so indices come back as float values (exact up
// to 2^24).
Tensor argmax(const Tensor& x, int dim, bool keepdim = false);

}  // namespace fc
