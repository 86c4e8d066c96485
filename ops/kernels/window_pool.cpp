#include "ops/kernels/window_pool.h"

#include <cmath>
#include <limits>

#include "core/autograd.h"
#include "core/error.h"

namespace fc {
namespace {

constexpr int64_t kParallelElements = 1 << 15;

Shape pooled_shape(const Shape& in, const PoolWindows& win) {
  Shape out = in;
  out[-2] = win.rows.size();
  out[-1] = win.cols.size();
  return out;
}

// The plane count and size of x (..., H, W), contiguous.
struct Planes {
  int64_t count, height, width;
};
Planes planes_of(const Shape& s) { return {s.numel() / (s[-2] * s[-1]), s[-2], s[-1]}; }

// argmax: per output, the flat index h * W + w of the chosen element inside its plane.
struct MaxPoolBackward : Node {
  Shape input_shape;
  PoolWindows win;
  std::vector<int64_t> argmax;
  const char* op = "MaxPoolBackward";
  const char* name() const override { return op; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor g = grad.contiguous();
    Tensor dx = Tensor::zeros(input_shape);
    const Planes p = planes_of(input_shape);
    const int64_t outputs = win.rows.size() * win.cols.size();
    const float* go = g.data();
    float* d = dx.mutable_data();
#pragma omp parallel for schedule(static) if (p.count * outputs > kParallelElements)
    for (int64_t plane = 0; plane < p.count; ++plane) {
      float* dp = d + plane * p.height * p.width;
      for (int64_t k = plane * outputs; k < (plane + 1) * outputs; ++k) dp[argmax[k]] += go[k];
    }
    return {dx};
  }
};

// Each output's gradient spread evenly (1 / divisor) over its window.
struct AvgPoolBackward : Node {
  Shape input_shape;
  PoolWindows win;
  const char* op = "AvgPoolBackward";
  const char* name() const override { return op; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor g = grad.contiguous();
    Tensor dx = Tensor::zeros(input_shape);
    const Planes p = planes_of(input_shape);
    const int64_t OH = win.rows.size(), OW = win.cols.size();
    const float* go = g.data();
    float* d = dx.mutable_data();
#pragma omp parallel for schedule(static) if (p.count * OH * OW > kParallelElements)
    for (int64_t plane = 0; plane < p.count; ++plane) {
      float* dp = d + plane * p.height * p.width;
      const float* gp = go + plane * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const float share = gp[oh * OW + ow] / static_cast<float>(win.rows.count[oh] * win.cols.count[ow]);
          for (int64_t h = win.rows.start[oh]; h < win.rows.end[oh]; ++h)
            for (int64_t w = win.cols.start[ow]; w < win.cols.end[ow]; ++w) dp[h * p.width + w] += share;
        }
    }
    return {dx};
  }
};

}  // namespace

void check_pool_input(const char* op, const Tensor& x) {
  FC_CHECK((x.ndim() == 3 || x.ndim() == 4) && x.numel() > 0, op, ": x ", x.shape(),
           ": expected a non-empty (N, C, H, W) or (C, H, W)");
}

Tensor window_max_pool(const Tensor& x, const PoolWindows& win, const char* node_name) {
  Tensor xc = x.detach().contiguous();
  Tensor out = Tensor::empty(pooled_shape(x.shape(), win));
  const Planes p = planes_of(x.shape());
  const int64_t OH = win.rows.size(), OW = win.cols.size();
  std::vector<int64_t> argmax(static_cast<size_t>(out.numel()));
  const float* in = xc.data();
  float* o = out.mutable_data();
#pragma omp parallel for schedule(static) if (p.count * OH * OW > kParallelElements)
  for (int64_t plane = 0; plane < p.count; ++plane) {
    const float* ip = in + plane * p.height * p.width;
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        // PyTorch's rule: a later element wins only if strictly greater (first max on ties), and
        // NaN always wins so it propagates.
        int64_t best_index = win.rows.start[oh] * p.width + win.cols.start[ow];
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t h = win.rows.start[oh]; h < win.rows.end[oh]; ++h)
          for (int64_t w = win.cols.start[ow]; w < win.cols.end[ow]; ++w) {
            const float v = ip[h * p.width + w];
            if (v > best || std::isnan(v)) {
              best = v;
              best_index = h * p.width + w;
            }
          }
        const int64_t k = (plane * OH + oh) * OW + ow;
        o[k] = best;
        argmax[k] = best_index;
      }
  }
  if (needs_grad({x})) {
    auto node = std::make_shared<MaxPoolBackward>();
    node->input_shape = x.shape();
    node->win = win;
    node->argmax = std::move(argmax);
    node->op = node_name;
    connect(out, node, {x});
  }
  return out;
}

Tensor window_avg_pool(const Tensor& x, const PoolWindows& win, const char* node_name) {
  Tensor xc = x.detach().contiguous();
  Tensor out = Tensor::empty(pooled_shape(x.shape(), win));
  const Planes p = planes_of(x.shape());
  const int64_t OH = win.rows.size(), OW = win.cols.size();
  const float* in = xc.data();
  float* o = out.mutable_data();
#pragma omp parallel for schedule(static) if (p.count * OH * OW > kParallelElements)
  for (int64_t plane = 0; plane < p.count; ++plane) {
    const float* ip = in + plane * p.height * p.width;
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        // Double accumulation: a global pool sums a whole plane.
        double sum = 0;
        for (int64_t h = win.rows.start[oh]; h < win.rows.end[oh]; ++h)
          for (int64_t w = win.cols.start[ow]; w < win.cols.end[ow]; ++w) sum += ip[h * p.width + w];
        o[(plane * OH + oh) * OW + ow] =
            static_cast<float>(sum / static_cast<double>(win.rows.count[oh] * win.cols.count[ow]));
      }
  }
  if (needs_grad({x})) {
    auto node = std::make_shared<AvgPoolBackward>();
    node->input_shape = x.shape();
    node->win = win;
    node->op = node_name;
    connect(out, node, {x});
  }
  return out;
}

}  // namespace fc
