// Indexing: joining and splitting tensors, and reading elements or rows picked by an index tensor.
// Backward of every picking op is a scatter-add, so an index that repeats accumulates its
// gradients (PyTorch's behaviour).
//
// The runtime is float32-only: `index` / `indices` are float32 tensors holding integral values.
// Each op checks that every value is an integer in [0, size) (negative indices are rejected, as
// PyTorch does for these ops) and throws fc::Error naming the op, the shapes and the bad value.
// Index tensors are never differentiated.
//
//   Tensor qkv = fc::concat({q, k, v}, -1);              // (B, N, C) x3 -> (B, N, 3C)
//   std::vector<Tensor> parts = fc::split(qkv, 64, -1);   // -> 3 x (B, N, C) views
//   Tensor rows = fc::embedding(table, ids);             // table (V, C), ids (B, T) -> (B, T, C)
//
// Letter key: K number of picked indices, V vocabulary (rows of a table), C channels.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace fc {

// xs[i] (..., S_i, ...) -> (..., sum S_i, ...): equal shapes except along `dim` (negative counts
// from the end). Backward hands each input its narrow of the gradient.
Tensor concat(const std::vector<Tensor>& xs, int dim);

// x (..., S, ...) -> views (..., split_size, ...) along `dim`; the last piece holds the remainder
// (torch.split). Views are differentiable through Tensor::narrow.
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int dim);
// x (..., S, ...) -> views (..., sizes[i], ...); the sizes must add up to S (torch.split with a list).
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int dim);

// x (..., S, ...), index (K) -> (..., K, ...): out.select(dim, k) = x.select(dim, index[k]).
Tensor index_select(const Tensor& x, int dim, const Tensor& index);

// x (S0, .., S_dim, ..), index (I0, .., I_dim, ..) of the same rank, I_d <= S_d for d != dim
// -> (I0, .., I_dim, ..): out[i0..i_dim..] = x[i0..index[i0..i_dim..]..]  (torch.gather).
Tensor gather(const Tensor& x, int dim, const Tensor& index);

// weight (V, C), indices (...) -> (..., C): row indices[...] of weight. No padding_idx.
Tensor embedding(const Tensor& weight, const Tensor& indices);

}  // namespace fc
