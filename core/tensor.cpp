#include "core/tensor.h"

#include <algorithm>
#include <cstring>
#include <ostream>
#include <sstream>

#include "core/autograd.h"
#include "core/error.h"
#include "core/random.h"

namespace fc {
namespace {

std::shared_ptr<TensorImpl> make_impl(const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::allocate(static_cast<size_t>(shape.numel()) * sizeof(float));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  return impl;
}

}  // namespace

Tensor Tensor::empty(const Shape& shape) { return Tensor(make_impl(shape)); }

Tensor Tensor::zeros(const Shape& shape) { return full(shape, 0.f); }

Tensor Tensor::ones(const Shape& shape) { return full(shape, 1.f); }

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  std::fill_n(t.mutable_data(), t.numel(), value);
  return t;
}

Tensor Tensor::scalar(float value) { return full(Shape{}, value); }

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape) {
  FC_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "Tensor::from_vector: ", values.size(),
           " values for shape ", shape, " (", shape.numel(), " elements)");
  Tensor t = empty(shape);
  std::copy(values.begin(), values.end(), t.mutable_data());
  return t;
}

Tensor Tensor::arange(int64_t n) {
  Tensor t = empty(Shape{n});
  float* p = t.mutable_data();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(i);
  return t;
}

Tensor Tensor::rand(const Shape& shape, Rng& rng, float low, float high) {
  Tensor t = empty(shape);
  float* p = t.mutable_data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = rng.uniform(low, high);
  return t;
}

Tensor Tensor::randn(const Shape& shape, Rng& rng, float mean, float std) {
  Tensor t = empty(shape);
  float* p = t.mutable_data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = mean + std * rng.normal();
  return t;
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, const Shape& shape, const Shape& strides,
                            int64_t offset_elements) {
  FC_CHECK(shape.ndim() == strides.ndim(), "Tensor::from_storage: shape ", shape, " and strides ", strides,
           " differ in rank");
  int64_t last = offset_elements;
  for (int i = 0; i < shape.ndim(); ++i) {
    if (shape[i] == 0) last = offset_elements - 1;
    if (last >= offset_elements) last += (shape[i] - 1) * strides[i];
  }
  FC_CHECK(offset_elements >= 0 && static_cast<size_t>(last + 1) * sizeof(float) <= storage->size_bytes(),
           "Tensor::from_storage: shape ", shape, " at offset ", offset_elements, " overruns a storage of ",
           storage->size_bytes(), " bytes");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset_elements;
  return Tensor(std::move(impl));
}

const TensorImpl& Tensor::checked() const {
  FC_CHECK(impl_ != nullptr, "use of an undefined Tensor");
  return *impl_;
}

const Shape& Tensor::shape() const { return checked().shape; }
const Shape& Tensor::strides() const { return checked().strides; }
int64_t Tensor::offset() const { return checked().offset; }
DType Tensor::dtype() const { return checked().dtype; }
const std::shared_ptr<Storage>& Tensor::storage() const { return checked().storage; }

bool Tensor::shares_storage_with(const Tensor& other) const {
  return defined() && other.defined() && impl_->storage == other.impl_->storage;
}

bool Tensor::is_contiguous() const {
  const TensorImpl& t = checked();
  int64_t expected = 1;
  for (int i = t.shape.ndim() - 1; i >= 0; --i) {
    if (t.shape[i] == 1) continue;  // a size-1 dim's stride never matters
    if (t.strides[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

std::string Tensor::describe() const {
  if (!defined()) return "Tensor(undefined)";
  std::ostringstream out;
  out << "Tensor" << shape() << ' ' << dtype_name(dtype());
  if (impl_->grad_fn) out << " [grad_fn=" << impl_->grad_fn->name() << ']';
  else if (impl_->requires_grad) out << " [requires_grad]";
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) { return out << t.describe(); }

const float* Tensor::data() const {
  const TensorImpl& t = checked();
  return reinterpret_cast<const float*>(t.storage->bytes()) + t.offset;
}

float* Tensor::mutable_data() {
  const TensorImpl& t = checked();
  return reinterpret_cast<float*>(t.storage->mutable_bytes()) + t.offset;
}

float Tensor::item() const {
  FC_CHECK(numel() == 1, "item: tensor of shape ", shape(), " has ", numel(), " elements, expected 1");
  return *data();
}

std::vector<float> Tensor::to_vector() const {
  Tensor c = detach().contiguous();
  return std::vector<float>(c.data(), c.data() + c.numel());
}

float Tensor::at(std::initializer_list<int64_t> index) const {
  FC_CHECK(static_cast<int>(index.size()) == ndim(), "at: ", index.size(), " indices for shape ", shape());
  int64_t off = 0;
  int d = 0;
  for (int64_t i : index) {
    FC_CHECK(i >= 0 && i < size(d), "at: index ", i, " out of range for dim ", d, " of shape ", shape());
    off += i * stride(d++);
  }
  return data()[off];
}

bool Tensor::requires_grad() const { return checked().requires_grad; }

Tensor& Tensor::set_requires_grad(bool value) {
  FC_CHECK(checked().grad_fn == nullptr, "set_requires_grad: only leaf tensors can be marked; ", describe(),
           " is the result of an op (use detach() first)");
  impl_->requires_grad = value;
  return *this;
}

bool Tensor::is_leaf() const { return checked().grad_fn == nullptr; }

const Tensor& Tensor::grad() const { return checked().grad; }

void Tensor::zero_grad() { impl_->grad = Tensor(); }

void Tensor::set_grad(const Tensor& grad) {
  FC_CHECK(!grad.defined() || grad.shape() == shape(), "set_grad: gradient of shape ", grad.shape(),
           " for tensor of shape ", shape());
  impl_->grad = grad;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const { return checked().grad_fn; }

Tensor Tensor::detach() const {
  const TensorImpl& t = checked();
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.storage;
  impl->shape = t.shape;
  impl->strides = t.strides;
  impl->offset = t.offset;
  impl->dtype = t.dtype;
  return Tensor(std::move(impl));
}

void Tensor::backward() const {
  FC_CHECK(numel() == 1, "backward: called without a gradient on a tensor of shape ", shape(),
           "; only one-element tensors get an implicit gradient of 1");
  backward(Tensor::ones(shape()));
}

void Tensor::backward(const Tensor& grad_output) const { run_backward(*this, grad_output); }

}  // namespace fc
