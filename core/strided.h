// Strided iteration: visit every index of a shape, tracking element offsets into one or two
// tensors with their own strides. The innermost dim is a plain loop so callers' bodies inline;
// kernels with a contiguous fast path use this only as their general fallback.
//
//   for_each_offset2(shape, dst.strides(), src.strides(), [&](int64_t d, int64_t s) { out[d] = in[s]; });
#pragma once

#include <array>
#include <cstdint>

#include "core/shape.h"

namespace fc {

template <class F>
void for_each_offset2(const Shape& shape, const Shape& strides_a, const Shape& strides_b, F&& fn) {
  const int nd = shape.ndim();
  if (shape.numel() == 0) return;
  if (nd == 0) {
    fn(int64_t{0}, int64_t{0});
    return;
  }
  // Plain arrays: Shape::operator[] normalises negative dims on every call, which the carry loop
  // below would pay once per row (a tenth of a small-rowed strided copy).
  std::array<int64_t, kMaxDims> index{}, size{}, sa{}, sb{};
  for (int d = 0; d < nd; ++d) size[d] = shape[d], sa[d] = strides_a[d], sb[d] = strides_b[d];
  const int64_t inner = size[nd - 1], step_a = sa[nd - 1], step_b = sb[nd - 1];
  int64_t base_a = 0, base_b = 0;
  while (true) {
    for (int64_t i = 0; i < inner; ++i) fn(base_a + i * step_a, base_b + i * step_b);
    int d = nd - 2;
    for (; d >= 0; --d) {
      if (++index[d] < size[d]) {
        base_a += sa[d];
        base_b += sb[d];
        break;
      }
      base_a -= (size[d] - 1) * sa[d];
      base_b -= (size[d] - 1) * sb[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

template <class F>
void for_each_offset(const Shape& shape, const Shape& strides, F&& fn) {
  for_each_offset2(shape, strides, strides, [&](int64_t a, int64_t) { fn(a); });
}

}  // namespace fc
