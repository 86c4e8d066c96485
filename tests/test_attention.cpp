#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/autograd.h"
#include "core/error.h"
#include "core/random.h"
#include "ops/attention.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "ops/kernels/attention_kernel.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"

using namespace fc;
using namespace fc::test;

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

AttentionOptions with_mask(const Tensor& mask, std::optional<float> scale = {}) {
  AttentionOptions o;
  o.mask = mask;
  o.scale = scale;
  return o;
}

}  // namespace

FC_OP_CASE(attention_self_small,
           {.op = "scaled_dot_product_attention",
            .group = "attention",
            .name = "attention_self_small",
            .fn = [](const Inputs& x) { return scaled_dot_product_attention(x[0], x[1], x[2]); }});
FC_OP_CASE(attention_cross, {.op = "scaled_dot_product_attention",
                             .group = "attention",
                             .name = "attention_cross",
                             .fn = [](const Inputs& x) { return scaled_dot_product_attention(x[0], x[1], x[2]); }});
FC_OP_CASE(attention_key_padding, {.op = "scaled_dot_product_attention",
                                   .group = "attention",
                                   .name = "attention_key_padding",
                                   .fn = [](const Inputs& x) {
                                     return scaled_dot_product_attention(x[0], x[1], x[2], with_mask(x[3], 0.3f));
                                   }});
FC_OP_CASE(attention_mask_2d,
           {.op = "scaled_dot_product_attention",
            .group = "attention",
            .name = "attention_mask_2d",
            .fn = [](const Inputs& x) { return scaled_dot_product_attention(x[0], x[1], x[2], with_mask(x[3])); }});
// 70 rows cross the 64-key tile and the query tiles; sums of 70 products of 64-term dot products
// carry float32 rounding of a few 1e-6, hence atol 3e-5 on the gradients.
FC_OP_CASE(attention_odd_tiles, {.op = "scaled_dot_product_attention",
                                 .group = "attention",
                                 .name = "attention_odd_tiles",
                                 .fn = [](const Inputs& x) { return scaled_dot_product_attention(x[0], x[1], x[2]); },
                                 .backward_tol = {3e-5, 1e-4}});
FC_OP_CASE(attention_permuted_qkv, {.op = "scaled_dot_product_attention",
                                    .group = "attention",
                                    .name = "attention_permuted_qkv",
                                    .fn = [](const Inputs& x) {
                                      const int64_t B = 2, N = 11, H = 3, D = 16;
                                      Tensor qkv5 = x[0].view({B, N, 3, H, D}).permute({2, 0, 3, 1, 4});
                                      Tensor out = scaled_dot_product_attention(qkv5.select(0, 0), qkv5.select(0, 1),
                                                                                qkv5.select(0, 2));
                                      return out.transpose(1, 2).reshape({B, N, H * D});
                                    }});

// The packed op: same fixtures as the head views above (its gradient is one (B, N, 3*H*D) tensor).
FC_OP_CASE(attention_packed_qkv, {.op = "self_attention_packed",
                                  .group = "attention",
                                  .name = "attention_permuted_qkv",
                                  .fn = [](const Inputs& x) {
                                    Tensor out = self_attention_packed(x[0], 3).out;
                                    return out.transpose(1, 2).reshape({2, 11, 3 * 16});
                                  }});
FC_OP_CASE(attention_packed_mask, {.op = "self_attention_packed",
                                   .group = "attention",
                                   .name = "attention_packed_mask",
                                   .fn = [](const Inputs& x) {
                                     Tensor out = self_attention_packed(x[0], 2, with_mask(x[1])).out;
                                     return out.transpose(1, 2).reshape({2, 67, 2 * 4});
                                   }});

