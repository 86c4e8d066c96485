// Embedding: a learned table of rows. Faceptor uses the table itself (query_feat, query_embed,
// level_embed are read whole), so `weight` is public; lookup() gathers rows by index.
//
//   Embedding queries(101, 256);     // weight (101, 256)
#pragma once

#include "nn/module.h"

namespace fc {

class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t dim);
  Tensor lookup(const Tensor& indices) const;  // indices (...) integral floats -> (..., dim)
  Tensor weight;                               // (num_embeddings, dim)

 protected:
  void reset_parameters(Rng& rng) override;  // N(0, 1), PyTorch's default
};

}  // namespace fc
