// Inference Linear with the weight packed once: a frozen weight (O, I) is laid out in the GEMM's
// panel format on first use and read in place by every later call, instead of being transposed and
// packed per call (for the 112 pass's 50-token products that packing cost ~30% of the pass).
//
//   PackedLinearWeight cache;                     // one per weight, e.g. a member of Linear
//   PackedB w = cache.get(weight);                // packs on first use; undefined if not cacheable
//   Tensor y = w.defined() ? linear_prepacked(x, w, bias) : linear(x, weight, bias);
//
// Only weights on read-only storage (a model mapped from its file) are cached: their contents
// cannot change in place, so "the same tensor as last time" means "the same values", and a
// different tensor (load_state, a trained copy) repacks. When the storage is a file mapping, the
// weight's own pages are released after packing, so the pack replaces them in the RSS instead of
// adding to it; a later read of the weight (saving, training) faults them back from the file.
#pragma once

#include <mutex>

#include "core/tensor.h"
#include "ops/kernels/gemm.h"

namespace fc {

class PackedLinearWeight {
 public:
  // weight (O, I) -> weight^T packed (I, O), or undefined when the weight is writable.
  PackedB get(const Tensor& weight);
  void clear();  // drops the pack (e.g. entering training mode)

 private:
  std::mutex mutex_;  // a module's forward is const and may run on several threads
  Tensor source_;     // the weight packed from; holding it keeps its storage (the cache key) alive
  PackedB packed_;
};

// x (..., I), weight^T packed (I, O), bias (O) or undefined -> (..., O). Forward only: no autograd
// graph is recorded (callers use it when no gradient is needed). Equal to linear(x, weight, bias).
Tensor linear_prepacked(const Tensor& x, const PackedB& weight_t, const Tensor& bias);

}  // namespace fc
