#include "core/shape.h"

#include <algorithm>

#include "core/error.h"

namespace fc {

Shape::Shape(std::initializer_list<int64_t> sizes)
    : Shape(std::span<const int64_t>(sizes.begin(), sizes.size())) {}

Shape::Shape(std::span<const int64_t> sizes) {
  FC_CHECK(sizes.size() <= kMaxDims, "Shape: ", sizes.size(), " dims, at most ", kMaxDims, " supported");
  for (int64_t s : sizes) FC_CHECK(s >= 0, "Shape: negative size ", s);
  std::copy(sizes.begin(), sizes.end(), sizes_.begin());
  ndim_ = static_cast<int>(sizes.size());
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim_; ++i) n *= sizes_[i];
  return n;
}

int Shape::normalize_dim(int dim) const {
  int d = dim < 0 ? dim + ndim_ : dim;
  FC_CHECK(d >= 0 && d < ndim_, "dim ", dim, " out of range for shape ", *this);
  return d;
}

void Shape::push_back(int64_t size) { insert(ndim_, size); }

void Shape::insert(int dim, int64_t size) {
  FC_CHECK(ndim_ < kMaxDims, "Shape: cannot add a dim to ", *this, ", at most ", kMaxDims, " supported");
  FC_CHECK(dim >= 0 && dim <= ndim_, "Shape: insert position ", dim, " out of range for ", *this);
  for (int i = ndim_; i > dim; --i) sizes_[i] = sizes_[i - 1];
  sizes_[dim] = size;
  ++ndim_;
}

void Shape::erase(int dim) {
  int d = normalize_dim(dim);
  for (int i = d; i + 1 < ndim_; ++i) sizes_[i] = sizes_[i + 1];
  --ndim_;
  sizes_[ndim_] = 0;
}

bool Shape::operator==(const Shape& other) const {
  return ndim_ == other.ndim_ && std::equal(begin(), end(), other.begin());
}

std::ostream& operator<<(std::ostream& out, const Shape& shape) {
  out << '(';
  for (int i = 0; i < shape.ndim(); ++i) out << (i ? "," : "") << shape[i];
  return out << ')';
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides = shape;
  int64_t stride = 1;
  for (int i = shape.ndim() - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  int n = std::max(a.ndim(), b.ndim());
  Shape out;
  for (int i = 0; i < n; ++i) {
    int ia = a.ndim() - n + i, ib = b.ndim() - n + i;
    int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
    FC_CHECK(sa == sb || sa == 1 || sb == 1, op, ": shapes ", a, " and ", b, " do not broadcast");
    out.push_back(sa == 1 ? sb : sa);
  }
  return out;
}

}  // namespace fc
