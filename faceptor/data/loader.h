// DataLoader: batches of one task, made by background worker threads ahead of the training loop.
//
//   LoaderOptions opt;
//   opt.batch_size = 32; opt.workers = 3; opt.seed = 1; opt.task = "biattr_celeba";
//   DataLoader loader(train_set, opt);                 // train_set: a Dataset (transform included)
//   Batch b = loader.next();                           // blocks until batch 0 is ready
//   std::string saved = loader.state().to_json();      // into the checkpoint
//   ...
//   DataLoader resumed(train_set, resume_options(opt, SamplerState::from_json(saved)));
//
// Determinism: batch j holds this rank's samples start + j*B .. start + (j+1)*B - 1 of the
// InfiniteSampler (sampler.h), and each sample's augmentation Rng is a function of (seed,
// epoch, index); workers build whole batches and the consumer takes them in order, so the
// batches do not depend on the number of workers or on timing. At most `prefetch_batches`
// batches wait ahead of the consumer (the bounded queue). A worker's exception reaches the
// consumer: next() throws fc::Error naming the task, the sample's file, its dataset index and
// the original message (and keeps throwing it on later calls). The destructor stops and joins
// the workers (after each finishes the batch it is on).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "faceptor/data/batch.h"
#include "faceptor/data/dataset.h"
#include "faceptor/data/sampler.h"

namespace fc::faceptor::data {

struct LoaderOptions {
  std::string task = "task";  // for error messages
  int batch_size = 32;
  int workers = 2;            // 0: batches are made in the calling thread, inside next()
  int prefetch_batches = 4;   // queue bound (>= 1)
  uint64_t seed = 0;
  int rank = 0;
  int world_size = 1;
  uint64_t start_position = 0;  // samples of this rank already consumed (resume)
  InputNormalization normalization = InputNormalization::half;
};

// `options` with start_position taken from `state`; throws if the state was saved for a
// different seed, rank, world size or dataset size (resuming would silently change the data).
LoaderOptions resume_options(LoaderOptions options, const SamplerState& state, size_t dataset_size);

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options);
  DataLoader(const Dataset& dataset, LoaderOptions options);  // `dataset` must outlive the loader
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  Batch next();
  // The position after the batches next() has returned so far.
  SamplerState state() const;
  const InfiniteSampler& sampler() const { return sampler_; }

 private:
  struct Slot {
    Batch batch;
    std::string error;  // non-empty: building the batch failed
  };
  Slot build(uint64_t batch_number) const;
  void worker_loop();

  std::shared_ptr<const Dataset> owned_;
  const Dataset* dataset_;
  LoaderOptions options_;
  InfiniteSampler sampler_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t next_to_build_ = 0;
  uint64_t next_to_deliver_ = 0;
  std::map<uint64_t, Slot> ready_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace fc::faceptor::data