TEST_CASE("attention: packed qkv matches the three head views, fused and reference, with probs") {
  Rng rng(5);
  const int64_t B = 2, N = 9, H = 2, D = 8;
  for (bool reference : {false, true}) {
    Tensor qkv = Tensor::randn({B, N, 3 * H * D}, rng).set_requires_grad(true);
    Tensor qkv2 = qkv.detach().clone().set_requires_grad(true);
    AttentionOptions o;
    o.force_reference = reference;
    AttentionResult packed = self_attention_packed(qkv, H, o, true);
    Tensor qkv5 = qkv2.view({B, N, 3, H, D}).permute({2, 0, 3, 1, 4});
    AttentionResult views = attention_with_probs(qkv5.select(0, 0), qkv5.select(0, 1), qkv5.select(0, 2), o);
    check_close(packed.out, views.out, {1e-6, 1e-6}, "out");
    check_close(packed.probs, views.probs, {1e-6, 1e-6}, "probs");
    Tensor w = Tensor::randn({B, H, N, D}, rng);
    sum(packed.out * w).backward();
    sum(views.out * w).backward();
    check_close(qkv.grad(), qkv2.grad(), {1e-6, 1e-6}, "grad");
  }
  CHECK_THROWS_WITH_AS(self_attention_packed(Tensor::zeros({2, 5, 10}), 3), doctest::Contains("(B, L, 3*H*D)"),
                       Error);
}

TEST_CASE("attention: head-averaged probabilities match PyTorch and sum to 1") {
  const Fixture& fx = load_fixture("attention");
  const std::string c = "attention_key_padding";
  for (bool reference : {false, true}) {
    AttentionOptions o = with_mask(fx.get(c + "/in3"), 0.3f);
    o.force_reference = reference;
    AttentionResult r = attention_with_probs(fx.get(c + "/in0"), fx.get(c + "/in1"), fx.get(c + "/in2"), o);
    check_close(r.probs, fx.get(c + "/probs"), {1e-6, 1e-5}, reference ? "reference probs" : "fused probs");
    check_close(r.out, fx.get(c + "/out"), {1e-5, 1e-4}, "out beside probs");
    CHECK_FALSE(r.probs.requires_grad());
    const int64_t B = r.probs.size(0), Q = r.probs.size(1), K = r.probs.size(2);
    std::vector<float> p = r.probs.to_vector();
    for (int64_t row = 0; row < B * Q; ++row) {
      double sum = 0;
      for (int64_t j = 0; j < K; ++j) sum += p[row * K + j];
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-6));
    }
    // Batch 1 masks keys 5.. with -inf: exactly zero probability there.
    for (int64_t i = 0; i < Q; ++i)
      for (int64_t j = 5; j < K; ++j) CHECK(p[(Q + i) * K + j] == 0.f);
  }
}

TEST_CASE("attention: fused kernels match the naive reference on larger shapes") {
  const bool small = std::getenv("FC_TEST_SMALL") != nullptr;
  struct Shape4 {
    int64_t B, H, Q, K, D;
  };
  // D = 64 reads operands in place; D = 40 takes the padded-copy path. 257 crosses every tile.
  const int64_t L = small ? 77 : 257;
  for (Shape4 s : {Shape4{1, 2, L, L, 64}, Shape4{2, 2, L / 2, L, 40}}) {
    CAPTURE(s.Q);
    CAPTURE(s.D);
    Rng rng(7);
    // q, k, v as views of one (B, L, 3, H, D) buffer, like the model's qkv projection.
    Tensor qkv = Tensor::randn({s.B, s.K, 3, s.H, s.D}, rng).permute({2, 0, 3, 1, 4});
    Tensor q = qkv.select(0, 0).narrow(2, 0, s.Q).detach().set_requires_grad(true);
    Tensor k = qkv.select(0, 1).detach().set_requires_grad(true);
    Tensor v = qkv.select(0, 2).detach().set_requires_grad(true);
    Tensor mask = Tensor::randn({s.B, 1, s.Q, s.K}, rng);
    float* m = mask.mutable_data();
    for (int64_t i = 0; i < mask.numel(); i += 7) m[i] = kNegInf;
    Tensor grad = Tensor::randn({s.B, s.H, s.Q, s.D}, rng);

    // Masked runs take the row-major forward, unmasked ones the query-lanes forward.
    for (bool masked : {true, false}) {
      CAPTURE(masked);
      std::vector<Tensor> results[2];
      for (int reference = 0; reference < 2; ++reference) {
        AttentionOptions o = masked ? with_mask(mask) : AttentionOptions{};
        o.force_reference = reference;
        AttentionResult r = attention_with_probs(q, k, v, o);
        r.out.backward(grad);
        results[reference] = {r.out, r.probs, q.grad(), k.grad(), v.grad()};
        q.zero_grad();
        k.zero_grad();
        v.zero_grad();
      }
      const char* what[] = {"out", "probs", "dq", "dk", "dv"};
      for (int i = 0; i < 5; ++i) check_close(results[0][i], results[1][i], {2e-5, 1e-4}, what[i]);
    }
  }
}

