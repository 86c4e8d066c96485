// Views of a tensor (Tensor's reshape/permute/narrow/expand/... methods) and their backward rules.
// A view shares storage; its backward maps the output gradient back to the input's shape:
//   reshape/view/squeeze/unsqueeze: grad.reshape(input shape)
//   permute:                        grad.permute(inverse permutation)
//   narrow:                         zeros(input shape) with grad written into the narrowed slice
//   expand:                         sum_to_shape(grad, input shape)
//   contiguous/clone:               grad (the identity)
#include <algorithm>
#include <numeric>

#include "core/autograd.h"
#include "core/error.h"
#include "core/tensor.h"

namespace fc {
namespace {

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

struct ReshapeBackward : Node {
  Shape input_shape;
  const char* name() const override { return "ReshapeBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override { return {grad.reshape(input_shape.to_vector())}; }
};

struct PermuteBackward : Node {
  std::vector<int> inverse;
  const char* name() const override { return "PermuteBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override { return {grad.permute(inverse)}; }
};

struct NarrowBackward : Node {
  Shape input_shape;
  int dim = 0;
  int64_t start = 0;
  const char* name() const override { return "NarrowBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor full = Tensor::zeros(input_shape);
    Tensor slice = full.narrow(dim, start, grad.size(dim));
    copy_into(slice, grad);
    return {full};
  }
};

struct ExpandBackward : Node {
  Shape input_shape;
  const char* name() const override { return "ExpandBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override { return {sum_to_shape(grad, input_shape)}; }
};

struct CopyBackward : Node {
  const char* name() const override { return "CopyBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override { return {grad}; }
};

// A view with a new shape over the same elements (view, squeeze, unsqueeze): its gradient is
// the output gradient reshaped back.
Tensor reshaped_view(const Tensor& base, const Shape& shape, const Shape& strides) {
  Tensor out = make_view(base, shape, strides, base.offset());
  if (needs_grad({base})) {
    auto node = std::make_shared<ReshapeBackward>();
    node->input_shape = base.shape();
    connect(out, node, {base});
  }
  return out;
}

// Resolves one -1 and checks the element count; `op` names the caller in errors.
Shape infer_shape(const Shape& from, const std::vector<int64_t>& sizes, const char* op) {
  int infer = -1;
  int64_t known = 1;
  std::vector<int64_t> out = sizes;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) {
      FC_CHECK(infer < 0, op, ": only one size may be -1");
      infer = static_cast<int>(i);
    } else {
      FC_CHECK(sizes[i] >= 0, op, ": invalid size ", sizes[i]);
      known *= sizes[i];
    }
  }
  if (infer >= 0) {
    FC_CHECK(known > 0 && from.numel() % known == 0, op, ": shape ", from, " (", from.numel(),
             " elements) does not divide into blocks of ", known, " for the -1 size");
    out[infer] = from.numel() / known;
  }
  Shape result(out);
  FC_CHECK(result.numel() == from.numel(), op, ": shape ", from, " (", from.numel(), " elements) cannot become ",
           result, " (", result.numel(), " elements)");
  return result;
}

// Strides that let the tensor be seen as `shape` without a copy; false when impossible. Only
// contiguous inputs qualify (PyTorch allows a few more stride patterns; reshape() copies those).
bool view_strides(const Tensor& t, const Shape& shape, Shape& strides) {
  if (!t.is_contiguous()) return false;
  strides = contiguous_strides(shape);
  return true;
}

}  // namespace

Tensor Tensor::view(const std::vector<int64_t>& sizes) const {
  Shape shape = infer_shape(this->shape(), sizes, "view");
  Shape strides;
  FC_CHECK(view_strides(*this, shape, strides), "view: tensor of shape ", this->shape(), " with strides ",
           this->strides(), " is not contiguous; use reshape()");
  return reshaped_view(*this, shape, strides);
}

Tensor Tensor::reshape(const std::vector<int64_t>& sizes) const {
  Shape shape = infer_shape(this->shape(), sizes, "reshape");
  if (is_contiguous()) return view(shape.to_vector());
  return contiguous().view(shape.to_vector());
}

Tensor Tensor::flatten(int start_dim, int end_dim) const {
  if (ndim() == 0) return reshape({1});
  int s = shape().normalize_dim(start_dim), e = shape().normalize_dim(end_dim);
  FC_CHECK(s <= e, "flatten: start_dim ", start_dim, " after end_dim ", end_dim, " for shape ", shape());
  std::vector<int64_t> sizes;
  for (int i = 0; i < s; ++i) sizes.push_back(size(i));
  int64_t merged = 1;
  for (int i = s; i <= e; ++i) merged *= size(i);
  sizes.push_back(merged);
  for (int i = e + 1; i < ndim(); ++i) sizes.push_back(size(i));
  return reshape(sizes);
}

Tensor Tensor::permute(const std::vector<int>& dims) const {
  FC_CHECK(static_cast<int>(dims.size()) == ndim(), "permute: ", dims.size(), " dims given for shape ", shape());
  std::vector<int> norm(dims.size()), inverse(dims.size());
  std::vector<bool> seen(dims.size(), false);
  Shape shape, strides;
  for (size_t i = 0; i < dims.size(); ++i) {
    int d = this->shape().normalize_dim(dims[i]);
    FC_CHECK(!seen[d], "permute: dim ", dims[i], " repeated for shape ", this->shape());
    seen[d] = true;
    norm[i] = d;
    inverse[d] = static_cast<int>(i);
    shape.push_back(size(d));
    strides.push_back(stride(d));
  }
  Tensor out = make_view(*this, shape, strides, offset());
  if (needs_grad({*this})) {
    auto node = std::make_shared<PermuteBackward>();
    node->inverse = inverse;
    connect(out, node, {*this});
  }
  return out;
}

Tensor Tensor::transpose(int dim0, int dim1) const {
  std::vector<int> dims(ndim());
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[shape().normalize_dim(dim0)], dims[shape().normalize_dim(dim1)]);
  return permute(dims);
}

Tensor Tensor::narrow(int dim, int64_t start, int64_t length) const {
  int d = shape().normalize_dim(dim);
  FC_CHECK(start >= 0 && length >= 0 && start + length <= size(d), "narrow: [", start, ", ", start + length,
           ") out of range for dim ", dim, " of shape ", shape());
  Shape shape = this->shape();
  shape[d] = length;
  Tensor out = make_view(*this, shape, strides(), offset() + start * stride(d));
  if (needs_grad({*this})) {
    auto node = std::make_shared<NarrowBackward>();
    node->input_shape = this->shape();
    node->dim = d;
    node->start = start;
    connect(out, node, {*this});
  }
  return out;
}

Tensor Tensor::select(int dim, int64_t index) const {
  int d = shape().normalize_dim(dim);
  FC_CHECK(index >= -size(d) && index < size(d), "select: index ", index, " out of range for dim ", dim,
           " of shape ", shape());
  if (index < 0) index += size(d);
  return narrow(d, index, 1).squeeze(d);
}

Tensor Tensor::expand(const std::vector<int64_t>& sizes) const {
  const int n = static_cast<int>(sizes.size());
  FC_CHECK(n >= ndim() && n <= kMaxDims, "expand: cannot expand ", shape(), " to ", sizes.size(), " dims");
  Shape shape, strides;
  const int lead = n - ndim();
  for (int i = 0; i < n; ++i) {
    int j = i - lead;
    int64_t want = sizes[i];
    if (j < 0) {
      FC_CHECK(want >= 0, "expand: size -1 not allowed for a new leading dim of ", this->shape());
      shape.push_back(want);
      strides.push_back(0);
    } else if (want == -1 || want == size(j)) {
      shape.push_back(size(j));
      strides.push_back(stride(j));
    } else {
      FC_CHECK(size(j) == 1, "expand: dim ", j, " of shape ", this->shape(), " has size ", size(j),
               " and cannot become ", want);
      shape.push_back(want);
      strides.push_back(0);  // broadcasting: every index reads the one element
    }
  }
  Tensor out = make_view(*this, shape, strides, offset());
  if (needs_grad({*this})) {
    auto node = std::make_shared<ExpandBackward>();
    node->input_shape = this->shape();
    connect(out, node, {*this});
  }
  return out;
}

Tensor Tensor::squeeze(int dim) const {
  int d = shape().normalize_dim(dim);
  FC_CHECK(size(d) == 1, "squeeze: dim ", dim, " of shape ", shape(), " has size ", size(d), ", not 1");
  Shape shape = this->shape(), strides = this->strides();
  shape.erase(d);
  strides.erase(d);
  return reshaped_view(*this, shape, strides);
}

Tensor Tensor::unsqueeze(int dim) const {
  int d = dim < 0 ? dim + ndim() + 1 : dim;
  FC_CHECK(d >= 0 && d <= ndim(), "unsqueeze: dim ", dim, " out of range for shape ", shape());
  Shape shape = this->shape(), strides = this->strides();
  shape.insert(d, 1);
  strides.insert(d, d < ndim() ? this->stride(d) * this->size(d) : 1);
  return reshaped_view(*this, shape, strides);
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = Tensor::empty(shape());
  copy_into(out, *this);
  if (needs_grad({*this})) connect(out, std::make_shared<CopyBackward>(), {*this});
  return out;
}

}  // namespace fc
