#include "ops/loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "ops/integral_index.h"
#include "ops/kernels/pointwise.h"

namespace fc {
namespace {

const char* reduction_name(Reduction r) {
  switch (r) {
    case Reduction::none: return "none";
    case Reduction::mean: return "mean";
    case Reduction::sum: return "sum";
    case Reduction::batchmean: return "batchmean";
  }
  return "?";
}

void check_same_shape(const Tensor& input, const Tensor& target, const char* op) {
  FC_CHECK(input.shape() == target.shape(), op, ": input ", input.shape(), " and target ", target.shape(),
           " must have the same shape");
}

// Per-element loss and its derivatives with respect to the input and target element.
struct PointwiseTerms {
  double loss, d_input, d_target;
};

// The backward of every elementwise loss: the saved per-element derivatives scaled by the
// incoming gradient (elementwise for none, one scalar times 1/divisor for mean, sum, batchmean).
struct PointwiseLossBackward : Node {
  const char* op = "PointwiseLossBackward";
  Tensor d_input, d_target;  // d_target undefined when the target gets no gradient
  Reduction reduction = Reduction::mean;
  double scale = 1;  // 1 / divisor of the reduction
  const char* name() const override { return op; }
  Tensor scaled(const Tensor& grad, const Tensor& d) const {
    if (reduction == Reduction::none) return binary_kernel(grad, d, op, [](float g, float v) { return g * v; });
    const float s = static_cast<float>(grad.item() * scale);
    return unary_kernel(d, [s](float v) { return s * v; });
  }
  std::vector<Tensor> backward(const Tensor& grad) override {
    return {scaled(grad, d_input), d_target.defined() ? scaled(grad, d_target) : Tensor()};
  }
};

// Evaluates terms(i) over every element of the (contiguous, same-shaped) inputs, reduces in
// double, and connects the backward. batchmean divides by size(0), mean by the element count.
template <class F>
Tensor pointwise_loss(const char* op, const char* node_name, const Tensor& input, const Tensor& target,
                      Reduction reduction, bool target_differentiable, F&& terms) {
  const int64_t n = input.numel();
  Tensor loss = Tensor::empty(input.shape()), d_input = Tensor::empty(input.shape());
  Tensor d_target = target_differentiable ? Tensor::empty(input.shape()) : Tensor();
  float* l = loss.mutable_data();
  float* di = d_input.mutable_data();
  float* dt = target_differentiable ? d_target.mutable_data() : nullptr;
  // Fixed chunks summed in chunk order: the total does not depend on the thread count.
  constexpr int64_t kChunk = 4096;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
#pragma omp parallel for schedule(static) if (n >= kPointwiseParallelElements)
  for (int64_t k = 0; k < chunks; ++k) {
    double sum = 0;
    for (int64_t i = k * kChunk; i < std::min(n, (k + 1) * kChunk); ++i) {
      const PointwiseTerms t = terms(i);
      sum += t.loss;
      l[i] = static_cast<float>(t.loss);
      di[i] = static_cast<float>(t.d_input);
      if (dt) dt[i] = static_cast<float>(t.d_target);
    }
    partial[k] = sum;
  }
  double total = 0;
  for (double sum : partial) total += sum;
  double divisor = 1;
  if (reduction == Reduction::mean) divisor = static_cast<double>(n);
  if (reduction == Reduction::batchmean) {
    FC_CHECK(input.ndim() > 0, op, ": reduction batchmean needs a batch dim, input is ", input.shape());
    divisor = static_cast<double>(input.size(0));
  }
  Tensor out = reduction == Reduction::none ? loss : Tensor::scalar(static_cast<float>(total / divisor));
  const Tensor graded_target = target_differentiable ? target : Tensor();
  if (needs_grad({input, graded_target})) {
    auto node = std::make_shared<PointwiseLossBackward>();
    node->op = node_name;
    node->d_input = d_input;
    node->d_target = d_target;
    node->reduction = reduction;
    node->scale = 1.0 / divisor;
    connect(out, node, {input, graded_target});
  }
  return out;
}

void check_reduction(Reduction reduction, const char* op) {
  FC_CHECK(reduction != Reduction::batchmean, op, ": reduction ", reduction_name(reduction),
           " is only defined for kl_div");
}

}  // namespace

// ---- cross_entropy ----

namespace {

// d loss / d logits[n, c, s] = g[n, s] * (softmax[n, c, s] - [c == target[n, s]]), 0 at ignored
// positions; softmax is recomputed from the saved logits and log-sum-exp.
struct CrossEntropyBackward : Node {
  Tensor logits;  // contiguous (N, C, S)
  int64_t batch = 0, classes = 0, spatial = 1;
  std::vector<int64_t> target;   // (N, S) flattened; ignore_index where ignored
  std::vector<double> lse;       // log-sum-exp per (n, s)
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::mean;
  double count = 0;  // non-ignored positions, the mean's divisor
  const char* name() const override { return "CrossEntropyBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor gx = Tensor::empty(logits.shape());  // every element written below, in parallel
    Tensor g = grad.contiguous();
    const float* x = logits.data();
    float* out = gx.mutable_data();
    double shared = 0;
    if (reduction != Reduction::none) shared = g.item() / (reduction == Reduction::mean ? count : 1.0);
#pragma omp parallel for schedule(static) if (batch * spatial * classes >= kPointwiseParallelElements)
    for (int64_t pos = 0; pos < batch * spatial; ++pos) {
      const int64_t n = pos / spatial, s = pos % spatial;
      const int64_t base = n * classes * spatial + s;
      if (target[pos] == ignore_index) {
        for (int64_t c = 0; c < classes; ++c) out[base + c * spatial] = 0.f;
        continue;
      }
      const double gp = reduction == Reduction::none ? g.data()[pos] : shared;
      for (int64_t c = 0; c < classes; ++c) {
        const double p = std::exp(x[base + c * spatial] - lse[pos]);
        out[base + c * spatial] = static_cast<float>(gp * (p - (c == target[pos] ? 1.0 : 0.0)));
      }
    }
    return {gx};
  }
};

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index, Reduction reduction) {
  const std::string context = str_cat("cross_entropy: logits ", logits.shape(), ", target ", target.shape());
  FC_CHECK(logits.ndim() >= 2, context, ": logits must be (N, C) or (N, C, d1, ...)");
  Shape target_shape = logits.shape();
  target_shape.erase(1);
  FC_CHECK(target.shape() == target_shape, context, ": target must be ", target_shape);
  check_reduction(reduction, "cross_entropy");
  const int64_t batch = logits.size(0), classes = logits.size(1);
  int64_t spatial = 1;  // d1 * d2 * ...: logits are (N, C, spatial) in memory once contiguous
  for (int i = 2; i < logits.ndim(); ++i) spatial *= logits.size(i);
  std::vector<int64_t> labels = read_indices(target, classes, context, ignore_index);

  Tensor x = logits.detach().contiguous();
  const float* px = x.data();
  Tensor loss = Tensor::zeros(target_shape);
  float* pl = loss.mutable_data();
  std::vector<double> lse(labels.size(), 0.0);
  // Per-position losses in parallel (a parsing map is 512 x 512 positions), then summed in order.
#pragma omp parallel for schedule(static) if (batch * spatial * classes >= kPointwiseParallelElements)
  for (int64_t pos = 0; pos < batch * spatial; ++pos) {
    const int64_t n = pos / spatial, s = pos % spatial;
    const float* row = px + n * classes * spatial + s;  // class c at row[c * spatial]
    // Shifting by the max keeps exp() in range for any logits (the stable log-softmax).
    float peak = -std::numeric_limits<float>::infinity();
    for (int64_t c = 0; c < classes; ++c) peak = std::max(peak, row[c * spatial]);
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(row[c * spatial]) - peak);
    lse[pos] = peak + std::log(sum);
    if (labels[pos] == ignore_index) continue;
    pl[pos] = static_cast<float>(lse[pos] - row[labels[pos] * spatial]);
  }
  double total = 0, count = 0;
  for (int64_t pos = 0; pos < batch * spatial; ++pos) {
    if (labels[pos] == ignore_index) continue;
    total += lse[pos] - px[pos / spatial * classes * spatial + pos % spatial + labels[pos] * spatial];
    count += 1;
  }
  Tensor out = loss;
  // mean over zero non-ignored targets is 0/0 = NaN, which is what PyTorch returns.
  if (reduction == Reduction::mean) out = Tensor::scalar(static_cast<float>(total / count));
  if (reduction == Reduction::sum) out = Tensor::scalar(static_cast<float>(total));
  if (needs_grad({logits})) {
    auto node = std::make_shared<CrossEntropyBackward>();
    node->logits = x;
    node->batch = batch;
    node->classes = classes;
    node->spatial = spatial;
    node->target = std::move(labels);
    node->lse = std::move(lse);
    node->ignore_index = ignore_index;
    node->reduction = reduction;
    node->count = count;
    connect(out, node, {logits});
  }
  return out;
}

