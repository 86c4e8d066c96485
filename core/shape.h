// Shape (and strides): a small fixed-capacity list of up to kMaxDims sizes, in PyTorch order
// (dimension 0 outermost). Printed as "(2,3,4)" so error messages read like PyTorch's.
//
//   Shape s{2, 3, 4};   s.numel() == 24;   s[-1] == 4;   contiguous_strides(s) == Shape{12, 4, 1}
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <vector>

namespace fc {

inline constexpr int kMaxDims = 6;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> sizes);
  explicit Shape(std::span<const int64_t> sizes);
  explicit Shape(const std::vector<int64_t>& sizes) : Shape(std::span<const int64_t>(sizes)) {}

  int ndim() const { return ndim_; }
  // Negative indices count from the end, as in PyTorch; out of range throws.
  int64_t operator[](int dim) const { return sizes_[normalize_dim(dim)]; }
  int64_t& operator[](int dim) { return sizes_[normalize_dim(dim)]; }
  int64_t numel() const;
  // Maps a possibly negative dim into [0, ndim); throws naming the shape when out of range.
  int normalize_dim(int dim) const;

  void push_back(int64_t size);
  void insert(int dim, int64_t size);  // dim in [0, ndim]
  void erase(int dim);
  std::vector<int64_t> to_vector() const { return {sizes_.begin(), sizes_.begin() + ndim_}; }
  const int64_t* begin() const { return sizes_.data(); }
  const int64_t* end() const { return sizes_.data() + ndim_; }

  bool operator==(const Shape& other) const;
  bool operator!=(const Shape& other) const { return !(*this == other); }

 private:
  std::array<int64_t, kMaxDims> sizes_{};
  int ndim_ = 0;
};

std::ostream& operator<<(std::ostream& out, const Shape& shape);

// Row-major strides in elements: the last dim has stride 1.
Shape contiguous_strides(const Shape& shape);

// PyTorch broadcasting: align trailing dims; each pair must match or one must be 1.
// Throws naming `op` and both shapes when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace fc
