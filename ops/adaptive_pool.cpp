// Adaptive pools (declared in ops/pool.h): the output size is given and each output pools a bin
// of the input, as in PyTorch's adaptive_{avg,max}_pool2d.
#include "core/error.h"
#include "ops/kernels/window_pool.h"
#include "ops/pool.h"

namespace fc {
namespace {

// PyTorch's bins: output o covers [floor(o * in / out), ceil((o + 1) * in / out)).
PoolAxis adaptive_axis(int64_t in, int64_t out) {
  PoolAxis axis;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = (o * in) / out;
    const int64_t end = ((o + 1) * in + out - 1) / out;
    axis.start.push_back(start);
    axis.end.push_back(end);
    axis.count.push_back(end - start);
  }
  return axis;
}

PoolWindows adaptive_windows(const char* op, const Tensor& x, int64_t out_h, int64_t out_w) {
  check_pool_input(op, x);
  FC_CHECK(out_h > 0 && out_w > 0, op, ": x ", x.shape(), ": output size (", out_h, ", ", out_w, ") must be positive");
  return {adaptive_axis(x.size(-2), out_h), adaptive_axis(x.size(-1), out_w)};
}

}  // namespace

Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w) {
  return window_avg_pool(x, adaptive_windows("adaptive_avg_pool2d", x, out_h, out_w), "AdaptiveAvgPool2dBackward");
}

Tensor adaptive_max_pool2d(const Tensor& x, int64_t out_h, int64_t out_w) {
  return window_max_pool(x, adaptive_windows("adaptive_max_pool2d", x, out_h, out_w), "AdaptiveMaxPool2dBackward");
}

}  // namespace fc
