#include "ops/softmax.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "ops/kernels/exp.h"

namespace fc {
namespace {

// Above this many elements the outer loop is split over OpenMP threads.
constexpr int64_t kParallelElements = 1 << 15;

// A contiguous tensor seen as (A, K, B) around the softmax dim: K is the dim, B the elements
// after it (1 for the last dim, where each row is contiguous).
struct RowLayout {
  int64_t a = 1, k = 1, b = 1;
};

RowLayout layout_around(const Shape& shape, int dim) {
  RowLayout l;
  for (int d = 0; d < shape.ndim(); ++d) (d < dim ? l.a : d == dim ? l.k : l.b) *= shape[d];
  return l;
}

int checked_dim(const Tensor& x, int dim, const char* op) {
  const int nd = x.ndim();
  FC_CHECK(dim >= -nd && dim < nd, op, ": dim ", dim, " out of range for shape ", x.shape());
  return dim < 0 ? dim + nd : dim;
}

// y = softmax or log_softmax of x along K. The exponentials are float (ops/kernels/exp.h,
// ~1 ulp); their sum accumulates in double so long rows keep float accuracy.
void softmax_forward(const float* x, float* y, RowLayout l, bool log) {
  const bool parallel = l.a * l.k * l.b >= kParallelElements;
  if (l.b == 1) {
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t a = 0; a < l.a; ++a) {
      const float* row = x + a * l.k;
      float* out = y + a * l.k;
      float top = row[0];
      for (int64_t k = 1; k < l.k; ++k) top = std::max(top, row[k]);
      // The exponentials go to `out` (AVX2); log_softmax overwrites them below.
      exp_affine(row, out, l.k, 1.f, top);
      double total = 0;
#pragma omp simd reduction(+ : total)
      for (int64_t k = 0; k < l.k; ++k) total += out[k];
      if (log) {
        const double log_total = std::log(total);
        for (int64_t k = 0; k < l.k; ++k) out[k] = static_cast<float>(static_cast<double>(row[k]) - top - log_total);
      } else {
        const double inv = 1.0 / total;
        for (int64_t k = 0; k < l.k; ++k) out[k] = static_cast<float>(out[k] * inv);
      }
    }
    return;
  }
  // A leading or middle dim: the K entries of one softmax are B apart, so work on whole rows of
  // B (contiguous) at a time with per-column running max and sum.
#pragma omp parallel for schedule(static) if (parallel && l.a > 1)
  for (int64_t a = 0; a < l.a; ++a) {
    const float* block = x + a * l.k * l.b;
    float* out = y + a * l.k * l.b;
    std::vector<float> top(block, block + l.b);
    std::vector<double> total(static_cast<size_t>(l.b), 0.0);
    for (int64_t k = 1; k < l.k; ++k)
      for (int64_t b = 0; b < l.b; ++b) top[b] = std::max(top[b], block[k * l.b + b]);
    // Each row of B: the shifted logits, then their exponentials in place (AVX2); log_softmax
    // overwrites them below.
    for (int64_t k = 0; k < l.k; ++k) {
      float* out_row = out + k * l.b;
      for (int64_t b = 0; b < l.b; ++b) out_row[b] = block[k * l.b + b] - top[b];
      exp_affine(out_row, out_row, l.b, 1.f, 0.f);
      for (int64_t b = 0; b < l.b; ++b) total[b] += out_row[b];
    }
    // From here total holds what each column needs: max + log(sum) or 1 / sum.
    for (int64_t b = 0; b < l.b; ++b) total[b] = log ? top[b] + std::log(total[b]) : 1.0 / total[b];
    for (int64_t k = 0; k < l.k; ++k)
      for (int64_t b = 0; b < l.b; ++b) {
        float& o = out[k * l.b + b];
        o = static_cast<float>(log ? block[k * l.b + b] - total[b] : o * total[b]);
      }
  }
}

// dx from grad g and saved output y along K:
//   softmax:     dx = y * (g - sum_k g y)
//   log_softmax: dx = g - exp(y) * sum_k g
void softmax_backward(const float* g, const float* y, float* dx, RowLayout l, bool log) {
  const bool parallel = l.a * l.k * l.b >= kParallelElements;
#pragma omp parallel for schedule(static) if (parallel && l.a > 1)
  for (int64_t a = 0; a < l.a; ++a) {
    const int64_t base = a * l.k * l.b;
    std::vector<double> dot(static_cast<size_t>(l.b), 0.0);
    for (int64_t k = 0; k < l.k; ++k)
      for (int64_t b = 0; b < l.b; ++b) {
        const int64_t i = base + k * l.b + b;
        dot[b] += log ? g[i] : static_cast<double>(g[i]) * y[i];
      }
    for (int64_t k = 0; k < l.k; ++k)
      for (int64_t b = 0; b < l.b; ++b) {
        const int64_t i = base + k * l.b + b;
        const float s = static_cast<float>(dot[b]);
        dx[i] = log ? g[i] - std::exp(y[i]) * s : y[i] * (g[i] - s);
      }
  }
}

struct SoftmaxBackward : Node {
  Tensor result;  // the forward output (contiguous)
  int dim = 0;
  bool log = false;
  const char* name() const override { return log ? "LogSoftmaxBackward" : "SoftmaxBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor g = grad.contiguous();
    Tensor dx = Tensor::empty(result.shape());
    softmax_backward(g.data(), result.data(), dx.mutable_data(), layout_around(result.shape(), dim), log);
    return {dx};
  }
};

Tensor softmax_op(const Tensor& x, int dim, bool log, const char* op) {
  const int d = checked_dim(x, dim, op);
  Tensor src = x.detach().contiguous();
  Tensor out = Tensor::empty(x.shape());
  // An empty tensor has no row to read a maximum from.
  if (x.numel() > 0) softmax_forward(src.data(), out.mutable_data(), layout_around(x.shape(), d), log);
  if (needs_grad({x})) {
    auto node = std::make_shared<SoftmaxBackward>();
    node->result = out.detach();
    node->dim = d;
    node->log = log;
    connect(out, node, {x});
  }
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int dim) { return softmax_op(x, dim, false, "softmax"); }

Tensor log_softmax(const Tensor& x, int dim) { return softmax_op(x, dim, true, "log_softmax"); }

}  // namespace fc
