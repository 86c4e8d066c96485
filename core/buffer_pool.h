// BufferPool: large buffers (activations, kernel scratch) kept after release and handed out
// again, so a model that runs the same shapes layer after layer and call after call maps and
// page-faults its working memory once, not on every op. (A fresh 4 KiB page costs ~13 us on our
// VMs; one 512x512 encoder pass frees and reallocates ~700 MB of activations.)
//
// Small requests go straight to malloc, which already caches them. Large ones are mmap'd (2 MiB
// aligned with transparent huge pages requested from 4 MiB up, so first touch costs one fault per
// 2 MiB) and, when released, parked in a free list by size class (classes 1/8 of a power of two
// apart); `acquire` reuses a parked block of its class. The parked total follows the working set:
// live + parked may reach the peak of live bytes so far plus the cache limit (256 MiB), so the
// pool keeps what the largest step so far needed at once (a Base training step frees and asks
// again for ~2 GB of activations and gradients; refaulting them cost a fifth of the step), and at
// the peak itself at most the cache limit is parked, as with a fixed cap: parking adds no more to
// the process's peak RSS than it did. A new block that would pass the bound first unmaps parked
// ones (largest first). `trim()` returns everything parked to the OS and forgets the peak.
//
//   BufferPool& pool = BufferPool::process();
//   void* p = pool.acquire(64 << 20);
//   pool.release(p, 64 << 20);                        // parked, not unmapped
//   pool.trim();                                      // now unmapped
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>

namespace fc {

class BufferPool {
 public:
  static constexpr size_t kAlignment = 64;
  static constexpr size_t kLargeBytes = size_t{256} << 10;  // below this: malloc

  struct Stats {
    size_t parked_bytes = 0;    // released, kept for reuse
    size_t mapped_bytes = 0;    // every large block alive or parked
    size_t live_bytes = 0;      // large blocks handed out and not yet released
    size_t peak_live_bytes = 0; // the most live_bytes since construction or the last trim()
    int64_t reuses = 0;         // large requests served from the free list
    int64_t fresh_maps = 0;     // large requests that had to map new memory
  };

  BufferPool() = default;
  ~BufferPool();  // unmaps what is parked; live blocks must have been released
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  void* acquire(size_t bytes);  // 64-byte aligned, uninitialised (a reused block holds old data)
  void release(void* data, size_t bytes);  // bytes: as given to acquire
  void trim();                         // unmaps every parked block; the peak restarts from live_bytes
  // Parked bytes above peak_live_bytes + bytes - live_bytes are unmapped (largest first).
  void set_cache_limit(size_t bytes);
  size_t cache_limit() const;
  Stats stats() const;

  // The pool behind Storage::allocate. Process-wide for the reason malloc's arenas are: a tensor's
  // storage is freed wherever its last reference drops, with no context to name an owner, and one
  // shared free list is what lets layer k+1 reuse layer k's buffers. Thread-safe.
  static BufferPool& process();

 private:
  void unmap_parked_above(size_t limit);  // mutex held
  size_t parked_limit() const;            // mutex held

  mutable std::mutex mutex_;
  std::multimap<size_t, void*> parked_;          // capacity -> block
  std::unordered_map<void*, size_t> live_;       // large blocks handed out -> capacity
  size_t cache_limit_ = size_t{256} << 20;  // what parking may add to the peak RSS
  Stats stats_;
};

}  // namespace fc
