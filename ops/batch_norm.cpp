// BatchNorm1d/2d (declared in ops/norm.h): statistics per channel over (N, spatial), the running
// statistics updated in place while training, and the backward for both modes.
#include <algorithm>
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

// Per channel: sum of x and of x^2 over this process's batch (SyncBN's statistics, in double).
void channel_moment_sums(const float* x, ChannelLayout L, double* sum, double* sum_squares) {
  const int64_t C = L.channels, inner = L.inner;
#pragma omp parallel for schedule(static) if (L.batch * C * inner > kParallelElements)
  for (int64_t c = 0; c < C; ++c) {
    double s = 0, sq = 0;
    for (int64_t n = 0; n < L.batch; ++n) {
      const float* row = x + (n * C + c) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        s += row[i];
        sq += static_cast<double>(row[i]) * row[i];
      }
    }
    sum[c] = s;
    sum_squares[c] = sq;
  }
}

// Per channel: sum grad and sum grad * xhat, with xhat = (x - mean) * rstd.
void channel_grad_sums(const float* grad, const float* x, const float* mean, const float* rstd, ChannelLayout L,
                       double* sum_g, double* sum_g_xhat) {
  const int64_t C = L.channels, inner = L.inner;
#pragma omp parallel for schedule(static) if (L.batch * C * inner > kParallelElements)
  for (int64_t c = 0; c < C; ++c) {
    const float m = mean[c], r = rstd[c];
    double sg = 0, sgx = 0;
    for (int64_t n = 0; n < L.batch; ++n) {
      const int64_t base = (n * C + c) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        sg += grad[base + i];
        sgx += static_cast<double>(grad[base + i]) * ((x[base + i] - m) * r);
      }
    }
    sum_g[c] = sg;
    sum_g_xhat[c] = sgx;
  }
}

// With xhat = (x - mean) * rstd, per channel over its `count` values (this batch's N * inner, or
// the global batch's under SyncBN, whose sums then come from every process):
//   training: dx = weight * rstd * (grad - mean(grad) - xhat * mean(grad * xhat))
//             (mean and rstd depend on x through the batch)
//   eval:     dx = weight * rstd * grad (running statistics are constants)
void batch_norm_input_grad(const float* grad, const float* x, const float* weight, const float* mean,
                           const float* rstd, ChannelLayout L, bool training, const double* sum_g,
                           const double* sum_g_xhat, double count, float* dx) {
  const int64_t C = L.channels, inner = L.inner;
#pragma omp parallel for schedule(static) if (L.batch * C * inner > kParallelElements)
  for (int64_t c = 0; c < C; ++c) {
    const float m = mean[c], r = rstd[c];
    const float scale = r * (weight ? weight[c] : 1.f);
    const double mean_g = sum_g[c] / count, mean_g_xhat = sum_g_xhat[c] / count;
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
  double count = 0;               // values per channel the statistics were taken over
  CrossProcessSum sync;           // SyncBN: the dx sums are the global batch's too
  const char* name() const override { return "BatchNormBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor g = grad.contiguous();
    const size_t C = static_cast<size_t>(layout.channels);
    std::vector<double> sums(2 * C);
    channel_grad_sums(g.data(), x.data(), mean.data(), rstd.data(), layout, sums.data(), sums.data() + C);
    Tensor dx, dw, db;
    // dweight and dbias stay this process's sums: data parallelism averages them with the others.
    if (next[1].node) dw = Tensor::empty({layout.channels});
    if (next[2].node) db = Tensor::empty({layout.channels});
    for (size_t c = 0; c < C; ++c) {
      if (dw.defined()) dw.mutable_data()[c] = static_cast<float>(sums[C + c]);
      if (db.defined()) db.mutable_data()[c] = static_cast<float>(sums[c]);
    }
    if (next[0].node) {
      // Every process has the same graph, so this condition (and the collective) is the same on all.
      if (training && sync) sync(sums);
      dx = Tensor::empty(x.shape());
      batch_norm_input_grad(g.data(), x.data(), weight.defined() ? weight.data() : nullptr, mean.data(), rstd.data(),
                            layout, training, sums.data(), sums.data() + C, count, dx.mutable_data());
    }
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
  return batch_norm(x, weight, bias, running_mean, running_var, training, momentum, eps, CrossProcessSum());
}

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, float momentum, float eps, const CrossProcessSum& sync) {
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
  double count = static_cast<double>(layout.per_channel());
  if (training) {
    std::vector<double> batch_mean(C), batch_var(C);
    if (sync) {
      // SyncBN (torch.nn.SyncBatchNorm): one reduction of [sum x, sum x^2, count] gives the global
      // batch's mean and biased variance; in double, E[x^2] - mean^2 loses nothing a float keeps
      // unless |mean| / std exceeds ~1e4.
      std::vector<double> moments(2 * C + 1);
      channel_moment_sums(xc.data(), layout, moments.data(), moments.data() + C);
      moments[2 * C] = count;
      sync(moments);
      count = moments[2 * C];
      for (size_t c = 0; c < C; ++c) {
        batch_mean[c] = moments[c] / count;
        batch_var[c] = std::max(0.0, moments[C + c] / count - batch_mean[c] * batch_mean[c]);
      }
    } else {
      batch_statistics(xc.data(), layout, batch_mean, batch_var);
    }
    // PyTorch: "Expected more than 1 value per channel when training" (the variance is undefined).
    FC_CHECK(count > 1, "batch_norm: x ", x.shape(), ": expected more than 1 value per channel when training");
    for (size_t c = 0; c < C; ++c) {
      mean[c] = static_cast<float>(batch_mean[c]);
      rstd[c] = static_cast<float>(1.0 / std::sqrt(batch_var[c] + eps));
    }
    if (running_mean.defined()) {
      const double unbias = count / (count - 1);
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
    node->count = count;
    node->sync = sync;
    connect(out, node, {x, weight, bias});
  }
  return out;
}

}  // namespace fc