// ---- binary_cross_entropy_with_logits ----

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, const Tensor& weight,
                                        Reduction reduction) {
  const char* op = "binary_cross_entropy_with_logits";
  check_same_shape(logits, target, op);
  check_reduction(reduction, op);
  Tensor w;
  if (weight.defined()) {
    FC_CHECK(broadcast_shapes(weight.shape(), logits.shape(), op) == logits.shape(), op, ": weight ",
             weight.shape(), " does not broadcast to logits ", logits.shape());
    w = weight.detach().expand(logits.shape().to_vector()).contiguous();
  }
  Tensor x = logits.detach().contiguous(), t = target.detach().contiguous();
  const float *px = x.data(), *pt = t.data(), *pw = w.defined() ? w.data() : nullptr;
  return pointwise_loss(op, "BinaryCrossEntropyWithLogitsBackward", logits, target, reduction, false,
                        [&](int64_t i) {
                          const double xi = px[i], ti = pt[i], wi = pw ? pw[i] : 1.0;
                          // log(1 + exp(-|x|)) never overflows; the sigmoid is split by sign likewise.
                          const double e = std::exp(-std::fabs(xi));
                          const double sigmoid = xi >= 0 ? 1 / (1 + e) : e / (1 + e);
                          const double l = std::max(xi, 0.0) - xi * ti + std::log1p(e);
                          return PointwiseTerms{wi * l, wi * (sigmoid - ti), 0};
                        });
}

