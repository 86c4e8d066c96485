// Rng: an explicit, seedable, serialisable random stream (xoshiro256**). Nothing in the runtime
// draws random numbers from hidden global state; dropout, initialisers and data augmentation all
// take an Rng&, so a run is reproducible from its seeds and a checkpoint can store state().
//
//   Rng rng(42);
//   float u = rng.uniform();            // [0, 1)
//   Rng worker = rng.split(7);          // independent stream, e.g. per sample or per thread
#pragma once

#include <array>
#include <cstdint>

namespace fc {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);

  uint64_t next_u64();
  float uniform();                   // [0, 1), 24 random bits
  float uniform(float low, float high);
  float normal();                    // standard normal (Box-Muller)
  uint64_t below(uint64_t n);        // uniform integer in [0, n)

  // A new stream derived from this one's seed material and `stream_id`; does not advance *this.
  Rng split(uint64_t stream_id) const;

  using State = std::array<uint64_t, 4>;
  const State& state() const { return state_; }
  void set_state(const State& s) { state_ = s; }

 private:
  State state_;
};

}  // namespace fc
