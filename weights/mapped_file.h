// MappedFile: a whole file mapped read-only (MAP_PRIVATE) into memory, shared by every tensor
// view over it. Weight readers hand out zero-copy tensors whose Storage owner is this mapping,
// so the file stays mapped exactly as long as some tensor still points into it.
//
//   auto file = MappedFile::open("model.safetensors");
//   auto storage = Storage::wrap_read_only(file->data() + offset, bytes, file);
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace fc {

class MappedFile {
 public:
  // Throws fc::Error naming the path when the file cannot be opened or mapped. An empty file
  // maps to size() == 0 and data() == nullptr (mmap refuses zero-length mappings).
  static std::shared_ptr<const MappedFile> open(const std::string& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // The file name without directories, for error messages ("model.safetensors: ...").
  std::string display_name() const;

 private:
  MappedFile(std::string path, const std::byte* data, size_t size) : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const std::byte* data_;
  size_t size_;
};

// The last path component of `path` ("dir/model.pth" -> "model.pth").
std::string file_display_name(const std::string& path);

}  // namespace fc
