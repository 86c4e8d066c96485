// Work splitting for the passes over every parameter (optimizer updates, gradient norm and
// scaling): the model's tensors cut into fixed chunks of about kParamChunk elements, so one
// parallel loop covers the whole model (a thread team per tensor costs more than updating the
// hundreds of small norm weights and biases) and a reduction summed chunk by chunk in order gives
// the same result for any thread count.
//
//   std::vector<ParamChunk> chunks = split_into_chunks({numel0, numel1});
//   #pragma omp parallel for schedule(dynamic, 1)
//   for (size_t c = 0; c < chunks.size(); ++c) work(chunks[c].item, chunks[c].begin, chunks[c].end);
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace fc {

// 64K floats = 256 KiB per tensor touched: big enough that scheduling a chunk costs nothing
// beside streaming it, small enough that a Base model (~100 M parameters) gives every thread
// hundreds of chunks to balance.
constexpr int64_t kParamChunk = int64_t(1) << 16;

struct ParamChunk {
  size_t item;          // index into the sizes passed to split_into_chunks
  int64_t begin, end;   // element range within that item
};

inline std::vector<ParamChunk> split_into_chunks(const std::vector<int64_t>& sizes, int64_t chunk = kParamChunk) {
  std::vector<ParamChunk> out;
  for (size_t i = 0; i < sizes.size(); ++i)
    for (int64_t b = 0; b < sizes[i]; b += chunk) out.push_back({i, b, std::min(sizes[i], b + chunk)});
  return out;
}

}  // namespace fc
