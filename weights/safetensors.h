// Safetensors (https://github.com/huggingface/safetensors) reading and writing.
//
// File layout: u64 little-endian header length N | N bytes of JSON header | data buffer. The
// header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into
// the data buffer) and may hold "__metadata__", a string -> string map (the model config lives
// there). The reader mmaps the file: F32 tensors whose data is 4-byte aligned are zero-copy,
// read-only views of the mapping; F16, BF16, F64 (and unaligned F32) are converted/copied into
// fresh float32 tensors. Integer tensors are read with get_int64().
//
//   SafetensorsFile f = SafetensorsFile::open("model.safetensors");
//   for (const std::string& name : f.names()) Tensor w = f.get(name);   // w (shape from file)
//   std::string config = f.metadata().at("config");
//   write_safetensors("out.safetensors", {{"w", w}}, {{"config", config}});   // atomic
#pragma once

#include <functional>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "weights/element_type.h"
#include "weights/mapped_file.h"

namespace fc {

struct SafetensorsEntry {
  std::string name;
  std::string dtype_name;  // as in the file: "F32", "BF16", ...
  ElementType dtype;
  Shape shape;
  size_t begin = 0, end = 0;  // byte offsets into the data buffer
};

class SafetensorsFile {
 public:
  // Validates the whole header (length bounds, JSON shape, dtypes, offsets inside the file and
  // consistent with dtype x shape, no two tensors overlapping); throws fc::Error naming the file.
  static SafetensorsFile open(const std::string& path);

  const std::vector<std::string>& names() const { return names_; }  // in header order
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const SafetensorsEntry& entry(const std::string& name) const;
  // A float32 tensor: zero-copy over the mapping for aligned F32, otherwise a converted copy.
  Tensor get(const std::string& name) const;
  // Integer (I64, I32, I16, I8, U8, BOOL) tensors, row-major, widened to int64.
  std::vector<int64_t> get_int64(const std::string& name) const;
  // Whether get(name) returns a view of the mapping rather than a copy.
  bool is_zero_copy(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  size_t data_start_ = 0;  // 8 + header length
  std::vector<std::string> names_;
  std::map<std::string, SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// Safetensors' own dtype names ("F32", "BF16", ...) <-> element types; nullptr/false if unknown.
const char* safetensors_dtype_name(ElementType type);
bool safetensors_parse_dtype(const std::string& name, ElementType* type);

// Writes float32 tensors (any strides; written row-major) in the given order, with the header
// padded with spaces to a multiple of 8 bytes as the reference writer does, so every tensor in
// the data buffer starts 8-byte aligned in the file. Atomic: a temp file in the same directory is
// fsynced and renamed over `path`; on any error it is removed and `path` is untouched.
// `progress`, when set, is called after each tensor with (tensors written, total).
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
using WriteProgress = std::function<void(size_t done, size_t total)>;
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata = {}, const WriteProgress& progress = {});
void write_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace fc
