#include "faceptor/data/sampler.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace fc::faceptor::data {

// Streams under Rng(seed).split(epoch): the permutation uses the last id, which no dataset
// index reaches; sample i uses id i.
constexpr uint64_t kPermutationStream = ~uint64_t{0};

InfiniteSampler::InfiniteSampler(size_t dataset_size, uint64_t seed, int rank, int world_size)
    : size_(dataset_size), seed_(seed), rank_(rank), world_size_(world_size) {
  FC_CHECK(dataset_size > 0, "InfiniteSampler: empty dataset");
  FC_CHECK(world_size >= 1 && rank >= 0 && rank < world_size, "InfiniteSampler: rank ", rank, " outside world size ",
           world_size);
}

std::vector<size_t> InfiniteSampler::epoch_order(uint64_t epoch) const {
  std::vector<size_t> order(size_);
  for (size_t i = 0; i < size_; ++i) order[i] = i;
  Rng rng = Rng(seed_).split(epoch).split(kPermutationStream);
  for (size_t i = size_ - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  return order;
}

std::shared_ptr<const std::vector<size_t>> InfiniteSampler::order_of(uint64_t epoch) const {
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    for (const auto& [e, order] : cache_)
      if (e == epoch) return order;
  }
  // Computed outside the lock; two threads may both compute an epoch, with the same result.
  auto order = std::make_shared<const std::vector<size_t>>(epoch_order(epoch));
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (cache_.size() >= 2) cache_.erase(cache_.begin());
  cache_.emplace_back(epoch, order);
  return order;
}

SampleTicket InfiniteSampler::at(uint64_t position) const {
  uint64_t global = position * static_cast<uint64_t>(world_size_) + static_cast<uint64_t>(rank_);
  SampleTicket t;
  t.position = position;
  t.epoch = global / size_;
  t.index = (*order_of(t.epoch))[global % size_];
  t.rng = Rng(seed_).split(t.epoch).split(t.index);
  return t;
}

std::string SamplerState::to_json() const {
  nlohmann::json j = {{"seed", seed}, {"rank", rank}, {"world_size", world_size}, {"dataset_size", dataset_size},
                      {"position", position}};
  return j.dump();
}

SamplerState SamplerState::from_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
    SamplerState s;
    s.seed = j.at("seed").get<uint64_t>();
    s.rank = j.at("rank").get<int>();
    s.world_size = j.at("world_size").get<int>();
    s.dataset_size = j.at("dataset_size").get<uint64_t>();
    s.position = j.at("position").get<uint64_t>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(str_cat("SamplerState::from_json: ", e.what()));
  }
}

}  // namespace fc::faceptor::data
