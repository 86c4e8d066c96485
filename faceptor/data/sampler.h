// An endless shuffled stream of dataset indices for one task, sharded over ranks, with a
// position that can be saved and restored (so training resumes on exactly the next sample).
//
//   InfiniteSampler sampler(dataset.size(), /*seed=*/3, /*rank=*/0, /*world_size=*/1);
//   SampleTicket t = sampler.at(k);   // the k-th sample this rank draws: index, epoch, ...
//   Rng aug = t.rng;                  // augmentation stream of that sample
//
// Like the official DistributedGivenIterationSampler (shuffle_strategy 1: every rank shuffles
// the same list with the same seed and takes its own part), but endless: the global stream is
// epoch 0's permutation, then epoch 1's, ..., each a Fisher-Yates shuffle drawn from
// Rng(seed).split(epoch). Rank r of W takes global positions r, r + W, r + 2W, ..., so within
// an epoch the ranks' samples are disjoint. Everything about sample k (its index and its
// augmentation Rng, Rng(seed).split(epoch).split(index)) is a pure function of (seed, k, rank,
// world_size), independent of threads and timing.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/random.h"

namespace fc::faceptor::data {

struct SampleTicket {
  uint64_t position = 0;  // k: this rank's sample counter
  uint64_t epoch = 0;
  size_t index = 0;       // dataset index
  Rng rng;                // the sample's augmentation stream
};

// What a checkpoint stores to resume a loader; save()/load() write it as one JSON object.
struct SamplerState {
  uint64_t seed = 0;
  int rank = 0;
  int world_size = 1;
  uint64_t dataset_size = 0;
  uint64_t position = 0;  // the next sample this rank will deliver

  std::string to_json() const;
  static SamplerState from_json(const std::string& text);  // throws on missing or bad fields
};

class InfiniteSampler {
 public:
  InfiniteSampler(size_t dataset_size, uint64_t seed, int rank = 0, int world_size = 1);
  // Thread-safe; the last epochs' permutations are cached (a lookup is O(1) after the first).
  SampleTicket at(uint64_t position) const;
  // The permutation of one epoch (the global order before sharding).
  std::vector<size_t> epoch_order(uint64_t epoch) const;

  size_t dataset_size() const { return size_; }
  uint64_t seed() const { return seed_; }
  int rank() const { return rank_; }
  int world_size() const { return world_size_; }

 private:
  std::shared_ptr<const std::vector<size_t>> order_of(uint64_t epoch) const;

  size_t size_;
  uint64_t seed_;
  int rank_, world_size_;
  mutable std::mutex cache_mutex_;
  mutable std::vector<std::pair<uint64_t, std::shared_ptr<const std::vector<size_t>>>> cache_;  // at most 2
};

}  // namespace fc::faceptor::data
