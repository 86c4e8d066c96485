// Reading index and label tensors (internal to ops/). The runtime computes in float32 only, so
// indices (index_select, gather, embedding) and class labels (cross_entropy) travel as float32
// tensors holding integral values. read_indices turns them into integers, checking every value is
// an integer and inside [0, bound), so no op ever reads or writes out of bounds.
//
//   std::vector<int64_t> idx = read_indices(index, x.size(dim), str_cat("index_select: input ", x.shape()));
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace fc {

// Row-major integer copy of `t`. `context` starts every error message ("op: shapes"); `exempt` is
// a value accepted outside the range (cross_entropy's ignore_index).
inline std::vector<int64_t> read_indices(const Tensor& t, int64_t bound, const std::string& context,
                                         std::optional<int64_t> exempt = std::nullopt) {
  std::vector<float> values = t.to_vector();
  std::vector<int64_t> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const float v = values[i];
    FC_CHECK(std::isfinite(v) && std::floor(v) == v, context, ": value ", v, " at flat position ", i,
             " is not an integer (indices and labels are float32 tensors holding integral values)");
    const auto k = static_cast<int64_t>(v);
    FC_CHECK((k >= 0 && k < bound) || (exempt && k == *exempt), context, ": value ", k, " at flat position ", i,
             " is out of range [0, ", bound, ")");
    out[i] = k;
  }
  return out;
}

}  // namespace fc
