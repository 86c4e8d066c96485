// BatchNorm1d/2d (declared in ops/norm.h): statistics per channel over (N, spatial), the running
// statistics updated in place while training, and the backward for both modes.
#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "ops/norm.h"

namespace fc {
namespace {

// x seen as (batch, channels, inner); channel c's values are x[n, c, i] for all n, i.
struct ChannelLayout {
  int64_t batch = 1, channels = 1, inner = 1;
  int64_t per_channel() const { return batch * inner; }
};

constexpr int64_t kParallelElements = 1 << 15;

// Biased batch mean and variance per channel, in double (two passes).
void batch_statistics(const float* x, ChannelLayout L, std::vector<double>& mean, std::vector<double>& var) {
  const int64_t C = L.channels, inner = L.inner;
  const double count = static_cast<double>(L.per_channel());
#pragma omp parallel for schedule(static) if (L.batch * C * inner > kParallelElements)
  for (int64_t c = 0; c < C; ++c) {
    double sum = 0;
    for (int64_t n = 0; n < L.batch; ++n) {
      const float* row = x + (n * C + c) * inner;
      for (int64_t i = 0; i < inner; ++i) sum += row[i];
    }
    const double m = sum / count;
    double sq = 0;
    for (int64_t n = 0; n < L.batch; ++n) {
      const float* row = x + (n * C + c) * inner;
      for (int64_t i = 0; i < inner; ++i) sq += (row[i] - m) * (row[i] - m);
    }
    mean[c] = m;
    var[c] = sq / count;
  }
}

// y = (x - mean[c]) * rstd[c] * weight[c] + bias[c].
void batch_norm_apply(const float* x, const float* weight, const float* bias, const float* mean, const float* rstd,
                      ChannelLayout L, float* y) {
  const int64_t C = L.channels, inner = L.inner;
#pragma omp parallel for collapse(2) schedule(static) if (L.batch * C * inner > kParallelElements)
  for (int64_t n = 0; n < L.batch; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const float scale = rstd[c] * (weight ? weight[c] : 1.f);
      const float shift = bias ? bias[c] : 0.f;
      const float m = mean[c];
      const float* xr = x + (n * C + c) * inner;
      float* yr = y + (n * C + c) * inner;
      for (int64_t i = 0; i < inner; ++i) yr[i] = (xr[i] - m) * scale + shift;
    }
}

// With xhat = (x - mean) * rstd, per channel over its M = N * inner values:
//   training: dx = weight * rstd * (grad - mean(grad) - xhat * mean(grad * xhat))
//             (mean and rstd depend on x through the batch)
//   eval:     dx = weight * rstd * grad (running statistics are constants)
//   dweight = sum grad * xhat, dbias = sum grad, in both modes.
void batch_norm_backward_kernel(const float* grad, const float* x, const float* weight, const float* mean,
                                const float* rstd, ChannelLayout L, bool training, float* dx, float* dweight,
                                float* dbias) {
  const int64_t C = L.channels, inner = L.inner;
  const double count = static_cast<double>(L.per_channel());
#pragma omp parallel for schedule(static) if (L.batch * C * inner > kParallelElements)
  for (int64_t c = 0; c < C; ++c) {
    const float m = mean[c], r = rstd[c];
    double sum_g = 0, sum_g_xhat = 0;
    for (int64_t n = 0; n < L.batch; ++n) {
      const int64_t base = (n * C + c) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        sum_g += grad[base + i];
        sum_g_xhat += static_cast<double>(grad[base + i]) * ((x[base + i] - m) * r);
      }
    }
    if (dweight) dweight[c] = static_cast<float>(sum_g_xhat);
    if (dbias) dbias[c] = static_cast<float>(sum_g);
    if (!dx) continue;
    const float scale = r * (weight ? weight[c] : 1.f);
    const double mean_g = sum_g / count, mean_g_xhat = sum_g_xhat / count;
    for (int64_t n = 0; n < L.batch; ++n) {
      const int64_t base = (n * C + c) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        const float g = grad[base + i];
        if (training) {
          const float xhat = (x[base + i] - m) * r;
          dx[base + i] = scale * static_cast<float>(g - mean_g - xhat * mean_g_xhat);
        } else {
          dx[base + i] = scale * g;
        }
      }
    }
  }
}

