#include "ops/reduce.h"

#include <omp.h>

#include <array>
#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "core/strided.h"
#include "ops/kernels/pointwise.h"

namespace fc {
namespace {

// Above this many input elements the outer loop of a reduction is split over OpenMP threads.
constexpr int64_t kParallelElements = 1 << 15;

using DimMask = std::array<bool, kMaxDims>;

// Which dims a reduction removes, and the two result shapes: `keep` has 1 at each reduced dim
// (the layout every kernel writes), `out` drops them unless keepdim.
struct ReducePlan {
  DimMask reduced{};
  Shape keep, out;
  int64_t count = 1;  // input elements per result element
};

ReducePlan plan_all(const Shape& shape) {
  ReducePlan plan;
  for (int d = 0; d < shape.ndim(); ++d) {
    plan.reduced[d] = true;
    plan.keep.push_back(1);
    plan.count *= shape[d];
  }
  return plan;  // out stays 0-dim
}

ReducePlan plan_dims(const Shape& shape, const std::vector<int>& dims, bool keepdim, const char* op) {
  const int nd = shape.ndim();
  FC_CHECK(!dims.empty(), op, ": ", shape, ": empty dim list (call ", op, "(x) to reduce every dim)");
  ReducePlan plan;
  for (int dim : dims) {
    FC_CHECK(dim >= -nd && dim < nd, op, ": dim ", dim, " out of range for shape ", shape);
    const int d = dim < 0 ? dim + nd : dim;
    FC_CHECK(!plan.reduced[d], op, ": dim ", dim, " repeated in the dim list for shape ", shape);
    plan.reduced[d] = true;
  }
  for (int d = 0; d < nd; ++d) {
    plan.keep.push_back(plan.reduced[d] ? 1 : shape[d]);
    if (plan.reduced[d]) plan.count *= shape[d];
    if (!plan.reduced[d] || keepdim) plan.out.push_back(plan.keep[d]);
  }
  return plan;
}

// For a contiguous tensor whose reduced dims form one run [lo, hi): the sizes (A, R, B) of the
// view (dims before the run, the run, dims after it). False when the reduced dims are not adjacent.
bool as_outer_reduced_inner(const Shape& shape, const DimMask& reduced, int64_t& a, int64_t& r, int64_t& b) {
  int lo = -1, hi = -1;
  for (int d = 0; d < shape.ndim(); ++d)
    if (reduced[d]) {
      if (lo < 0)
        lo = d;
      else if (hi != d)
        return false;
      hi = d + 1;
    }
  if (lo < 0) return false;
  a = r = b = 1;
  for (int d = 0; d < shape.ndim(); ++d) (d < lo ? a : d < hi ? r : b) *= shape[d];
  return true;
}

// out (keep shape) = scale * sum of x over the reduced dims, accumulated in double.
Tensor sum_kernel(const Tensor& x, const ReducePlan& plan, double scale) {
  Tensor out = Tensor::empty(plan.keep);
  float* o = out.mutable_data();
  const float* p = x.data();
  int64_t a_size, r_size, b_size;
  if (x.is_contiguous() && as_outer_reduced_inner(x.shape(), plan.reduced, a_size, r_size, b_size)) {
    if (b_size == 1) {  // reducing trailing dims: one contiguous row per output
#pragma omp parallel for schedule(static) if (x.numel() >= kParallelElements)
      for (int64_t a = 0; a < a_size; ++a) {
        const float* row = p + a * r_size;
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t r = 0; r < r_size; ++r) s += row[r];
        o[a] = static_cast<float>(s * scale);
      }
      return out;
    }
    // Leading or middle dims: add whole contiguous rows of B into a row of accumulators.
    if (a_size < omp_get_max_threads()) {  // e.g. a bias gradient (rows, C) -> (C): split C instead
      for (int64_t a = 0; a < a_size; ++a) {
        std::vector<double> acc(static_cast<size_t>(b_size), 0.0);
        for_column_ranges(r_size, b_size, [&](int64_t b0, int64_t b1) {
          for (int64_t r = 0; r < r_size; ++r) {
            const float* row = p + (a * r_size + r) * b_size;
            for (int64_t b = b0; b < b1; ++b) acc[b] += row[b];
          }
        });
        for (int64_t b = 0; b < b_size; ++b) o[a * b_size + b] = static_cast<float>(acc[b] * scale);
      }
      return out;
    }
#pragma omp parallel for schedule(static) if (x.numel() >= kParallelElements && a_size > 1)
    for (int64_t a = 0; a < a_size; ++a) {
      std::vector<double> acc(static_cast<size_t>(b_size), 0.0);
      for (int64_t r = 0; r < r_size; ++r) {
        const float* row = p + (a * r_size + r) * b_size;
        for (int64_t b = 0; b < b_size; ++b) acc[b] += row[b];
      }
      for (int64_t b = 0; b < b_size; ++b) o[a * b_size + b] = static_cast<float>(acc[b] * scale);
    }
    return out;
  }
  // General strided fallback: walk the input, sending each element to its output slot (stride 0
  // along reduced dims).
  Shape to_out = contiguous_strides(plan.keep);
  for (int d = 0; d < x.ndim(); ++d)
    if (plan.reduced[d]) to_out[d] = 0;
  std::vector<double> acc(static_cast<size_t>(out.numel()), 0.0);
  for_each_offset2(x.shape(), to_out, x.strides(), [&](int64_t oi, int64_t xi) { acc[oi] += p[xi]; });
  for (int64_t i = 0; i < out.numel(); ++i) o[i] = static_cast<float>(acc[i] * scale);
  return out;
}

// dx = scale * grad broadcast back over the reduced dims: grad (out shape) -> (input shape).
Tensor spread_gradient(const Tensor& grad, const Shape& keep, const Shape& input_shape, float scale) {
  Tensor g = grad.detach().contiguous().reshape(keep.to_vector()).expand(input_shape.to_vector());
  Tensor dx = Tensor::empty(input_shape);
  float* o = dx.mutable_data();
  const float* pg = g.data();
  for_each_offset2(input_shape, contiguous_strides(input_shape), g.strides(),
                   [&](int64_t oi, int64_t gi) { o[oi] = pg[gi] * scale; });
  return dx;
}

// d sum = grad spread over the reduced dims; d mean the same divided by the count.
struct SumBackward : Node {
  Shape input_shape, keep;
  float scale = 1.f;
  const char* op = "SumBackward";
  const char* name() const override { return op; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    return {spread_gradient(grad, keep, input_shape, scale)};
  }
};

Tensor reduce_sum(const Tensor& x, const ReducePlan& plan, bool is_mean) {
  const double scale = is_mean ? 1.0 / static_cast<double>(plan.count) : 1.0;
  Tensor out = sum_kernel(x, plan, scale).reshape(plan.out.to_vector());
  if (needs_grad({x})) {
    auto node = std::make_shared<SumBackward>();
    node->input_shape = x.shape();
    node->keep = plan.keep;
    node->scale = static_cast<float>(scale);
    node->op = is_mean ? "MeanBackward" : "SumBackward";
    connect(out, node, {x});
  }
  return out;
}

// NaN beats everything and the first of equals wins, as in PyTorch's max(dim) and argmax.
inline bool beats(float v, float best) { return v > best || (std::isnan(v) && !std::isnan(best)); }

// values (keep shape) and the position k along `dim` of each maximum. x (A, K, B) around dim.
void max_kernel(const Tensor& x, int dim, const Shape& keep, float* values, int64_t* which) {
  const float* p = x.data();
  const int64_t k_size = x.size(dim), k_stride = x.stride(dim);
  int64_t a_size = 1, b_size = 1;
  for (int d = 0; d < x.ndim(); ++d) (d < dim ? a_size : b_size) *= d == dim ? 1 : x.size(d);
  if (x.is_contiguous() && b_size > 1) {  // leading or middle dim: compare whole rows of B
#pragma omp parallel for schedule(static) if (x.numel() >= kParallelElements && a_size > 1)
    for (int64_t a = 0; a < a_size; ++a) {
      float* best = values + a * b_size;
      int64_t* at = which + a * b_size;
      const float* block = p + a * k_size * b_size;
      for (int64_t b = 0; b < b_size; ++b) best[b] = block[b], at[b] = 0;
      for (int64_t k = 1; k < k_size; ++k)
        for (int64_t b = 0; b < b_size; ++b)
          if (beats(block[k * b_size + b], best[b])) best[b] = block[k * b_size + b], at[b] = k;
    }
    return;
  }
  // Last dim of a contiguous tensor, or any strided layout: one strided scan per output.
  int64_t o = 0;  // keep is contiguous and walked in row-major order
  for_each_offset(keep, x.strides(), [&](int64_t xi) {
    float best = p[xi];
    int64_t at = 0;
    for (int64_t k = 1; k < k_size; ++k)
      if (beats(p[xi + k * k_stride], best)) best = p[xi + k * k_stride], at = k;
    values[o] = best;
    which[o++] = at;
  });
}

struct MaxPlan {
  int dim;
  Shape keep, out;
};

MaxPlan plan_max(const Tensor& x, int dim, bool keepdim, const char* op) {
  const int nd = x.ndim();
  FC_CHECK(dim >= -nd && dim < nd, op, ": dim ", dim, " out of range for shape ", x.shape());
  MaxPlan plan{dim < 0 ? dim + nd : dim, x.shape(), x.shape()};
  FC_CHECK(x.size(plan.dim) > 0, op, ": ", x.shape(), ": cannot reduce dim ", dim, " of size 0");
  plan.keep[plan.dim] = 1;
  if (keepdim)
    plan.out[plan.dim] = 1;
  else
    plan.out.erase(plan.dim);
  return plan;
}

// d max(dim): grad goes to the position of each maximum (flat index into the input's
// row-major layout), zero elsewhere.
struct MaxDimBackward : Node {
  Shape input_shape;
  std::vector<int64_t> positions;  // one per output element
  const char* name() const override { return "MaxBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor g = grad.contiguous();
    Tensor dx = Tensor::zeros(input_shape);
    float* o = dx.mutable_data();
    const float* pg = g.data();
    for (size_t i = 0; i < positions.size(); ++i) o[positions[i]] += pg[i];
    return {dx};
  }
};

// d max(): grad shared evenly by every element equal to the maximum (NaN matches NaN).
struct MaxAllBackward : Node {
  Tensor input;
  float result = 0;
  const char* name() const override { return "MaxBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor src = input.contiguous();
    Tensor dx = Tensor::zeros(input.shape());
    const float* p = src.data();
    float* o = dx.mutable_data();
    const bool nan = std::isnan(result);
    auto hit = [&](float v) { return nan ? std::isnan(v) : v == result; };
    int64_t ties = 0;
    for (int64_t i = 0; i < src.numel(); ++i) ties += hit(p[i]);
    const float share = grad.item() / static_cast<float>(ties);
    for (int64_t i = 0; i < src.numel(); ++i)
      if (hit(p[i])) o[i] = share;
    return {dx};
  }
};

}  // namespace

