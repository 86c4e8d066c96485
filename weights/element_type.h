// Element types found in weight files (safetensors dtypes, PyTorch storage types) and their
// conversion to the runtime's float32. The runtime computes in float32 only, so every float type
// is widened on load (a copy); integer tensors (BatchNorm's num_batches_tracked, index buffers)
// are read as int64 values instead.
//
//   Tensor t = copy_to_f32(bytes, ElementType::f16, {2, 3}, {3, 1}, 0);   // fresh float32 (2,3)
//   std::vector<int64_t> v = copy_to_int64(bytes, ElementType::i64, {}, {}, 0);  // a scalar
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/shape.h"
#include "core/tensor.h"

namespace fc {

enum class ElementType : uint8_t { f32, f16, bf16, f64, i64, i32, i16, i8, u8, boolean };

const char* element_type_name(ElementType type);  // PyTorch's names: "float32", "bfloat16", ...
size_t element_type_size(ElementType type);
bool element_type_is_float(ElementType type);

// Little-endian half / bfloat16 bit patterns to float (exact: both widen losslessly).
float half_to_float(uint16_t bits);
float bfloat16_to_float(uint16_t bits);

// Number of storage elements a strided view touches: 1 + sum((size-1)*stride), 0 when empty.
// Throws on negative sizes/strides or int64 overflow (hostile headers), naming `what`.
int64_t strided_extent(const Shape& shape, const Shape& strides, const std::string& what);

// The logical contents of a strided view into `storage` (element offset `offset`), row-major,
// as a fresh contiguous float32 tensor. Unaligned data is fine (read with memcpy). The caller has
// checked that the view lies inside the storage. Float types only.
Tensor copy_to_f32(const std::byte* storage, ElementType type, const Shape& shape, const Shape& strides,
                   int64_t offset);
// Same for integer and bool types, widened to int64.
std::vector<int64_t> copy_to_int64(const std::byte* storage, ElementType type, const Shape& shape,
                                   const Shape& strides, int64_t offset);

}  // namespace fc
