// Initialisers with PyTorch's default rules, drawing from an explicit Rng. They write in place
// into a parameter's storage (outside the graph).
//
//   uniform_(linear.weight, rng, -bound, bound);
#pragma once

#include "core/random.h"
#include "core/tensor.h"

namespace fc {

void uniform_(Tensor& t, Rng& rng, float low, float high);
void normal_(Tensor& t, Rng& rng, float mean, float std);
void fill_(Tensor& t, float value);
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)): what kaiming_uniform_(a = sqrt(5)) reduces to, PyTorch's
// default for Linear and Conv weights and their biases.
void fan_in_uniform_(Tensor& t, Rng& rng, int64_t fan_in);
// U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).
void xavier_uniform_(Tensor& t, Rng& rng, int64_t fan_in, int64_t fan_out);

}  // namespace fc
