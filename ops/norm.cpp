// LayerNorm over one dim of a contiguous (outer, C, inner) view: inner == 1 is layer_norm over the
// last dim, inner == H*W is layer_norm_channels. batch_norm lives in ops/batch_norm.cpp.
#include "ops/norm.h"

#include <omp.h>

#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "ops/kernels/pointwise.h"

namespace fc {
namespace {

// x seen as (outer, channels, inner); each (o, i) is one group of `channels` values.
struct GroupLayout {
  int64_t outer = 1, channels = 1, inner = 1;
  int64_t groups() const { return outer * inner; }
};

// Enough elements per call that starting OpenMP threads pays off.
constexpr int64_t kParallelElements = 1 << 15;

// Sum of term(k) for k < n in double, in 8 independent lanes the compiler turns into vector adds
// (one accumulator would be a serial chain: without -ffast-math it may not reassociate).
template <class Term>
double lane_sum(int64_t n, Term term) {
  double lanes[8] = {};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int j = 0; j < 8; ++j) lanes[j] += term(k + j);
  double s = 0;
  for (; k < n; ++k) s += term(k);
  for (double lane : lanes) s += lane;
  return s;
}

// Two passes with double accumulators, so a float32 result matches PyTorch's float64 reference to
// rounding even for rows with a large mean. mean and rstd are (outer, inner).
void layer_norm_kernel(const float* x, const float* weight, const float* bias, GroupLayout L, float eps, float* y,
                       float* mean, float* rstd) {
  const int64_t C = L.channels, inner = L.inner;
  const bool outer_parallel = inner == 1 || L.outer >= omp_get_max_threads();
#pragma omp parallel for schedule(static) if (outer_parallel && L.outer * C * inner > kParallelElements)
  for (int64_t o = 0; o < L.outer; ++o) {
    const float* xo = x + o * C * inner;
    float* yo = y + o * C * inner;
    if (inner == 1) {  // the last-dim layer_norm: one contiguous row per group
      const double m = lane_sum(C, [&](int64_t c) { return static_cast<double>(xo[c]); }) / static_cast<double>(C);
      const double var = lane_sum(C, [&](int64_t c) { return (xo[c] - m) * (xo[c] - m); }) / static_cast<double>(C);
      mean[o] = static_cast<float>(m);
      rstd[o] = static_cast<float>(1.0 / std::sqrt(var + eps));
      const float mf = mean[o], r = rstd[o];
      for (int64_t c = 0; c < C; ++c) yo[c] = (xo[c] - mf) * r * (weight ? weight[c] : 1.f) + (bias ? bias[c] : 0.f);
      continue;
    }
    // Channel-first (LayerNorm2d): positions are independent, so a batch too small to share out
    // over the threads splits them instead.
    const auto positions = [&](int64_t i0, int64_t i1) {
      std::vector<double> sum(static_cast<size_t>(i1 - i0), 0.0), sq(sum);
      for (int64_t c = 0; c < C; ++c)
        for (int64_t i = i0; i < i1; ++i) sum[i - i0] += xo[c * inner + i];
      for (int64_t i = i0; i < i1; ++i) sum[i - i0] /= static_cast<double>(C);
      for (int64_t c = 0; c < C; ++c)
        for (int64_t i = i0; i < i1; ++i) {
          const double d = xo[c * inner + i] - sum[i - i0];
          sq[i - i0] += d * d;
        }
      for (int64_t i = i0; i < i1; ++i) {
        mean[o * inner + i] = static_cast<float>(sum[i - i0]);
        rstd[o * inner + i] = static_cast<float>(1.0 / std::sqrt(sq[i - i0] / static_cast<double>(C) + eps));
      }
      const float* m = mean + o * inner;
      const float* r = rstd + o * inner;
      for (int64_t c = 0; c < C; ++c) {
        const float w = weight ? weight[c] : 1.f, b = bias ? bias[c] : 0.f;
        for (int64_t i = i0; i < i1; ++i) yo[c * inner + i] = (xo[c * inner + i] - m[i]) * r[i] * w + b;
      }
    };
    if (outer_parallel)
      positions(0, inner);
    else
      for_column_ranges(C, inner, positions);
  }
}

// With xhat = (x - mean) * rstd and dxhat = grad * w, per group of C values:
//   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
//   dweight[c] = sum over groups of grad * xhat,   dbias[c] = sum over groups of grad.
// dx may be null (x needs no gradient); dweight/dbias are null when not wanted.
void layer_norm_backward_kernel(const float* grad, const float* x, const float* weight, const float* mean,
                                const float* rstd, GroupLayout L, float* dx, float* dweight, float* dbias) {
  const int64_t C = L.channels, inner = L.inner;
  if (dx) {
    const bool outer_parallel = inner == 1 || L.outer >= omp_get_max_threads();
#pragma omp parallel for schedule(static) if (outer_parallel && L.outer * C * inner > kParallelElements)
    for (int64_t o = 0; o < L.outer; ++o) {
      const int64_t base = o * C * inner;
      const float* m = mean + o * inner;
      const float* r = rstd + o * inner;
      if (inner == 1) {
        const float* go = grad + base;
        const float mf = m[0], rf = r[0];
        auto dxhat = [&](int64_t c) { return static_cast<double>(go[c]) * (weight ? weight[c] : 1.f); };
        const double mean_dxhat = lane_sum(C, dxhat) / static_cast<double>(C);
        const double mean_dxhat_xhat =
            lane_sum(C, [&](int64_t c) { return dxhat(c) * ((x[base + c] - mf) * rf); }) / static_cast<double>(C);
        for (int64_t c = 0; c < C; ++c) {
          const float xhat = (x[base + c] - mf) * rf;
          dx[base + c] = rf * static_cast<float>(dxhat(c) - mean_dxhat - xhat * mean_dxhat_xhat);
        }
        continue;
      }
      // Channel-first (LayerNorm2d): the positions of one group row are independent, so a batch
      // too small to share out over the threads splits them instead.
      const auto positions = [&](int64_t i0, int64_t i1) {
        std::vector<double> sum_dxhat(static_cast<size_t>(i1 - i0), 0.0), sum_dxhat_xhat(sum_dxhat);
        for (int64_t c = 0; c < C; ++c) {
          const float w = weight ? weight[c] : 1.f;
          for (int64_t i = i0; i < i1; ++i) {
            const int64_t k = base + c * inner + i;
            const double dxhat = static_cast<double>(grad[k]) * w;
            sum_dxhat[i - i0] += dxhat;
            sum_dxhat_xhat[i - i0] += dxhat * ((x[k] - m[i]) * r[i]);
          }
        }
        for (int64_t i = i0; i < i1; ++i) {
          sum_dxhat[i - i0] /= static_cast<double>(C);
          sum_dxhat_xhat[i - i0] /= static_cast<double>(C);
        }
        for (int64_t c = 0; c < C; ++c) {
          const float w = weight ? weight[c] : 1.f;
          for (int64_t i = i0; i < i1; ++i) {
            const int64_t k = base + c * inner + i;
            const float xhat = (x[k] - m[i]) * r[i];
            dx[k] = r[i] * static_cast<float>(grad[k] * w - sum_dxhat[i - i0] - xhat * sum_dxhat_xhat[i - i0]);
          }
        }
      };
      if (outer_parallel)
        positions(0, inner);
      else
        for_column_ranges(C, inner, positions);
    }
  }
  if (!dweight && !dbias) return;
  // Summed over every group in double: a ViT's (B*N) rows would lose bits in a float sum.
  std::vector<double> dw(static_cast<size_t>(C), 0.0), db(static_cast<size_t>(C), 0.0);
  for_column_ranges(L.outer * inner, C, [&](int64_t c0, int64_t c1) {
    if (inner == 1) {
      // 8 columns at a time with both running sums in registers (a sweep row by row would load and
      // store them once per row); each column is still summed in row order.
      constexpr int64_t kBlock = 8;
      int64_t c = c0;
      for (; c + kBlock <= c1; c += kBlock) {
        double sw[kBlock] = {}, sb[kBlock] = {};
        for (int64_t o = 0; o < L.outer; ++o) {
          const float m = mean[o], r = rstd[o];
          const float* go = grad + o * C + c;
          const float* xo = x + o * C + c;
#pragma GCC unroll 8
          for (int64_t j = 0; j < kBlock; ++j) {
            const double g = go[j];
            sw[j] += g * ((xo[j] - m) * r);
            sb[j] += g;
          }
        }
        for (int64_t j = 0; j < kBlock; ++j) dw[c + j] = sw[j], db[c + j] = sb[j];
      }
      for (int64_t o = 0; o < L.outer; ++o) {
        const float m = mean[o], r = rstd[o];
        for (int64_t cc = c; cc < c1; ++cc) {
          const double g = grad[o * C + cc];
          dw[cc] += g * ((x[o * C + cc] - m) * r);
          db[cc] += g;
        }
      }
      return;
    }
    for (int64_t o = 0; o < L.outer; ++o) {
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t k = (o * C + c) * inner + i;
          const double g = grad[k];
          dw[c] += g * ((x[k] - mean[o * inner + i]) * rstd[o * inner + i]);
          db[c] += g;
        }
    }
  });
  for (int64_t c = 0; c < C; ++c) {
    if (dweight) dweight[c] = static_cast<float>(dw[c]);
    if (dbias) dbias[c] = static_cast<float>(db[c]);
  }
}

