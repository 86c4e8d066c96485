#include "core/storage.h"

#include "core/buffer_pool.h"

#include "core/error.h"

namespace fc {

std::shared_ptr<Storage> Storage::allocate(size_t bytes) {
  // Large buffers are reused across layers and calls (core/buffer_pool.h); the pool gives a
  // zero-size tensor a valid pointer too, so data() never returns null.
  void* p = BufferPool::process().acquire(bytes);
  try {
    return std::shared_ptr<Storage>(new Storage(static_cast<std::byte*>(p), bytes, nullptr));
  } catch (...) {
    BufferPool::process().release(p, bytes);
    throw;
  }
}

std::shared_ptr<Storage> Storage::wrap_read_only(const void* data, size_t bytes, std::shared_ptr<const void> owner) {
  FC_CHECK(owner != nullptr, "Storage::wrap_read_only: an owner handle is required to keep the memory alive");
  auto* p = const_cast<std::byte*>(static_cast<const std::byte*>(data));
  return std::shared_ptr<Storage>(new Storage(p, bytes, std::move(owner)));
}

std::shared_ptr<Storage> Storage::wrap_mapped_file(const void* data, size_t bytes, std::shared_ptr<const void> owner) {
  std::shared_ptr<Storage> s = wrap_read_only(data, bytes, std::move(owner));
  s->file_backed_ = true;
  return s;
}

Storage::~Storage() {
  if (!owner_) BufferPool::process().release(data_, size_);
}

std::byte* Storage::mutable_bytes() {
  FC_CHECK(!read_only(), "Storage: cannot write to read-only (memory-mapped) storage; clone() the tensor first");
  return data_;
}

}  // namespace fc
