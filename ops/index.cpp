#include "ops/index.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "core/autograd.h"
#include "core/error.h"
#include "core/strided.h"
#include "ops/integral_index.h"

namespace fc {
namespace {

// Like Shape::normalize_dim, but the error names the op.
int op_dim(const Shape& shape, int dim, const char* op) {
  const int d = dim < 0 ? dim + shape.ndim() : dim;
  FC_CHECK(d >= 0 && d < shape.ndim(), op, ": dim ", dim, " out of range for shape ", shape);
  return d;
}

// Sizes before and after `dim`: a contiguous tensor is then an (outer, size(dim), inner) block.
int64_t outer_size(const Shape& s, int dim) {
  int64_t n = 1;
  for (int i = 0; i < dim; ++i) n *= s[i];
  return n;
}
int64_t inner_size(const Shape& s, int dim) {
  int64_t n = 1;
  for (int i = dim + 1; i < s.ndim(); ++i) n *= s[i];
  return n;
}

std::string shape_list(const std::vector<Tensor>& xs) {
  std::ostringstream out;
  for (size_t i = 0; i < xs.size(); ++i) out << (i ? ", " : "") << xs[i].shape();
  return out.str();
}

}  // namespace

// ---- concat ----

namespace {

// Each input's gradient is its slice of the output gradient.
struct ConcatBackward : Node {
  int dim = 0;
  std::vector<int64_t> sizes;  // of each input along dim
  const char* name() const override { return "ConcatBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    std::vector<Tensor> grads;
    int64_t start = 0;
    for (int64_t s : sizes) {
      grads.push_back(grad.narrow(dim, start, s).contiguous());
      start += s;
    }
    return grads;
  }
};

}  // namespace

Tensor concat(const std::vector<Tensor>& xs, int dim) {
  FC_CHECK(!xs.empty(), "concat: no tensors given");
  const Shape& first = xs[0].shape();
  FC_CHECK(first.ndim() > 0, "concat: zero-dim tensors ", shape_list(xs), " cannot be concatenated");
  const int d = op_dim(first, dim, "concat");
  Shape out_shape = first;
  int64_t total = 0;
  for (const Tensor& x : xs) {
    bool same = x.ndim() == first.ndim();
    for (int i = 0; same && i < first.ndim(); ++i) same = i == d || x.size(i) == first[i];
    FC_CHECK(same, "concat: shapes ", shape_list(xs), " differ outside dim ", dim);
    total += x.size(d);
  }
  out_shape[d] = total;
  Tensor out = Tensor::empty(out_shape);
  int64_t start = 0;
  for (const Tensor& x : xs) {
    Tensor slice = out.narrow(d, start, x.size(d));
    copy_into(slice, x);
    start += x.size(d);
  }
  if (needs_grad(xs)) {
    auto node = std::make_shared<ConcatBackward>();
    node->dim = d;
    for (const Tensor& x : xs) node->sizes.push_back(x.size(d));
    connect(out, node, xs);
  }
  return out;
}

// ---- split ----

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int dim) {
  const int d = op_dim(x.shape(), dim, "split");
  const int64_t n = x.size(d);
  FC_CHECK(split_size > 0 || n == 0, "split: split_size ", split_size, " must be positive (input ", x.shape(),
           ", dim ", dim, ")");
  std::vector<int64_t> sizes;
  for (int64_t start = 0; start < n; start += split_size) sizes.push_back(std::min(split_size, n - start));
  if (sizes.empty()) sizes.push_back(0);
  return split(x, sizes, d);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int dim) {
  const int d = op_dim(x.shape(), dim, "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    FC_CHECK(s >= 0, "split: negative size ", s, " for input ", x.shape());
    total += s;
  }
  FC_CHECK(total == x.size(d), "split: sizes add up to ", total, " but dim ", dim, " of input ", x.shape(),
           " has size ", x.size(d));
  std::vector<Tensor> pieces;
  int64_t start = 0;
  for (int64_t s : sizes) {
    pieces.push_back(x.narrow(d, start, s));
    start += s;
  }
  return pieces;
}

// ---- index_select ----

namespace {

// Scatter-add: row index[k] of the input gradient receives row k of grad.
struct IndexSelectBackward : Node {
  Shape input_shape;
  int dim = 0;
  std::vector<int64_t> index;
  const char* name() const override { return "IndexSelectBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor gx = Tensor::zeros(input_shape);
    Tensor g = grad.contiguous();
    const int64_t outer = outer_size(input_shape, dim), inner = inner_size(input_shape, dim);
    const int64_t n = input_shape[dim], k_count = static_cast<int64_t>(index.size());
    float* dst = gx.mutable_data();
    const float* src = g.data();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < k_count; ++k) {
        float* row = dst + (o * n + index[k]) * inner;
        const float* grow = src + (o * k_count + k) * inner;
        for (int64_t i = 0; i < inner; ++i) row[i] += grow[i];
      }
    return {gx};
  }
};

}  // namespace