struct LayerNormBackward : Node {
  Tensor x;                       // contiguous input, detached
  Tensor weight;                  // contiguous, or undefined (no affine)
  std::vector<float> mean, rstd;  // one per group, (outer, inner)
  GroupLayout layout;
  const char* op = "LayerNormBackward";
  const char* name() const override { return op; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor g = grad.contiguous();
    Tensor dx, dw, db;
    if (next[0].node) dx = Tensor::empty(x.shape());
    if (next.size() > 1 && next[1].node) dw = Tensor::empty({layout.channels});
    if (next.size() > 2 && next[2].node) db = Tensor::empty({layout.channels});
    layer_norm_backward_kernel(g.data(), x.data(), weight.defined() ? weight.data() : nullptr, mean.data(), rstd.data(),
                               layout, dx.defined() ? dx.mutable_data() : nullptr,
                               dw.defined() ? dw.mutable_data() : nullptr, db.defined() ? db.mutable_data() : nullptr);
    return {dx, dw, db};
  }
};

void check_affine(const char* op, const Tensor& x, const Tensor& param, const char* param_name, int64_t channels) {
  if (!param.defined()) return;
  FC_CHECK(param.ndim() == 1 && param.size(0) == channels, op, ": x ", x.shape(), ", ", param_name, " ", param.shape(),
           ": ", param_name, " must be (", channels, ")");
}

