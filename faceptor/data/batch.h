// Stacking samples of one task into model inputs and loss targets.
//
//   Batch b = make_batch(samples, InputNormalization::half);   // 112 tasks
//   b.images     (B, 3, S, S), normalised
//   b.attributes (B, 40) with 1 / 0 / -1 (unknown), b.expression (B), b.age (B), b.identity (B)
//   b.parsing    (B, S, S) class per pixel, b.landmarks (B, N, 2) crop pixels
//
// Integer labels travel as float32, as the loss ops take them (ops/integral_index.h). A label
// tensor is defined only when every sample of the batch has that label, and a batch mixing
// samples with and without a label throws (it means the dataset or transform is inconsistent).
#pragma once

#include <string>
#include <vector>

#include "faceptor/data/dataset.h"

namespace fc::faceptor::data {

// 112 tasks: (x - 0.5) / 0.5; 512 tasks: (x - FaRL mean) / FaRL std (see faceptor/preprocess.h).
enum class InputNormalization { half, farl };
// The released recipe's normalisation for an input size (112 -> half, 512 -> farl).
InputNormalization normalization_for_input_size(int size);

struct Batch {
  std::vector<std::string> names;  // Sample::name of each row
  Tensor images;       // (B, 3, S, S)
  Tensor identity;     // (B)
  Tensor age;          // (B)
  Tensor attributes;   // (B, A)
  Tensor expression;   // (B)
  Tensor parsing;      // (B, S, S)
  Tensor landmarks;    // (B, N, 2)
  int64_t size() const { return static_cast<int64_t>(names.size()); }
};

Batch make_batch(const std::vector<Sample>& samples, InputNormalization normalization);

}  // namespace fc::faceptor::data
