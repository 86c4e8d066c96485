// Dropout and stochastic depth (drop path): random regularisers active only in training. Both
// draw from an explicit Rng (core/random.h), so a seed reproduces the mask; they cannot match
// PyTorch's RNG, so their tests check statistics and mask/gradient consistency instead.
//
//   Rng rng(seed);
//   Tensor h = fc::dropout(x, 0.1f, training, rng);        // x (...) -> (...)
//   Tensor y = x + fc::drop_path(branch, 0.1f, training, rng);
#pragma once

#include "core/tensor.h"

namespace fc {

class Rng;

// x (...) -> (...). Inverted dropout: each element is kept with probability 1 - p and scaled by
// 1 / (1 - p), so the expectation is unchanged and eval needs no rescaling. Returns x itself
// when !training or p == 0 (no Rng draws then); p == 1 gives zeros. The mask (0 or 1 / (1 - p)
// per element, drawn in row-major order) is saved for backward: grad_x = grad * mask.
Tensor dropout(const Tensor& x, float p, bool training, Rng& rng);

// x (D0, ...) -> (D0, ...). Stochastic depth (timm's drop_path): one Bernoulli(1 - p) draw per
// index of dim 0 keeps or zeroes that whole slice, kept slices are scaled by 1 / (1 - p) (p == 1
// gives zeros, as timm does not divide by a zero keep probability). Returns x when !training or
// p == 0. timm drops per sample with batch-first (B, N, C) tensors; the official Faceptor
// training applies it to sequence-first (N, B, C) tensors, so its mask is really per token, and
// passing such an (N, B, C) tensor here reproduces that behaviour.
Tensor drop_path(const Tensor& x, float p, bool training, Rng& rng);

}  // namespace fc
