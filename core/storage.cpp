#include "core/storage.h"

#include <cstdlib>
#include <new>

#include "core/error.h"

namespace fc {

std::shared_ptr<Storage> Storage::allocate(size_t bytes) {
  // aligned_alloc needs a size that is a multiple of the alignment; a zero-size tensor still gets
  // a valid pointer so data() never returns null.
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (!p) throw std::bad_alloc();
  return std::shared_ptr<Storage>(new Storage(static_cast<std::byte*>(p), bytes, nullptr));
}

std::shared_ptr<Storage> Storage::wrap_read_only(const void* data, size_t bytes, std::shared_ptr<const void> owner) {
  FC_CHECK(owner != nullptr, "Storage::wrap_read_only: an owner handle is required to keep the memory alive");
  auto* p = const_cast<std::byte*>(static_cast<const std::byte*>(data));
  return std::shared_ptr<Storage>(new Storage(p, bytes, std::move(owner)));
}

Storage::~Storage() {
  if (!owner_) std::free(data_);
}

std::byte* Storage::mutable_bytes() {
  FC_CHECK(!read_only(), "Storage: cannot write to read-only (memory-mapped) storage; clone() the tensor first");
  return data_;
}

}  // namespace fc
