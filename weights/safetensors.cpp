// Safetensors reader. The validation rules follow the reference implementation's
// (safetensors/src/tensor.rs, `SafeTensors::read_metadata` / `Metadata::validate`), except that
// gaps between tensors are tolerated: they are harmless to a reader, unlike overlaps.
#include "weights/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace fc {
namespace {

// The reference implementation's limit; a header longer than this is a corrupt or hostile file.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DTypeName {
  const char* name;
  ElementType type;
};
constexpr DTypeName kDTypes[] = {
    {"F32", ElementType::f32}, {"F16", ElementType::f16}, {"BF16", ElementType::bf16},
    {"F64", ElementType::f64}, {"I64", ElementType::i64}, {"I32", ElementType::i32},
    {"I16", ElementType::i16}, {"I8", ElementType::i8},   {"U8", ElementType::u8},
    {"BOOL", ElementType::boolean},
};

// A non-negative JSON integer, or an error naming the file, the tensor and the field.
uint64_t json_to_count(const nlohmann::ordered_json& value, const std::string& file, const std::string& what) {
  FC_CHECK(value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0), file, ": ",
           what, " must be a non-negative integer, got ", value.dump());
  return value.get<uint64_t>();
}

SafetensorsEntry parse_entry(const std::string& file, const std::string& name, const nlohmann::ordered_json& info,
                             uint64_t buffer_bytes) {
  std::string where = "tensor '" + name + "'";
  FC_CHECK(info.is_object(), file, ": ", where, " must be a JSON object, got ", info.dump());
  for (const char* key : {"dtype", "shape", "data_offsets"})
    FC_CHECK(info.contains(key), file, ": ", where, " has no \"", key, "\"");
  SafetensorsEntry entry;
  entry.name = name;
  FC_CHECK(info["dtype"].is_string(), file, ": ", where, ": dtype must be a string");
  entry.dtype_name = info["dtype"].get<std::string>();
  FC_CHECK(safetensors_parse_dtype(entry.dtype_name, &entry.dtype), file, ": ", where, " has unknown dtype '",
           entry.dtype_name, "' (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");

  const auto& shape = info["shape"];
  FC_CHECK(shape.is_array() && shape.size() <= static_cast<size_t>(kMaxDims), file, ": ", where,
           ": shape must be an array of at most ", kMaxDims, " sizes, got ", shape.dump());
  uint64_t numel = 1;
  for (const auto& size : shape) {
    uint64_t n = json_to_count(size, file, where + " shape entry");
    FC_CHECK(n <= static_cast<uint64_t>(INT64_MAX) && !__builtin_mul_overflow(numel, n, &numel), file, ": ", where,
             ": shape ", shape.dump(), " overflows");
    entry.shape.push_back(static_cast<int64_t>(n));
  }
  uint64_t bytes = 0;
  FC_CHECK(!__builtin_mul_overflow(numel, element_type_size(entry.dtype), &bytes), file, ": ", where, ": shape ",
           shape.dump(), " overflows");

  const auto& offsets = info["data_offsets"];
  FC_CHECK(offsets.is_array() && offsets.size() == 2, file, ": ", where,
           ": data_offsets must be [begin, end], got ", offsets.dump());
  uint64_t begin = json_to_count(offsets[0], file, where + " data_offsets");
  uint64_t end = json_to_count(offsets[1], file, where + " data_offsets");
  FC_CHECK(begin <= end, file, ": ", where, ": data_offsets [", begin, ", ", end, "] end before they begin");
  FC_CHECK(end <= buffer_bytes, file, ": ", where, ": data_offsets [", begin, ", ", end,
           "] lie outside the data buffer of ", buffer_bytes, " bytes (file truncated?)");
  FC_CHECK(end - begin == bytes, file, ": ", where, ": data_offsets [", begin, ", ", end, "] span ", end - begin,
           " bytes but ", entry.dtype_name, " ", entry.shape, " needs ", bytes);
  entry.begin = begin;
  entry.end = end;
  return entry;
}

}  // namespace

const char* safetensors_dtype_name(ElementType type) {
  for (const auto& d : kDTypes)
    if (d.type == type) return d.name;
  return nullptr;
}

