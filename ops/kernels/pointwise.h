// Pointwise kernel templates shared by the elementwise and unary ops: a contiguous flat loop the
// compiler vectorises, and a strided fallback over broadcast (stride-0) views. Internal to ops/.
//
//   Tensor out = unary_kernel(x, [](float v) { return v > 0 ? v : 0; });
#pragma once

#include <omp.h>

#include <algorithm>

#include "core/error.h"
#include "core/strided.h"
#include "core/tensor.h"

namespace fc {

// Below this many elements a flat loop stays on one thread (a parallel region costs a few us).
inline constexpr int64_t kPointwiseParallelElements = 1 << 15;

// out = f(a, b) over the broadcast shape. Same-shape contiguous inputs take a flat loop the
// compiler vectorises (split over the OpenMP threads when large); anything else walks stride-0 (expanded) views of both inputs.
template <class F>
inline Tensor binary_kernel(const Tensor& a, const Tensor& b, const char* op, F f) {
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = Tensor::empty(shape);
  float* o = out.mutable_data();
  const float* pa = a.data();
  const float* pb = b.data();
  if (a.shape() == shape && b.shape() == shape && a.is_contiguous() && b.is_contiguous()) {
    const int64_t n = out.numel();
#pragma omp parallel for simd schedule(static) if (n >= kPointwiseParallelElements)
    for (int64_t i = 0; i < n; ++i) o[i] = f(pa[i], pb[i]);
    return out;
  }
  Tensor ea = a.detach().expand(shape.to_vector()), eb = b.detach().expand(shape.to_vector());
  int64_t i = 0;  // out is contiguous and for_each_offset2 visits in row-major order
  for_each_offset2(shape, ea.strides(), eb.strides(), [&](int64_t ia, int64_t ib) { o[i++] = f(pa[ia], pb[ib]); });
  return out;
}

template <class F>
inline Tensor unary_kernel(const Tensor& a, F f) {
  Tensor src = a.detach().contiguous();
  Tensor out = Tensor::empty(a.shape());
  const float* p = src.data();
  float* o = out.mutable_data();
  const int64_t n = out.numel();
#pragma omp parallel for simd schedule(static) if (n >= kPointwiseParallelElements)
  for (int64_t i = 0; i < n; ++i) o[i] = f(p[i]);
  return out;
}

// Calls f(c0, c1) on disjoint column ranges [c0, c1) of a (rows, cols) row-major sweep, one
// range per OpenMP thread (a multiple of 16 columns wide), when the sweep is large. For column
// sums (bias gradients, sums over leading dims): each column is still summed in row order, so the
// result is bitwise the serial one, and a batch-1 gradient is split as well as a batched one.
template <class F>
inline void for_column_ranges(int64_t rows, int64_t cols, F f) {
  const bool parallel = rows * cols >= kPointwiseParallelElements && cols >= 32;
#pragma omp parallel if (parallel)
  {
    const int64_t t = omp_get_thread_num(), n = omp_get_num_threads();
    const auto edge = [&](int64_t i) { return i == n ? cols : std::min(cols, cols * i / n / 16 * 16); };
    if (edge(t) < edge(t + 1)) f(edge(t), edge(t + 1));
  }
}

}  // namespace fc