Tensor index_select(const Tensor& x, int dim, const Tensor& index) {
  FC_CHECK(index.ndim() <= 1, "index_select: index ", index.shape(), " must be 1-D (input ", x.shape(), ")");
  const int d = op_dim(x.shape(), dim, "index_select");
  const std::string context = str_cat("index_select: input ", x.shape(), ", dim ", dim, ", index ", index.shape());
  std::vector<int64_t> idx = read_indices(index, x.size(d), context);
  Shape out_shape = x.shape();
  out_shape[d] = static_cast<int64_t>(idx.size());
  Tensor out = Tensor::empty(out_shape);
  Tensor src = x.detach().contiguous();
  const int64_t outer = outer_size(x.shape(), d), inner = inner_size(x.shape(), d), n = x.size(d);
  const int64_t k_count = static_cast<int64_t>(idx.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < k_count; ++k)
      std::copy_n(src.data() + (o * n + idx[k]) * inner, inner, out.mutable_data() + (o * k_count + k) * inner);
  if (needs_grad({x})) {
    auto node = std::make_shared<IndexSelectBackward>();
    node->input_shape = x.shape();
    node->dim = d;
    node->index = std::move(idx);
    connect(out, node, {x});
  }
  return out;
}

// ---- gather ----

namespace {

// Walks every position of `index` (row-major, so `b` is its flat position) together with the
// offset of the same position in a tensor of strides `strides`, whose `dim` stride is dropped so
// the caller adds index[b] * that stride itself.
template <class F>
void for_each_gather(const Shape& index_shape, Shape strides, int dim, F&& fn) {
  strides[dim] = 0;
  for_each_offset2(index_shape, strides, contiguous_strides(index_shape), fn);
}

// Scatter-add of grad into the positions gather read.
struct GatherBackward : Node {
  Shape input_shape;
  Shape index_shape;
  int dim = 0;
  std::vector<int64_t> index;
  const char* name() const override { return "GatherBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor gx = Tensor::zeros(input_shape);
    Tensor g = grad.contiguous();
    const Shape strides = contiguous_strides(input_shape);
    const int64_t step = strides[dim];
    float* dst = gx.mutable_data();
    const float* src = g.data();
    for_each_gather(index_shape, strides, dim, [&](int64_t a, int64_t b) { dst[a + index[b] * step] += src[b]; });
    return {gx};
  }
};

}  // namespace

Tensor gather(const Tensor& x, int dim, const Tensor& index) {
  const std::string context = str_cat("gather: input ", x.shape(), ", dim ", dim, ", index ", index.shape());
  FC_CHECK(x.ndim() > 0 && index.ndim() == x.ndim(), context, ": index must have the input's rank (at least 1)");
  const int d = op_dim(x.shape(), dim, "gather");
  for (int i = 0; i < x.ndim(); ++i)
    FC_CHECK(i == d || index.size(i) <= x.size(i), context, ": index size ", index.size(i), " exceeds input size ",
             x.size(i), " in dim ", i);
  std::vector<int64_t> idx = read_indices(index, x.size(d), context);
  Tensor out = Tensor::empty(index.shape());
  const float* src = x.data();
  float* dst = out.mutable_data();
  const int64_t step = x.stride(d);
  for_each_gather(index.shape(), x.strides(), d, [&](int64_t a, int64_t b) { dst[b] = src[a + idx[b] * step]; });
  if (needs_grad({x})) {
    auto node = std::make_shared<GatherBackward>();
    node->input_shape = x.shape();
    node->index_shape = index.shape();
    node->dim = d;
    node->index = std::move(idx);
    connect(out, node, {x});
  }
  return out;
}

// ---- embedding ----

namespace {

// Scatter-add of gradient rows into the weight rows that were read.
struct EmbeddingBackward : Node {
  Shape weight_shape;
  std::vector<int64_t> indices;
  const char* name() const override { return "EmbeddingBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor gw = Tensor::zeros(weight_shape);
    Tensor g = grad.contiguous();
    const int64_t channels = weight_shape[1];
    for (size_t r = 0; r < indices.size(); ++r) {
      float* row = gw.mutable_data() + indices[r] * channels;
      const float* grow = g.data() + static_cast<int64_t>(r) * channels;
      for (int64_t c = 0; c < channels; ++c) row[c] += grow[c];
    }
    return {gw};
  }
};

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  const std::string context = str_cat("embedding: weight ", weight.shape(), ", indices ", indices.shape());
  FC_CHECK(weight.ndim() == 2, context, ": weight must be (V, C)");
  FC_CHECK(indices.ndim() < kMaxDims, context, ": indices have too many dims for a (..., C) result");
  std::vector<int64_t> idx = read_indices(indices, weight.size(0), context);
  Shape out_shape = indices.shape();
  out_shape.push_back(weight.size(1));
  Tensor out = Tensor::empty(out_shape);
  Tensor w = weight.detach().contiguous();
  const int64_t channels = weight.size(1);
  for (size_t r = 0; r < idx.size(); ++r)
    std::copy_n(w.data() + idx[r] * channels, channels, out.mutable_data() + static_cast<int64_t>(r) * channels);
  if (needs_grad({weight})) {
    auto node = std::make_shared<EmbeddingBackward>();
    node->weight_shape = weight.shape();
    node->indices = std::move(idx);
    connect(out, node, {weight});
  }
  return out;
}

}  // namespace fc