TEST_CASE("attention: a fully masked query row gives 0 output, 0 probabilities and 0 gradients") {
  Rng rng(3);
  Tensor q = Tensor::randn({1, 2, 4, 8}, rng).set_requires_grad(true);
  Tensor k = Tensor::randn({1, 2, 6, 8}, rng).set_requires_grad(true);
  Tensor v = Tensor::randn({1, 2, 6, 8}, rng).set_requires_grad(true);
  Tensor mask = Tensor::zeros({4, 6});
  for (int64_t j = 0; j < 6; ++j) mask.mutable_data()[2 * 6 + j] = kNegInf;  // query 2 sees nothing
  for (bool reference : {false, true}) {
    AttentionOptions o = with_mask(mask);
    o.force_reference = reference;
    AttentionResult r = attention_with_probs(q, k, v, o);
    r.out.backward(Tensor::ones(r.out.shape()));
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t d = 0; d < 8; ++d) CHECK(r.out.at({0, h, 2, d}) == 0.f);
    for (int64_t j = 0; j < 6; ++j) CHECK(r.probs.at({0, 2, j}) == 0.f);
    for (const Tensor& g : {q.grad(), k.grad(), v.grad()})
      for (float x : g.to_vector()) CHECK(std::isfinite(x));
    for (int64_t d = 0; d < 8; ++d) CHECK(q.grad().at({0, 1, 2, d}) == 0.f);
    q.zero_grad();
    k.zero_grad();
    v.zero_grad();
  }
}

TEST_CASE("attention: output is a (B, Q, H, D) buffer seen as (B, H, Q, D); threads do not change results") {
  Rng rng(5);
  Tensor q = Tensor::randn({2, 3, 33, 16}, rng), k = Tensor::randn({2, 3, 40, 16}, rng);
  Tensor v = Tensor::randn({2, 3, 40, 16}, rng);
  AttentionOptions one;
  one.threads = 1;
  AttentionOptions two;
  two.threads = 2;
  Tensor a = scaled_dot_product_attention(q, k, v, one), b = scaled_dot_product_attention(q, k, v, two);
  CHECK(a.shape() == Shape{2, 3, 33, 16});
  CHECK(a.transpose(1, 2).is_contiguous());
  CHECK(a.to_vector() == b.to_vector());
}

TEST_CASE("attention: bad shapes name the op and the shapes") {
  Tensor q = Tensor::zeros({1, 2, 3, 4}), k = Tensor::zeros({1, 2, 5, 4});
  CHECK_THROWS_WITH_AS(scaled_dot_product_attention(q, k, Tensor::zeros({1, 2, 6, 4})),
                       "scaled_dot_product_attention: k (1,2,5,4) and v (1,2,6,4) differ in shape", Error);
  CHECK_THROWS_WITH_AS(scaled_dot_product_attention(q, Tensor::zeros({1, 2, 5, 8}), Tensor::zeros({1, 2, 5, 8})),
                       "scaled_dot_product_attention: q (1,2,3,4), k (1,2,5,8): batch, heads and head dim must match",
                       Error);
  CHECK_THROWS_WITH_AS(
      scaled_dot_product_attention(q.select(0, 0), k, k),
      "scaled_dot_product_attention: q (2,3,4), k (1,2,5,4), v (1,2,5,4): expected (B, H, L, D) tensors", Error);
  CHECK_THROWS_WITH_AS(scaled_dot_product_attention(q, k, k, with_mask(Tensor::zeros({4, 5}))),
                       "scaled_dot_product_attention: mask (4,5) does not broadcast to (B, H, Q, K) = (1,2,3,5)",
                       Error);
}

