// Tensor: a strided view of float32 storage with reverse-mode autograd.
//
// A Tensor is a cheap handle (shared pointer); copies share data and autograd state. Views
// (reshape, permute, narrow, expand, ...) share storage with their base and are differentiable.
// Math lives in ops/; this header is only data, views and the autograd entry points.
//
//   Rng rng(0);
//   Tensor w = Tensor::randn({3, 4}, rng).set_requires_grad(true);
//   Tensor y = fc::sum(fc::mul(w, w));      // from ops/
//   y.backward();                            // w.grad() == 2 * w
//   { NoGradGuard no_grad; ... }             // no graph recorded inside
//
// Shapes are PyTorch-ordered (dim 0 outermost); strides are in elements.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/shape.h"
#include "core/storage.h"

namespace fc {

class Node;
class Rng;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation (fresh contiguous storage, requires_grad false) ----
  static Tensor empty(const Shape& shape);
  static Tensor zeros(const Shape& shape);
  static Tensor ones(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  static Tensor scalar(float value);  // 0-dim
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape);
  static Tensor arange(int64_t n);  // 0, 1, ..., n-1
  static Tensor rand(const Shape& shape, Rng& rng, float low = 0.f, float high = 1.f);
  static Tensor randn(const Shape& shape, Rng& rng, float mean = 0.f, float std = 1.f);
  // A tensor over existing storage (e.g. a read-only mmap'd weights file); no copy.
  static Tensor from_storage(std::shared_ptr<Storage> storage, const Shape& shape, const Shape& strides,
                             int64_t offset_elements);

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& strides() const;
  int ndim() const { return shape().ndim(); }
  int64_t size(int dim) const { return shape()[dim]; }
  int64_t stride(int dim) const { return strides()[dim]; }
  int64_t numel() const { return shape().numel(); }
  int64_t offset() const;  // in elements, into storage
  DType dtype() const;
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const;
  bool shares_storage_with(const Tensor& other) const;
  std::string describe() const;  // "Tensor(2,3) float32 [grad_fn=MulBackward]"

  // ---- data (pointer to this view's first element; follow strides() unless contiguous) ----
  const float* data() const;
  float* mutable_data();  // throws on read-only storage
  float item() const;     // the value of a one-element tensor
  std::vector<float> to_vector() const;  // row-major copy of the logical contents
  float at(std::initializer_list<int64_t> index) const;

  // ---- views: share storage, differentiable ----
  Tensor reshape(const std::vector<int64_t>& sizes) const;  // one size may be -1; copies only if needed
  Tensor view(const std::vector<int64_t>& sizes) const;     // like reshape, but never copies (throws)
  Tensor flatten(int start_dim = 0, int end_dim = -1) const;
  Tensor permute(const std::vector<int>& dims) const;
  Tensor transpose(int dim0, int dim1) const;
  Tensor narrow(int dim, int64_t start, int64_t length) const;
  Tensor select(int dim, int64_t index) const;  // narrow + squeeze
  Tensor expand(const std::vector<int64_t>& sizes) const;  // -1 keeps a size; new dims go in front
  Tensor expand_as(const Tensor& other) const { return expand(other.shape().to_vector()); }
  Tensor squeeze(int dim) const;
  Tensor unsqueeze(int dim) const;
  Tensor contiguous() const;  // self when already contiguous, else a differentiable copy
  Tensor clone() const;       // always a fresh contiguous copy, differentiable

  // ---- autograd ----
  bool requires_grad() const;
  // Marks a leaf as a parameter whose gradient accumulates into grad(). Returns *this.
  Tensor& set_requires_grad(bool value);
  bool is_leaf() const;
  const Tensor& grad() const;  // undefined until a backward reaches this leaf
  void zero_grad();            // drops the accumulated gradient (explicit, never implicit)
  void set_grad(const Tensor& grad);
  const std::shared_ptr<Node>& grad_fn() const;
  // Same data, cut from the graph: requires_grad false, no grad_fn.
  Tensor detach() const;
  // Backpropagates from this tensor. With no argument the tensor must hold one element.
  void backward() const;
  void backward(const Tensor& grad_output) const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  const TensorImpl& checked() const;
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;
  int64_t offset = 0;  // elements
  DType dtype = DType::f32;
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;        // set on results of differentiable ops
  Tensor grad;                          // accumulated on leaves
  std::weak_ptr<Node> grad_accumulator; // the leaf's AccumulateGrad node, made on first use
};

std::ostream& operator<<(std::ostream& out, const Tensor& t);

}  // namespace fc
