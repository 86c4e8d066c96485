#include "dist/gradient_buckets.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/error.h"

namespace fc::dist {

GradientBuckets::GradientBuckets(Communicator& comm, std::vector<Tensor*> parameters, size_t bucket_floats)
    : comm_(comm) {
  FC_CHECK(bucket_floats > 0, "GradientBuckets: bucket size must be positive");
  // Backward reaches the last layers first, so buckets are filled from the end of the list.
  std::reverse(parameters.begin(), parameters.end());
  for (Tensor* p : parameters) {
    if (!p->requires_grad()) continue;
    const size_t n = static_cast<size_t>(p->numel());
    if (buckets_.empty() || (buckets_.back().buffer.size() > 0 && buckets_.back().buffer.size() + n > bucket_floats))
      buckets_.emplace_back();
    Bucket& b = buckets_.back();
    FC_CHECK(slot_of_.emplace(p->impl(), slots_.size()).second, "GradientBuckets: a parameter is listed twice");
    slots_.push_back({p, buckets_.size() - 1, b.buffer.size()});
    b.slots.push_back(slots_.size() - 1);
    b.buffer.resize(b.buffer.size() + n);
  }
}

LeafGradReady GradientBuckets::leaf_ready_hook() {
  return [this](const TensorImpl* leaf) { on_leaf_ready(leaf); };
}

void GradientBuckets::stage(Slot& slot) {
  Bucket& b = buckets_[slot.bucket];
  float* dst = b.buffer.data() + slot.offset;
  const size_t n = static_cast<size_t>(slot.parameter->numel());
  const Tensor& g = slot.parameter->grad();
  if (g.defined()) {
    Tensor c = g.contiguous();
    std::memcpy(dst, c.data(), n * sizeof(float));
  } else {
    std::fill(dst, dst + n, 0.f);
  }
  slot.ready = true;
  ++b.ready;
}

void GradientBuckets::on_leaf_ready(const TensorImpl* leaf) {
  auto it = slot_of_.find(leaf);
  if (it == slot_of_.end()) return;  // a leaf that is not one of the reduced parameters
  Slot& slot = slots_[it->second];
  if (slot.ready) return;
  stage(slot);
  start_complete_buckets();
  // Non-blocking collectives advance only inside MPI calls: poke the ones in flight.
  for (size_t i = 0; i < next_to_start_; ++i)
    if (buckets_[i].pending) buckets_[i].pending->test();
}

void GradientBuckets::start(Bucket& bucket) {
  bucket.pending = comm_.start_sum(bucket.buffer.data(), bucket.buffer.size());
  ++next_to_start_;
}

void GradientBuckets::start_complete_buckets() {
  while (next_to_start_ < buckets_.size() && buckets_[next_to_start_].ready == buckets_[next_to_start_].slots.size()) {
    start(buckets_[next_to_start_]);
    ++started_in_backward_;
  }
}

void GradientBuckets::finish() {
  using Clock = std::chrono::steady_clock;
  const auto begin = Clock::now();
  timing_.started_during_backward = started_in_backward_;
  started_in_backward_ = 0;
  while (next_to_start_ < buckets_.size()) {
    Bucket& b = buckets_[next_to_start_];
    for (size_t s : b.slots)
      if (!slots_[s].ready) stage(slots_[s]);
    start(b);
  }
  const float scale = 1.0f / static_cast<float>(comm_.world_size());
  for (Bucket& b : buckets_) {
    b.pending->wait();
    b.pending.reset();
    for (size_t s : b.slots) {
      Slot& slot = slots_[s];
      const float* sum = b.buffer.data() + slot.offset;
      const size_t n = static_cast<size_t>(slot.parameter->numel());
      const bool had = slot.parameter->grad().defined();
      if (!had && std::all_of(sum, sum + n, [](float v) { return v == 0.f; })) {
        slot.ready = false;
        continue;
      }
      Tensor average = Tensor::empty(slot.parameter->shape());
      float* out = average.mutable_data();
      for (size_t i = 0; i < n; ++i) out[i] = sum[i] * scale;
      slot.parameter->set_grad(average);
      slot.ready = false;
    }
    b.ready = 0;
  }
  timing_.exposed_seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  timing_.floats = 0;
  for (const Bucket& b : buckets_) timing_.floats += b.buffer.size();
  timing_.buckets = static_cast<int>(buckets_.size());
  next_to_start_ = 0;
}

}  // namespace fc::dist