// ---- kl_div ----

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape(input, target, "kl_div");
  Tensor x = input.detach().contiguous(), t = target.detach().contiguous();
  const float *px = x.data(), *pt = t.data();
  return pointwise_loss("kl_div", "KlDivBackward", input, target, reduction, false, [&](int64_t i) {
    // PyTorch computes xlogy(t, t) - t * x: 0 * log 0 counts as 0, a negative target gives NaN,
    // and t = 0 with x = -inf gives NaN (0 * inf); all reproduced here.
    const double xi = px[i], ti = pt[i];
    const double xlogy = ti == 0 ? 0.0 : ti * std::log(ti);
    return PointwiseTerms{xlogy - ti * xi, -ti, 0};
  });
}

// ---- l1_loss, mse_loss ----

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape(input, target, "l1_loss");
  check_reduction(reduction, "l1_loss");
  Tensor x = input.detach().contiguous(), t = target.detach().contiguous();
  const float *px = x.data(), *pt = t.data();
  return pointwise_loss("l1_loss", "L1LossBackward", input, target, reduction, true, [&](int64_t i) {
    const double d = static_cast<double>(px[i]) - pt[i];
    const double sign = d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0);  // 0 at 0, as torch.sign
    return PointwiseTerms{std::fabs(d), sign, -sign};
  });
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape(input, target, "mse_loss");
  check_reduction(reduction, "mse_loss");
  Tensor x = input.detach().contiguous(), t = target.detach().contiguous();
  const float *px = x.data(), *pt = t.data();
  return pointwise_loss("mse_loss", "MseLossBackward", input, target, reduction, true, [&](int64_t i) {
    const double d = static_cast<double>(px[i]) - pt[i];
    return PointwiseTerms{d * d, 2 * d, -2 * d};
  });
}

}  // namespace fc
