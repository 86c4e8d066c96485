#include "faceptor/data/loader.h"

#include <exception>

#include "core/error.h"

namespace fc::faceptor::data {

LoaderOptions resume_options(LoaderOptions options, const SamplerState& state, size_t dataset_size) {
  FC_CHECK(state.seed == options.seed && state.rank == options.rank && state.world_size == options.world_size &&
               state.dataset_size == dataset_size,
           "resume_options(", options.task, "): saved state is for seed ", state.seed, ", rank ", state.rank, "/",
           state.world_size, ", ", state.dataset_size, " samples; this loader has seed ", options.seed, ", rank ",
           options.rank, "/", options.world_size, ", ", dataset_size, " samples");
  options.start_position = state.position;
  return options;
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options)
    : DataLoader(*dataset, std::move(options)) {
  owned_ = std::move(dataset);
}

DataLoader::DataLoader(const Dataset& dataset, LoaderOptions options)
    : dataset_(&dataset),
      options_(std::move(options)),
      sampler_(dataset.size(), options_.seed, options_.rank, options_.world_size) {
  FC_CHECK(options_.batch_size >= 1, "DataLoader(", options_.task, "): batch_size must be >= 1, got ",
           options_.batch_size);
  FC_CHECK(options_.workers >= 0, "DataLoader(", options_.task, "): workers must be >= 0, got ", options_.workers);
  FC_CHECK(options_.prefetch_batches >= 1, "DataLoader(", options_.task, "): prefetch_batches must be >= 1, got ",
           options_.prefetch_batches);
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& t : workers_) t.join();
}

DataLoader::Slot DataLoader::build(uint64_t batch_number) const {
  Slot slot;
  std::vector<Sample> samples;
  uint64_t first = options_.start_position + batch_number * static_cast<uint64_t>(options_.batch_size);
  for (int i = 0; i < options_.batch_size; ++i) {
    SampleTicket t = sampler_.at(first + static_cast<uint64_t>(i));
    try {
      samples.push_back(dataset_->get(t.index, t.rng));
    } catch (const std::exception& e) {
      slot.error = str_cat("DataLoader(", options_.task, "): sample ", dataset_->describe(t.index), " (dataset index ",
                           t.index, ", epoch ", t.epoch, ", position ", t.position, "): ", e.what());
      return slot;
    } catch (...) {
      slot.error = str_cat("DataLoader(", options_.task, "): sample ", dataset_->describe(t.index), " (dataset index ",
                           t.index, "): unknown exception");
      return slot;
    }
  }
  try {
    slot.batch = make_batch(samples, options_.normalization);
  } catch (const std::exception& e) {
    slot.error = str_cat("DataLoader(", options_.task, "): batch at position ", first, ": ", e.what());
  }
  return slot;
}

void DataLoader::worker_loop() {
  for (;;) {
    uint64_t number;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] {
        return stopping_ || next_to_build_ < next_to_deliver_ + static_cast<uint64_t>(options_.prefetch_batches);
      });
      if (stopping_) return;
      number = next_to_build_++;
    }
    Slot slot = build(number);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(number, std::move(slot));
    }
    changed_.notify_all();
  }
}

Batch DataLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (workers_.empty() && !ready_.count(next_to_deliver_)) {
    lock.unlock();
    Slot slot = build(next_to_deliver_);
    lock.lock();
    ready_.emplace(next_to_deliver_, std::move(slot));
  }
  changed_.wait(lock, [&] { return ready_.count(next_to_deliver_) != 0; });
  auto it = ready_.find(next_to_deliver_);
  if (!it->second.error.empty()) throw Error(it->second.error);  // the slot stays: later calls throw too
  Batch batch = std::move(it->second.batch);
  ready_.erase(it);
  ++next_to_deliver_;
  lock.unlock();
  changed_.notify_all();
  return batch;
}

SamplerState DataLoader::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {options_.seed, options_.rank, options_.world_size, static_cast<uint64_t>(dataset_->size()),
          options_.start_position + next_to_deliver_ * static_cast<uint64_t>(options_.batch_size)};
}

}  // namespace fc::faceptor::data
