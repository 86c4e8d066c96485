// Pre-packed weights (ops/linear_packed.h, gemm_prepacked_b): the same results as the per-call
// packing path, bit for bit (same kernel, same k blocks, same summation order), on shapes around
// the tile and block edges, both operand layouts, 1 and 2 threads; the cache repacks for another
// tensor, skips writable weights, and Linear uses it only in eval mode without gradients.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/random.h"
#include "core/tensor.h"
#include "nn/linear.h"
#include "ops/kernels/gemm.h"
#include "ops/linear_packed.h"
#include "ops/matmul.h"

using namespace fc;

namespace {

// A tensor on read-only storage, as a model mapped from its file gives.
Tensor read_only_copy(const Tensor& t) {
  auto values = std::make_shared<std::vector<float>>(t.to_vector());
  auto storage = Storage::wrap_read_only(values->data(), values->size() * sizeof(float), values);
  return Tensor::from_storage(storage, t.shape(), Tensor::empty(t.shape()).strides(), 0);
}

}  // namespace

TEST_CASE("gemm_prepacked_b matches gemm bit for bit") {
  Rng rng(5);
  struct Case {
    int64_t m, n, k;
    bool trans_b;
  };
  for (const Case& c : {Case{50, 768, 768, true}, Case{1, 17, 3, true}, Case{7, 33, 300, false},
                        Case{200, 40, 513, true}, Case{151, 2304, 260, false}}) {
    for (int threads : {1, 2}) {
      CAPTURE(c.m);
      CAPTURE(c.n);
      CAPTURE(c.k);
      CAPTURE(threads);
      const int64_t ldb = c.trans_b ? c.k : c.n;
      std::vector<float> a = Tensor::randn({c.m * c.k}, rng).to_vector();
      std::vector<float> b = Tensor::randn({(c.trans_b ? c.n : c.k) * ldb}, rng).to_vector();
      std::vector<float> c0 = Tensor::randn({c.m * c.n}, rng).to_vector(), c1 = c0;
      const GemmConfig config{.trans_b = c.trans_b, .threads = threads};
      gemm(config, c.m, c.n, c.k, 1.f, a.data(), c.k, b.data(), ldb, 1.f, c0.data(), c.n);
      const PackedB packed = gemm_pack_b(c.trans_b, c.k, c.n, b.data(), ldb);
      gemm_prepacked_b({.threads = threads}, c.m, 1.f, a.data(), c.k, packed, 1.f, c1.data(), c.n);
      CHECK(std::memcmp(c0.data(), c1.data(), c0.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("PackedLinearWeight: packs read-only weights once, repacks another tensor, skips writable ones") {
  Rng rng(6);
  Tensor x = Tensor::randn({3, 50, 64}, rng), bias = Tensor::randn({40}, rng);
  Tensor w = read_only_copy(Tensor::randn({40, 64}, rng));
  PackedLinearWeight cache;
  const PackedB p1 = cache.get(w);
  REQUIRE(p1.defined());
  CHECK(cache.get(w).panels == p1.panels);
  CHECK(linear_prepacked(x, p1, bias).to_vector() == linear(x, w, bias).to_vector());
  CHECK(linear_prepacked(x, p1, Tensor()).to_vector() == linear(x, w).to_vector());
  Tensor w2 = read_only_copy(Tensor::randn({40, 64}, rng));
  const PackedB p2 = cache.get(w2);
  CHECK(p2.panels != p1.panels);
  CHECK(linear_prepacked(x, p2, bias).to_vector() == linear(x, w2, bias).to_vector());
  CHECK_FALSE(cache.get(Tensor::randn({40, 64}, rng)).defined());  // writable: may change in place
  CHECK_THROWS_WITH_AS(linear_prepacked(Tensor::randn({2, 63}, rng), p2, bias), doctest::Contains("linear_prepacked"),
                       Error);
}

TEST_CASE("Linear: the packed path in eval mode without gradients equals the plain one") {
  Rng rng(7);
  Linear fc(64, 40);
  fc.initialize(rng);
  fc.weight = read_only_copy(fc.weight);
  Tensor x = Tensor::randn({50, 64}, rng);
  const std::vector<float> expected = linear(x, fc.weight, fc.bias).to_vector();
  fc.eval();
  {
    NoGradGuard no_grad;
    CHECK(fc.forward(x).to_vector() == expected);
    CHECK(fc.forward(x).to_vector() == expected);  // from the cached pack
  }
  fc.train();
  CHECK(fc.forward(x).to_vector() == expected);
}
