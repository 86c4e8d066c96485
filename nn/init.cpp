#include "nn/init.h"

#include <cmath>

#include "core/error.h"

namespace fc {
namespace {

// Parameters are fresh contiguous tensors; a mapped (read-only) one must be cloned first.
float* writable(Tensor& t, const char* op) {
  FC_CHECK(t.is_contiguous(), op, ": parameter ", t.shape(), " is not contiguous");
  return t.mutable_data();
}

}  // namespace

void uniform_(Tensor& t, Rng& rng, float low, float high) {
  float* p = writable(t, "uniform_");
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = rng.uniform(low, high);
}

void normal_(Tensor& t, Rng& rng, float mean, float std) {
  float* p = writable(t, "normal_");
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = mean + std * rng.normal();
}

void fill_(Tensor& t, float value) {
  float* p = writable(t, "fill_");
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = value;
}

void fan_in_uniform_(Tensor& t, Rng& rng, int64_t fan_in) {
  const float bound = fan_in > 0 ? 1.0f / std::sqrt(static_cast<float>(fan_in)) : 0.f;
  uniform_(t, rng, -bound, bound);
}

void xavier_uniform_(Tensor& t, Rng& rng, int64_t fan_in, int64_t fan_out) {
  const float a = std::sqrt(6.0f / static_cast<float>(fan_in + fan_out));
  uniform_(t, rng, -a, a);
}

}  // namespace fc
