#include "nn/embedding.h"

#include "nn/init.h"
#include "ops/index.h"

namespace fc {

Embedding::Embedding(int64_t num_embeddings, int64_t dim) {
  register_parameter("weight", &weight, Tensor::empty({num_embeddings, dim}));
}

Tensor Embedding::lookup(const Tensor& indices) const { return embedding(weight, indices); }

void Embedding::reset_parameters(Rng& rng) { normal_(weight, rng, 0.f, 1.f); }

}  // namespace fc