Tensor sum(const Tensor& x) { return reduce_sum(x, plan_all(x.shape()), false); }

Tensor mean(const Tensor& x) { return reduce_sum(x, plan_all(x.shape()), true); }

Tensor sum(const Tensor& x, const std::vector<int>& dims, bool keepdim) {
  return reduce_sum(x, plan_dims(x.shape(), dims, keepdim, "sum"), false);
}

Tensor mean(const Tensor& x, const std::vector<int>& dims, bool keepdim) {
  return reduce_sum(x, plan_dims(x.shape(), dims, keepdim, "mean"), true);
}

Tensor max(const Tensor& x, int dim, bool keepdim) {
  MaxPlan plan = plan_max(x, dim, keepdim, "max");
  Tensor values = Tensor::empty(plan.keep);
  std::vector<int64_t> which(static_cast<size_t>(values.numel()));
  max_kernel(x, plan.dim, plan.keep, values.mutable_data(), which.data());
  Tensor out = values.reshape(plan.out.to_vector());
  if (needs_grad({x})) {
    auto node = std::make_shared<MaxDimBackward>();
    node->input_shape = x.shape();
    // Output o is (a, b) of the (A, 1, B) keep layout; its maximum sits at (a, k, b) of (A, K, B).
    const int64_t k_size = x.size(plan.dim);
    int64_t b_size = 1;
    for (int d = plan.dim + 1; d < x.ndim(); ++d) b_size *= x.size(d);
    node->positions.resize(which.size());
    for (size_t o = 0; o < which.size(); ++o) {
      const int64_t a = static_cast<int64_t>(o) / b_size, b = static_cast<int64_t>(o) % b_size;
      node->positions[o] = (a * k_size + which[o]) * b_size + b;
    }
    connect(out, node, {x});
  }
  return out;
}

Tensor max(const Tensor& x) {
  FC_CHECK(x.numel() > 0, "max: ", x.shape(), ": cannot take the max of an empty tensor");
  Tensor src = x.detach().contiguous();
  const float* p = src.data();
  float best = p[0];
  for (int64_t i = 1; i < src.numel(); ++i)
    if (beats(p[i], best)) best = p[i];
  Tensor out = Tensor::scalar(best);
  if (needs_grad({x})) {
    auto node = std::make_shared<MaxAllBackward>();
    node->input = x.detach();
    node->result = best;
    connect(out, node, {x});
  }
  return out;
}

Tensor argmax(const Tensor& x, int dim, bool keepdim) {
  MaxPlan plan = plan_max(x, dim, keepdim, "argmax");
  Tensor values = Tensor::empty(plan.keep);
  std::vector<int64_t> which(static_cast<size_t>(values.numel()));
  max_kernel(x, plan.dim, plan.keep, values.mutable_data(), which.data());
  Tensor out = Tensor::empty(plan.out);
  float* o = out.mutable_data();
  for (size_t i = 0; i < which.size(); ++i) o[i] = static_cast<float>(which[i]);
  return out;
}

}  // namespace fc