bool safetensors_parse_dtype(const std::string& name, ElementType* type) {
  for (const auto& d : kDTypes) {
    if (name == d.name) {
      *type = d.type;
      return true;
    }
  }
  return false;
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  SafetensorsFile out;
  out.file_ = MappedFile::open(path);
  const std::string file = out.file_->display_name();
  const size_t size = out.file_->size();
  FC_CHECK(size >= 8, file, ": file is ", size, " bytes, too short for the 8-byte header length");
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, out.file_->data(), 8);  // little-endian (checked in element_type.cpp)
  FC_CHECK(header_bytes <= size - 8, file, ": header length ", header_bytes, " exceeds file size ", size,
           " (truncated, or not a safetensors file)");
  FC_CHECK(header_bytes <= kMaxHeaderBytes, file, ": header length ", header_bytes, " exceeds the limit of ",
           kMaxHeaderBytes, " bytes");
  const char* header = reinterpret_cast<const char*>(out.file_->data()) + 8;
  FC_CHECK(header_bytes >= 2 && header[0] == '{', file,
           ": header does not start with '{' (not a safetensors file)");

  nlohmann::ordered_json json;
  try {
    json = nlohmann::ordered_json::parse(header, header + header_bytes);
  } catch (const nlohmann::json::exception& e) {
    throw Error(str_cat(file, ": header is not valid JSON: ", e.what()));
  }
  FC_CHECK(json.is_object(), file, ": header must be a JSON object");
  out.data_start_ = 8 + static_cast<size_t>(header_bytes);
  const uint64_t buffer_bytes = size - out.data_start_;

  for (const auto& [name, info] : json.items()) {
    if (name == "__metadata__") {
      FC_CHECK(info.is_object(), file, ": __metadata__ must be a JSON object of strings");
      for (const auto& [key, value] : info.items()) {
        FC_CHECK(value.is_string(), file, ": __metadata__ value '", key, "' must be a string, got ", value.dump());
        out.metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    out.entries_[name] = parse_entry(file, name, info, buffer_bytes);
    out.names_.push_back(name);
  }

  std::vector<const SafetensorsEntry*> by_offset;
  // Empty tensors occupy no bytes and cannot overlap anything; among the rest, sorted by begin,
  // any overlap shows up between neighbours.
  for (const auto& [name, entry] : out.entries_)
    if (entry.end > entry.begin) by_offset.push_back(&entry);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const auto* prev = by_offset[i - 1];
    const auto* cur = by_offset[i];
    FC_CHECK(cur->begin >= prev->end, file, ": tensors '",
             prev->name, "' [", prev->begin, ", ", prev->end, ") and '", cur->name, "' [", cur->begin, ", ",
             cur->end, ") overlap");
  }
  return out;
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = entries_.find(name);
  FC_CHECK(it != entries_.end(), file_->display_name(), ": no tensor named '", name, "'");
  return it->second;
}

bool SafetensorsFile::is_zero_copy(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  auto address = reinterpret_cast<uintptr_t>(file_->data() + data_start_ + e.begin);
  return e.dtype == ElementType::f32 && address % alignof(float) == 0;
}

Tensor SafetensorsFile::get(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  FC_CHECK(element_type_is_float(e.dtype), file_->display_name(), ": tensor '", name, "' has dtype ", e.dtype_name,
           ", which is not a float type; read it with get_int64()");
  const std::byte* data = file_->data() + data_start_ + e.begin;
  if (is_zero_copy(name)) {
    auto storage = Storage::wrap_mapped_file(data, e.end - e.begin, file_);
    return Tensor::from_storage(std::move(storage), e.shape, contiguous_strides(e.shape), 0);
  }
  return copy_to_f32(data, e.dtype, e.shape, contiguous_strides(e.shape), 0);
}

std::vector<int64_t> SafetensorsFile::get_int64(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  FC_CHECK(!element_type_is_float(e.dtype), file_->display_name(), ": tensor '", name, "' has dtype ",
           e.dtype_name, ", not an integer type; read it with get()");
  return copy_to_int64(file_->data() + data_start_ + e.begin, e.dtype, e.shape, contiguous_strides(e.shape), 0);
}

}  // namespace fc
