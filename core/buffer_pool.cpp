#include "core/buffer_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>

namespace fc {
namespace {

constexpr size_t kPage = 4096;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kHugeFrom = size_t{4} << 20;  // smaller blocks would waste most of a huge page

size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

// Size classes 1/8 of a power of two apart (at most 12.5% waste; from 4 to 16 MiB whole 2 MiB
// huge pages instead, at most 2 MiB): a request is served only from
// its own class, so the same sequence of shapes every call finds every block it needs parked,
// and a small request never takes the block a larger one of the next layer is about to ask for.
size_t size_class(size_t bytes) {
  const size_t step = std::max(kPage, std::bit_floor(bytes) / 8);
  return round_up(bytes, step >= kHugePage ? step : (bytes >= kHugeFrom ? kHugePage : step));
}

// Anonymous memory of `capacity` bytes; from kHugeFrom up, placed on a 2 MiB boundary (map the
// excess, unmap the ends) and marked for transparent huge pages, which this kernel grants only
// on request (THP "madvise" mode).
void* map_block(size_t capacity) {
  const bool huge = capacity >= kHugeFrom;
  const size_t span = huge ? capacity + kHugePage : capacity;
  void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  if (!huge) return p;
  const auto base = reinterpret_cast<uintptr_t>(p);
  const uintptr_t start = round_up(base, kHugePage);
  if (start > base) munmap(p, start - base);
  if (base + span > start + capacity) munmap(reinterpret_cast<void*>(start + capacity), base + span - start - capacity);
  madvise(reinterpret_cast<void*>(start), capacity, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(start);
}

}  // namespace

BufferPool::~BufferPool() { trim(); }

// Under AddressSanitizer every block comes from malloc and goes back to it, so ASan still sees
// each overflow and use-after-free that a parked, reused block would hide.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPoolLarge = false;
#else
constexpr bool kPoolLarge = true;
#endif

void* BufferPool::acquire(size_t bytes) {
  if (bytes < kLargeBytes || !kPoolLarge) {
    // aligned_alloc wants a multiple of the alignment; a zero-byte request still gets a pointer.
    const size_t capacity = bytes == 0 ? kAlignment : round_up(bytes, kAlignment);
    void* p = std::aligned_alloc(kAlignment, capacity);
    if (!p) throw std::bad_alloc();
    return p;
  }
  const size_t want = size_class(bytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = parked_.find(want);
    if (it != parked_.end()) {
      void* p = it->second;
      live_.emplace(p, it->first);
      stats_.parked_bytes -= it->first;
      stats_.live_bytes += it->first;
      stats_.peak_live_bytes = std::max(stats_.peak_live_bytes, stats_.live_bytes);
      parked_.erase(it);
      ++stats_.reuses;
      return p;
    }
    // Counted live before it is mapped, so parked blocks make room for it first (the bound on
    // live + parked holds while the new block is faulted in).
    stats_.live_bytes += want;
    stats_.peak_live_bytes = std::max(stats_.peak_live_bytes, stats_.live_bytes);
    unmap_parked_above(parked_limit());
  }
  void* p = nullptr;
  try {
    p = map_block(want);  // outside the lock: mapping is the slow part
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.live_bytes -= want;
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  live_.emplace(p, want);
  ++stats_.fresh_maps;
  stats_.mapped_bytes += want;
  return p;
}

void BufferPool::release(void* data, size_t bytes) {
  if (!data) return;
  if (bytes < kLargeBytes || !kPoolLarge) {
    std::free(data);
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(data);
  if (it == live_.end()) std::abort();  // not from this pool: a double release or a stray pointer
  parked_.emplace(it->second, data);
  stats_.parked_bytes += it->second;
  stats_.live_bytes -= it->second;
  live_.erase(it);
  unmap_parked_above(parked_limit());
}

void BufferPool::trim() {
  std::lock_guard<std::mutex> lock(mutex_);
  unmap_parked_above(0);
  stats_.peak_live_bytes = stats_.live_bytes;
}

void BufferPool::set_cache_limit(size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  cache_limit_ = bytes;
  unmap_parked_above(parked_limit());
}

// live <= peak always, so the bound is never negative; classes that peak at different moments
// share the cache limit's slack instead of evicting each other every step.
size_t BufferPool::parked_limit() const {
  return stats_.peak_live_bytes + cache_limit_ - stats_.live_bytes;
}

size_t BufferPool::cache_limit() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cache_limit_;
}

BufferPool::Stats BufferPool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void BufferPool::unmap_parked_above(size_t limit) {
  while (stats_.parked_bytes > limit && !parked_.empty()) {
    auto it = std::prev(parked_.end());
    munmap(it->second, it->first);
    stats_.parked_bytes -= it->first;
    stats_.mapped_bytes -= it->first;
    parked_.erase(it);
  }
}

BufferPool& BufferPool::process() {
  // Never destroyed: tensors in other static objects may be freed after it would have been.
  static BufferPool* pool = new BufferPool();
  return *pool;
}

}  // namespace fc
