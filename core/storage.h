// Storage: the bytes behind one or more tensors. Either owned (64-byte aligned, so every row
// a kernel starts on a fresh allocation is cache-line and AVX-512 aligned) or borrowed read-only
// memory (an mmap'd weights file) kept alive by an opaque owner handle.
//
//   auto s = Storage::allocate(1024 * sizeof(float));           // owned, uninitialised
//   auto w = Storage::wrap_read_only(ptr, bytes, mapping_handle); // zero-copy view of a file
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace fc {

// Element types. Only float32 is computed with today; the enum and the byte-based storage leave
// room for bf16 weights without changing Tensor's layout.
enum class DType : uint8_t { f32 };
inline constexpr size_t dtype_size(DType) { return 4; }
inline constexpr const char* dtype_name(DType) { return "float32"; }

class Storage {
 public:
  static constexpr size_t kAlignment = 64;

  // Uninitialised owned memory of `bytes` bytes.
  static std::shared_ptr<Storage> allocate(size_t bytes);
  // Borrowed memory; writes through a tensor on it throw. `owner` keeps the memory alive.
  static std::shared_ptr<Storage> wrap_read_only(const void* data, size_t bytes, std::shared_ptr<const void> owner);
  // The same over a read-only private file mapping: its pages can be dropped (madvise DONTNEED)
  // and are read back from the file on the next touch, so a consumer that keeps its own copy
  // (a packed weight) may release them.
  static std::shared_ptr<Storage> wrap_mapped_file(const void* data, size_t bytes, std::shared_ptr<const void> owner);

  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  const std::byte* bytes() const { return data_; }
  std::byte* mutable_bytes();  // throws on read-only storage
  size_t size_bytes() const { return size_; }
  bool read_only() const { return owner_ != nullptr; }
  bool file_backed() const { return file_backed_; }

 private:
  Storage(std::byte* data, size_t size, std::shared_ptr<const void> owner)
      : data_(data), size_(size), owner_(std::move(owner)) {}
  std::byte* data_;
  size_t size_;
  std::shared_ptr<const void> owner_;  // null when we own data_
  bool file_backed_ = false;
};

}  // namespace fc
