// Shared machinery of ops/pool.h: every 2-D pool is a set of rectangular windows, one per output,
// each the product of a row range and a column range of the input plane. Fixed and adaptive
// pools differ only in how they compute the ranges. Internal to ops/.
//
//   PoolWindows win = ...;                       // ranges per output row and column
//   Tensor y = window_max_pool(x, win, "MaxPool2dBackward");
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace fc {

// Ranges per axis: output row oh pools input rows [row_start[oh], row_end[oh]) (clipped to the
// input), and averages divide by row_count[oh] * col_count[ow] (the unclipped window size with
// count_include_pad, the clipped one for adaptive bins).
struct PoolAxis {
  std::vector<int64_t> start, end, count;
  int64_t size() const { return static_cast<int64_t>(start.size()); }
};
struct PoolWindows {
  PoolAxis rows, cols;
};

// x (..., H, W) with 3 or 4 dims -> (..., OH, OW). The result is connected to the graph when x needs a gradient.
Tensor window_max_pool(const Tensor& x, const PoolWindows& win, const char* node_name);
Tensor window_avg_pool(const Tensor& x, const PoolWindows& win, const char* node_name);

// Throws "<op>: x <shape>: expected (N, C, H, W) or (C, H, W)" for other ranks or empty planes.
void check_pool_input(const char* op, const Tensor& x);

}  // namespace fc
