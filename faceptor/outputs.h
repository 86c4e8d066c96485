// From raw head outputs to what a user reads: expected age, probabilities, parsing labels,
// landmark points. Each rule follows the official post-processing (heads/task_specific_heads.py
// ParsingOutput/AlignOutput, geometry.py heatmap2points, the age evaluator's expectation).
//
//   AgeEstimate a = age_from_logits(raw);           // a.distribution (B, 101), a.age (B)
//   Tensor p = landmarks_from_heatmaps(raw);         // (B, P, 2) in [0, 1], x then y
#pragma once

#include "core/tensor.h"

namespace fc::faceptor {

struct AgeEstimate {
  Tensor distribution;  // (B, bins): sigmoid, then L1-normalised over the bins
  Tensor age;           // (B): sum_i distribution_i * i
};
// logits (B, bins)
AgeEstimate age_from_logits(const Tensor& logits);

// logits (B, K) -> independent sigmoid probabilities (attributes)
Tensor attribute_probabilities(const Tensor& logits);
// logits (B, K) -> softmax over K (expression)
Tensor expression_probabilities(const Tensor& logits);

// heatmap logits (B, P, H, W) -> sigmoid -> weighted mean position over the whole map (pixel
// centres 0..W-1), normalised as (x + 0.5) / W, (y + 0.5) / H. -> (B, P, 2), x then y.
Tensor landmarks_from_heatmaps(const Tensor& heatmap_logits);

// logits (B, K, h, w) -> bilinear (align_corners=false) to (out_h, out_w) -> (B, K, out_h, out_w)
Tensor parsing_logits_resized(const Tensor& logits, int64_t out_h, int64_t out_w);
// logits (B, K, H, W) -> class index per pixel (B, H, W), as floats
Tensor parsing_labels(const Tensor& logits);

}  // namespace fc::faceptor
