// core/buffer_pool.h: large blocks are parked and reused, small ones go to malloc, the cache
// limit and trim() unmap, and Storage's tensors come from the pool.
#include <doctest/doctest.h>

#include <cstring>

#include "core/buffer_pool.h"
#include "core/tensor.h"

using namespace fc;

TEST_CASE("BufferPool parks released large blocks and reuses them for fitting requests") {
  BufferPool pool;
  const size_t big = size_t{5} << 20;  // a huge-page sized block
  void* a = pool.acquire(big);
  REQUIRE(a != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(a) % BufferPool::kAlignment == 0);
  std::memset(a, 1, big);  // the whole request is writable
  pool.release(a, big);
#if !defined(__SANITIZE_ADDRESS__)  // under ASan every block is plain malloc (see buffer_pool.cpp)
  CHECK(pool.stats().parked_bytes >= big);
  void* b = pool.acquire(big - 4096);  // the same size class: reused
  CHECK(b == a);
  CHECK(pool.stats().reuses == 1);
  void* c = pool.acquire(big / 4);  // another class: a fresh map
  CHECK(c != a);
  pool.release(b, big - 4096);
  pool.release(c, big / 4);
  CHECK(pool.stats().fresh_maps == 2);
  // b and c were live at once: parking both stays within the working set's peak, whatever the limit.
  pool.set_cache_limit(big / 2);
  CHECK(pool.stats().live_bytes == 0);
  CHECK(pool.stats().parked_bytes == pool.stats().peak_live_bytes);
  pool.trim();  // forgets the peak
  CHECK(pool.stats().peak_live_bytes == 0);
  // One block live at a time: parking it is within the peak; a larger one of another class then
  // raises live bytes to a new peak, and the parked block is unmapped before the new one is mapped,
  // so live + parked never exceeds the peak by more than the limit.
  void* d = pool.acquire(big);
  pool.release(d, big);
  CHECK(pool.stats().parked_bytes >= big);
  void* e = pool.acquire(2 * big);
  CHECK(pool.stats().parked_bytes == 0);
  CHECK(pool.stats().mapped_bytes <= pool.stats().peak_live_bytes + big / 2);
  pool.release(e, 2 * big);
#endif
  pool.trim();
  CHECK(pool.stats().parked_bytes == 0);
  CHECK(pool.stats().mapped_bytes == 0);

  void* small = pool.acquire(100);  // malloc's business
  CHECK(reinterpret_cast<uintptr_t>(small) % BufferPool::kAlignment == 0);
  pool.release(small, 100);
  CHECK(pool.stats().parked_bytes == 0);
  void* empty = pool.acquire(0);
  CHECK(empty != nullptr);
  pool.release(empty, 0);
}

TEST_CASE("tensors of one shape made one after another reuse a parked block") {
#if !defined(__SANITIZE_ADDRESS__)
  { Tensor t = Tensor::empty({1025, 768}); }  // 3 MiB, like one encoder activation at 512
  const BufferPool::Stats before = BufferPool::process().stats();
  Tensor again = Tensor::empty({1025, 768});
  CHECK(BufferPool::process().stats().reuses == before.reuses + 1);
  CHECK(BufferPool::process().stats().fresh_maps == before.fresh_maps);
#endif
}
