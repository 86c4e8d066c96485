// Fixed-window pools (max_pool2d, avg_pool2d); adaptive bins are in ops/adaptive_pool.cpp.
#include "ops/pool.h"

#include <algorithm>

#include "core/error.h"
#include "ops/kernels/window_pool.h"

namespace fc {
namespace {

// Windows of PyTorch's pooling with ceil_mode=False along one axis of size `in`:
// output o covers [o * stride - padding, + kernel); count is that window cut at the padded
// border (in + padding), the count_include_pad divisor, and start/end are cut at the input.
PoolAxis fixed_axis(int64_t in, int64_t kernel, int64_t stride, int64_t padding) {
  const int64_t out = (in + 2 * padding - kernel) / stride + 1;
  PoolAxis axis;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = o * stride - padding;
    const int64_t end = std::min(start + kernel, in + padding);
    axis.count.push_back(end - start);
    axis.start.push_back(std::max<int64_t>(start, 0));
    axis.end.push_back(std::min(end, in));
  }
  return axis;
}

PoolWindows fixed_windows(const char* op, const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  check_pool_input(op, x);
  FC_CHECK(kernel > 0 && stride > 0 && padding >= 0, op, ": x ", x.shape(), ": kernel ", kernel, ", stride ", stride,
           ", padding ", padding, ": kernel and stride must be positive, padding non-negative");
  FC_CHECK(padding <= kernel / 2, op, ": x ", x.shape(), ": padding ", padding,
           " must be at most half of the kernel size ", kernel);
  const int64_t H = x.size(-2), W = x.size(-1);
  FC_CHECK(H + 2 * padding >= kernel && W + 2 * padding >= kernel, op, ": x ", x.shape(), ": kernel ", kernel,
           " with padding ", padding, " is larger than the input (output size would be 0)");
  return {fixed_axis(H, kernel, stride, padding), fixed_axis(W, kernel, stride, padding)};
}

}  // namespace

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  return window_max_pool(x, fixed_windows("max_pool2d", x, kernel, stride, padding), "MaxPool2dBackward");
}

Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  return window_avg_pool(x, fixed_windows("avg_pool2d", x, kernel, stride, padding), "AvgPool2dBackward");
}

}  // namespace fc