struct BatchNormBackward : Node {
  Tensor x;                       // contiguous input, detached
  Tensor weight;                  // contiguous, or undefined (no affine)
  std::vector<float> mean, rstd;  // per channel: the batch's (training) or the running ones (eval)
  ChannelLayout layout;
  bool training = true;
  const char* name() const override { return "BatchNormBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor g = grad.contiguous();
    Tensor dx, dw, db;
    if (next[0].node) dx = Tensor::empty(x.shape());
    if (next[1].node) dw = Tensor::empty({layout.channels});
    if (next[2].node) db = Tensor::empty({layout.channels});
    batch_norm_backward_kernel(g.data(), x.data(), weight.defined() ? weight.data() : nullptr, mean.data(), rstd.data(),
                               layout, training, dx.defined() ? dx.mutable_data() : nullptr,
                               dw.defined() ? dw.mutable_data() : nullptr, db.defined() ? db.mutable_data() : nullptr);
    return {dx, dw, db};
  }
};

void check_channel_vector(const Tensor& x, const Tensor& t, const char* what) {
  if (!t.defined()) return;
  FC_CHECK(t.ndim() == 1 && t.size(0) == x.size(1), "batch_norm: x ", x.shape(), ", ", what, " ", t.shape(), ": ", what,
           " must be (", x.size(1), ")");
}

// Writes running = (1 - momentum) * running + momentum * batch through the view's stride.
void update_running(const Tensor& running, const std::vector<double>& batch, float momentum) {
  Tensor target = running;  // a handle sharing the caller's storage
  float* p = target.mutable_data();
  const int64_t stride = running.stride(0);
  for (size_t c = 0; c < batch.size(); ++c) {
    float& r = p[static_cast<int64_t>(c) * stride];
    r = static_cast<float>((1.0 - momentum) * r + momentum * batch[c]);
  }
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, float momentum, float eps) {
  FC_CHECK(x.ndim() >= 2 && x.ndim() <= 5, "batch_norm: x ", x.shape(), ": expected (N, C) or (N, C, ...)");
  check_channel_vector(x, weight, "weight");
  check_channel_vector(x, bias, "bias");
  check_channel_vector(x, running_mean, "running_mean");
  check_channel_vector(x, running_var, "running_var");
  FC_CHECK(running_mean.defined() == running_var.defined(), "batch_norm: x ", x.shape(),
           ": running_mean and running_var must be both defined or both undefined");
  FC_CHECK(x.numel() > 0, "batch_norm: x ", x.shape(), ": empty input");
  ChannelLayout layout;
  layout.batch = x.size(0);
  layout.channels = x.size(1);
  layout.inner = x.numel() / (layout.batch * layout.channels);

  Tensor xc = x.detach().contiguous();
  const size_t C = static_cast<size_t>(layout.channels);
  std::vector<float> mean(C), rstd(C);
  if (training) {
    // PyTorch: "Expected more than 1 value per channel when training" (the variance is undefined).
    FC_CHECK(layout.per_channel() > 1, "batch_norm: x ", x.shape(),
             ": expected more than 1 value per channel when training");
    std::vector<double> batch_mean(C), batch_var(C);
    batch_statistics(xc.data(), layout, batch_mean, batch_var);
    for (size_t c = 0; c < C; ++c) {
      mean[c] = static_cast<float>(batch_mean[c]);
      rstd[c] = static_cast<float>(1.0 / std::sqrt(batch_var[c] + eps));
    }
    if (running_mean.defined()) {
      const double unbias = static_cast<double>(layout.per_channel()) / static_cast<double>(layout.per_channel() - 1);
      for (double& v : batch_var) v *= unbias;
      update_running(running_mean, batch_mean, momentum);
      update_running(running_var, batch_var, momentum);
    }
  } else {
    FC_CHECK(running_mean.defined(), "batch_norm: x ", x.shape(), ": eval mode needs running_mean and running_var");
    std::vector<float> rm = running_mean.to_vector(), rv = running_var.to_vector();
    for (size_t c = 0; c < C; ++c) {
      mean[c] = rm[c];
      rstd[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(rv[c]) + eps));
    }
  }

  Tensor wc = weight.defined() ? weight.detach().contiguous() : Tensor();
  Tensor bc = bias.defined() ? bias.detach().contiguous() : Tensor();
  Tensor out = Tensor::empty(x.shape());
  batch_norm_apply(xc.data(), wc.defined() ? wc.data() : nullptr, bc.defined() ? bc.data() : nullptr, mean.data(),
                   rstd.data(), layout, out.mutable_data());
  if (needs_grad({x, weight, bias})) {
    auto node = std::make_shared<BatchNormBackward>();
    node->x = xc;
    node->weight = wc;
    node->mean = std::move(mean);
    node->rstd = std::move(rstd);
    node->layout = layout;
    node->training = training;
    connect(out, node, {x, weight, bias});
  }
  return out;
}

}  // namespace fc
