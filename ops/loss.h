// Loss functions with PyTorch's semantics (torch.nn.functional), each with its backward. With
// Reduction::mean or ::sum the result is a 0-dim tensor; with ::none it keeps the per-element
// shape given below.
//
// Class labels are float32 tensors holding integral values (the runtime is float32-only).
// cross_entropy checks every label is an integer in [0, C) or equal to ignore_index and throws
// fc::Error naming the op, the shapes and the bad value otherwise. Labels, targets and weights
// are constants: gradients flow to the first argument only (and to target in l1_loss/mse_loss).
//
//   Tensor loss = fc::cross_entropy(logits, labels);                  // (N, C), (N) -> ()
//   Tensor seg = fc::cross_entropy(masks, label_map, 255);            // (N, C, H, W), (N, H, W) -> ()
//   Tensor kd = fc::kl_div(student_log_probs, teacher_probs, Reduction::batchmean);
//   loss.backward();
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace fc {

// How per-element losses are combined. batchmean (sum / size(0)) only applies to kl_div.
enum class Reduction { none, mean, sum, batchmean };

// logits (N, C) or (N, C, d1, ...), target (N) or (N, d1, ...) -> () or, with none, (N, d1, ...).
// loss = logsumexp(logits[n, :, ...]) - logits[n, target, ...], via a fused, max-shifted
// log-softmax. Positions whose target equals ignore_index contribute 0 and are left out of the
// mean's count; when every target is ignored the mean is NaN (0/0), as in PyTorch, and the
// gradient is all zeros. No class weights or label smoothing.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index = -100,
                     Reduction reduction = Reduction::mean);

// logits (...), target (same shape), weight (broadcastable to it, or undefined) -> () or (...).
// loss = weight * (max(x, 0) - x * t + log(1 + exp(-|x|))), stable for any logit. mean divides
// the weighted sum by the number of elements (PyTorch: not by the sum of weights). No pos_weight.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, const Tensor& weight = {},
                                        Reduction reduction = Reduction::mean);

// input (...) log-probabilities, target (same shape) probabilities -> () or (...).
// loss = target * (log(target) - input), 0 where target == 0 (F.kl_div, log_target=False).
// mean averages over all elements; batchmean divides the sum by size(0), the KL divergence per
// sample. Differentiable with respect to input only.
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);

// input (...), target (same shape) -> () or (...). |input - target|; the gradient is
// sign(input - target), 0 where they are equal (PyTorch). Differentiable w.r.t. both.
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);

// input (...), target (same shape) -> () or (...). (input - target)^2; differentiable w.r.t. both.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);

}  // namespace fc