TEST_CASE("attention: every instruction-set variant of the fused kernels matches the naive reference") {
  using Forward = void (*)(const AttentionArgs&, Heads, float*, float*);
  using Backward = void (*)(const AttentionArgs&, ConstHeads, ConstHeads, const float*, Heads, Heads, Heads);
  struct Variant {
    const char* name;
    Forward forward;
    Backward backward;
  };
  std::vector<Variant> variants = {{"avx2", attention_forward_avx2, attention_backward_avx2}};
  if (attention_avx512_supported())
    variants.push_back({"avx512", attention_forward_avx512, attention_backward_avx512});
  else
    MESSAGE("this CPU has no AVX-512: only the AVX2 variant is checked here");

  const int64_t B = 2, H = 3, Q = 37, K = 70;
  for (int64_t D : {8, 20, 64}) {
    CAPTURE(D);
    Rng rng(11);
    Tensor q = Tensor::randn({B, H, Q, D}, rng), k = Tensor::randn({B, H, K, D}, rng);
    Tensor v = Tensor::randn({B, H, K, D}, rng), grad = Tensor::randn({B, H, Q, D}, rng);
    Tensor mask = Tensor::randn({B, 1, 1, K}, rng);
    for (int64_t j = 0; j < K; j += 5) mask.mutable_data()[j] = kNegInf;
    Tensor expanded = mask.expand({B, H, Q, K});
    AttentionArgs a;
    a.batch = B, a.heads = H, a.queries = Q, a.keys = K, a.head_dim = D, a.scale = 0.2f, a.threads = 2;
    a.q = {q.data(), q.stride(0), q.stride(1), q.stride(2)};
    a.k = {k.data(), k.stride(0), k.stride(1), k.stride(2)};
    a.v = {v.data(), v.stride(0), v.stride(1), v.stride(2)};
    auto heads = [](Tensor& t) { return Heads{t.mutable_data(), t.stride(0), t.stride(1), t.stride(2)}; };
    auto cheads = [](const Tensor& t) { return ConstHeads{t.data(), t.stride(0), t.stride(1), t.stride(2)}; };
    auto run = [&](Forward forward, Backward backward) {
      Tensor out = Tensor::empty({B, H, Q, D}), lse = Tensor::empty({B, H, Q}), probs = Tensor::empty({B, Q, K});
      Tensor dq = Tensor::empty({B, H, Q, D}), dk = Tensor::empty({B, H, K, D}), dv = Tensor::empty({B, H, K, D});
      forward(a, heads(out), lse.mutable_data(), probs.mutable_data());
      backward(a, cheads(out), cheads(grad), lse.data(), heads(dq), heads(dk), heads(dv));
      return std::vector<Tensor>{out, lse, probs, dq, dk, dv};
    };
    for (bool masked : {true, false}) {  // unmasked: the query-lanes forward
      CAPTURE(masked);
      a.mask = masked ? MaskView{expanded.data(), expanded.stride(0), expanded.stride(1), expanded.stride(2),
                                 expanded.stride(3)}
                      : MaskView{};
      std::vector<Tensor> expected = run(attention_forward_reference, attention_backward_reference);
      for (const Variant& variant : variants) {
        std::vector<Tensor> got = run(variant.forward, variant.backward);
        const char* what[] = {"out", "lse", "probs", "dq", "dk", "dv"};
        for (int i = 0; i < 6; ++i)
          check_close(got[i], expected[i], {2e-5, 1e-4}, std::string(variant.name) + " " + what[i]);
      }
    }
  }
}

TEST_CASE("attention: a mask broadcast over keys (stride 0) shifts every score of a row alike") {
  Rng rng(9);
  Tensor q = Tensor::randn({1, 2, 5, 16}, rng), k = Tensor::randn({1, 2, 70, 16}, rng);
  Tensor v = Tensor::randn({1, 2, 70, 16}, rng);
  Tensor row_bias = Tensor::randn({5, 1}, rng);  // (Q, 1): softmax is shift-invariant per row
  check_close(scaled_dot_product_attention(q, k, v, with_mask(row_bias)), scaled_dot_product_attention(q, k, v),
              {1e-6, 1e-5}, "row-constant mask");
}

// The packed K, dense V and query tiles come from the process BufferPool and hold the previous
// call's numbers: a call in between with other sizes must not change a result.
TEST_CASE("attention: reused scratch buffers do not leak between calls") {
  Rng rng(11);
  Tensor qkv = Tensor::randn({1, 300, 3, 4, 64}, rng).permute({2, 0, 3, 1, 4});
  Tensor q = qkv.select(0, 0), k = qkv.select(0, 1), v = qkv.select(0, 2);
  Tensor other = Tensor::randn({2, 3, 70, 40}, rng);
  NoGradGuard no_grad;
  const std::vector<float> first = scaled_dot_product_attention(q, k, v).to_vector();
  scaled_dot_product_attention(other, other, other);
  CHECK(scaled_dot_product_attention(q, k, v).to_vector() == first);
}