Tensor layer_norm_over(const char* op, const char* node_name, const Tensor& x, const Tensor& weight, const Tensor& bias,
                       float eps, GroupLayout layout) {
  check_affine(op, x, weight, "weight", layout.channels);
  check_affine(op, x, bias, "bias", layout.channels);
  Tensor xc = x.detach().contiguous();
  Tensor wc = weight.defined() ? weight.detach().contiguous() : Tensor();
  Tensor bc = bias.defined() ? bias.detach().contiguous() : Tensor();
  Tensor out = Tensor::empty(x.shape());
  std::vector<float> mean(static_cast<size_t>(layout.groups())), rstd(static_cast<size_t>(layout.groups()));
  layer_norm_kernel(xc.data(), wc.defined() ? wc.data() : nullptr, bc.defined() ? bc.data() : nullptr, layout, eps,
                    out.mutable_data(), mean.data(), rstd.data());
  if (needs_grad({x, weight, bias})) {
    auto node = std::make_shared<LayerNormBackward>();
    node->x = xc;
    node->weight = wc;
    node->mean = std::move(mean);
    node->rstd = std::move(rstd);
    node->layout = layout;
    node->op = node_name;
    connect(out, node, {x, weight, bias});
  }
  return out;
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  FC_CHECK(x.ndim() >= 1 && x.numel() > 0, "layer_norm: x ", x.shape(), ": needs at least one dim and elements");
  GroupLayout layout;
  layout.channels = x.size(-1);
  layout.outer = x.numel() / layout.channels;
  return layer_norm_over("layer_norm", "LayerNormBackward", x, weight, bias, eps, layout);
}

Tensor layer_norm_channels(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  FC_CHECK(x.ndim() == 4 && x.numel() > 0, "layer_norm_channels: x ", x.shape(), ": expected (N, C, H, W)");
  GroupLayout layout;
  layout.outer = x.size(0);
  layout.channels = x.size(1);
  layout.inner = x.size(2) * x.size(3);
  return layer_norm_over("layer_norm_channels", "LayerNormChannelsBackward", x, weight, bias, eps, layout);
}

}  // namespace fc
