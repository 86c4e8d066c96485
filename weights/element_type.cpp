#include "weights/element_type.h"

#include <array>
#include <bit>
#include <cstring>
#include <limits>

#include "core/error.h"

namespace fc {

static_assert(std::endian::native == std::endian::little,
              "weight files are little-endian; this reader maps them without byte swapping");

const char* element_type_name(ElementType type) {
  switch (type) {
    case ElementType::f32: return "float32";
    case ElementType::f16: return "float16";
    case ElementType::bf16: return "bfloat16";
    case ElementType::f64: return "float64";
    case ElementType::i64: return "int64";
    case ElementType::i32: return "int32";
    case ElementType::i16: return "int16";
    case ElementType::i8: return "int8";
    case ElementType::u8: return "uint8";
    case ElementType::boolean: return "bool";
  }
  return "?";
}

size_t element_type_size(ElementType type) {
  switch (type) {
    case ElementType::f64:
    case ElementType::i64: return 8;
    case ElementType::f32:
    case ElementType::i32: return 4;
    case ElementType::f16:
    case ElementType::bf16:
    case ElementType::i16: return 2;
    case ElementType::i8:
    case ElementType::u8:
    case ElementType::boolean: return 1;
  }
  return 1;
}

bool element_type_is_float(ElementType type) {
  return type == ElementType::f32 || type == ElementType::f16 || type == ElementType::bf16 ||
         type == ElementType::f64;
}

float half_to_float(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  uint32_t out;
  if (exponent == 0x1f) {
    out = sign | 0x7f800000u | (mantissa << 13);  // inf / nan, payload kept
  } else if (exponent != 0) {
    out = sign | ((exponent + 112) << 23) | (mantissa << 13);  // rebias 15 -> 127
  } else if (mantissa == 0) {
    out = sign;
  } else {
    // Subnormal half: value = mantissa * 2^-24, exactly representable as a normal float.
    float value = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -value : value;
  }
  return std::bit_cast<float>(out);
}

float bfloat16_to_float(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

int64_t strided_extent(const Shape& shape, const Shape& strides, const std::string& what) {
  FC_CHECK(shape.ndim() == strides.ndim(), what, ": shape ", shape, " and stride ", strides, " differ in rank");
  int64_t last = 0;
  for (int d = 0; d < shape.ndim(); ++d) {
    FC_CHECK(shape[d] >= 0 && strides[d] >= 0, what, ": negative size or stride in shape ", shape, " stride ",
             strides);
    if (shape[d] == 0) return 0;
    int64_t step = 0;
    FC_CHECK(!__builtin_mul_overflow(shape[d] - 1, strides[d], &step) && !__builtin_add_overflow(last, step, &last),
             what, ": shape ", shape, " with stride ", strides, " overflows int64");
  }
  return last + 1;
}

namespace {

// Calls visit(element_index) for each element of the view in row-major order.
template <class Visit>
void for_each_strided(const Shape& shape, const Shape& strides, int64_t offset, Visit visit) {
  int64_t numel = shape.numel();
  int ndim = shape.ndim();
  std::array<int64_t, kMaxDims> index{};
  int64_t position = offset;
  for (int64_t i = 0; i < numel; ++i) {
    visit(position);
    for (int d = ndim - 1; d >= 0; --d) {
      if (++index[d] < shape[d]) {
        position += strides[d];
        break;
      }
      position -= (shape[d] - 1) * strides[d];
      index[d] = 0;
    }
  }
}

template <class T>
T load(const std::byte* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

}  // namespace

Tensor copy_to_f32(const std::byte* storage, ElementType type, const Shape& shape, const Shape& strides,
                   int64_t offset) {
  FC_CHECK(element_type_is_float(type), "copy_to_f32: ", element_type_name(type), " is not a float type");
  Tensor out = Tensor::empty(shape);
  float* dst = out.mutable_data();
  size_t size = element_type_size(type);
  for_each_strided(shape, strides, offset, [&](int64_t e) {
    const std::byte* p = storage + static_cast<size_t>(e) * size;
    switch (type) {
      case ElementType::f32: *dst++ = load<float>(p); break;
      case ElementType::f16: *dst++ = half_to_float(load<uint16_t>(p)); break;
      case ElementType::bf16: *dst++ = bfloat16_to_float(load<uint16_t>(p)); break;
      default: *dst++ = static_cast<float>(load<double>(p)); break;
    }
  });
  return out;
}

std::vector<int64_t> copy_to_int64(const std::byte* storage, ElementType type, const Shape& shape,
                                   const Shape& strides, int64_t offset) {
  FC_CHECK(!element_type_is_float(type), "copy_to_int64: ", element_type_name(type), " is not an integer type");
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(shape.numel()));
  size_t size = element_type_size(type);
  for_each_strided(shape, strides, offset, [&](int64_t e) {
    const std::byte* p = storage + static_cast<size_t>(e) * size;
    switch (type) {
      case ElementType::i64: out.push_back(load<int64_t>(p)); break;
      case ElementType::i32: out.push_back(load<int32_t>(p)); break;
      case ElementType::i16: out.push_back(load<int16_t>(p)); break;
      case ElementType::i8: out.push_back(load<int8_t>(p)); break;
      case ElementType::u8: out.push_back(load<uint8_t>(p)); break;
      default: out.push_back(load<uint8_t>(p) != 0); break;
    }
  });
  return out;
}

}  // namespace fc
