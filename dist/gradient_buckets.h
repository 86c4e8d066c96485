// GradientBuckets: synchronous data parallelism's gradient averaging (PyTorch DDP's reducer in
// our words). The parameters are packed, last-registered first (the order backward produces
// their gradients), into buckets of about `bucket_floats` values; as soon as backward has
// produced every gradient of a bucket, the bucket's sum over all processes starts (a
// non-blocking all-reduce), so communication runs while backward computes the earlier layers.
// finish() waits and writes each average into grad().
//
//   GradientBuckets buckets(comm, model.parameters(), 1 << 20);
//   run_backward(loss, Tensor::ones({}), buckets.leaf_ready_hook());
//   buckets.finish();               // every grad() = mean over processes; then clip, step
//
// Buckets start strictly in index order (a full bucket waits for the ones before it), so every
// process issues the same collectives in the same order whatever order its gradients arrive
// in, which MPI requires. Make the buckets after loading weights: they recognise a parameter by
// its tensor, so a parameter whose tensor is replaced afterwards would no longer be found. A parameter that got no gradient this pass contributes zeros; it is
// given the averaged gradient if another process's was non-zero, and keeps none otherwise.
#pragma once

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/autograd.h"
#include "core/tensor.h"
#include "dist/communicator.h"

namespace fc::dist {

struct ReduceTiming {
  double exposed_seconds = 0;  // time finish() waited: communication not hidden behind backward
  size_t floats = 0;           // values summed per step (all buckets)
  int buckets = 0;
  int started_during_backward = 0;  // buckets that began before finish() (the overlapped ones)
};

class GradientBuckets {
 public:
  GradientBuckets(Communicator& comm, std::vector<Tensor*> parameters, size_t bucket_floats = size_t(1) << 20);

  // For run_backward: records a finished gradient and starts every bucket that became complete.
  LeafGradReady leaf_ready_hook();
  // Starts the remaining buckets, waits for all of them (fc::Error on timeout) and replaces each
  // parameter's grad() with the average over processes.
  void finish();

  const ReduceTiming& last_timing() const { return timing_; }
  int bucket_count() const { return static_cast<int>(buckets_.size()); }

 private:
  struct Slot {
    Tensor* parameter;
    size_t bucket, offset;  // where its gradient lives in the bucket's buffer
    bool ready = false;
  };
  struct Bucket {
    std::vector<size_t> slots;
    std::vector<float> buffer;
    size_t ready = 0;
    std::unique_ptr<PendingSum> pending;
  };
  void on_leaf_ready(const TensorImpl* leaf);
  void stage(Slot& slot);
  void start_complete_buckets();
  void start(Bucket& bucket);

  Communicator& comm_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::unordered_map<const TensorImpl*, size_t> slot_of_;
  size_t next_to_start_ = 0;
  int started_in_backward_ = 0;
  ReduceTiming timing_;
};

}  // namespace fc::dist
