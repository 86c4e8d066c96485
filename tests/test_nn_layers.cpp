// nn/ layers against torch.nn modules with the same weights (tests/reference/op_fixtures_nn.py).
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "nn/linear.h"
#include "nn/multihead_attention.h"
#include "ops/elementwise.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"

using namespace fc;
using namespace fc::test;

namespace {

std::map<std::string, Tensor> params(const Fixture& fx, const std::string& prefix) {
  std::map<std::string, Tensor> out;
  const std::string p = prefix + "/param/";
  for (const auto& name : fx.names())
    if (name.rfind(p, 0) == 0) out[name.substr(p.size())] = fx.get(name);
  return out;
}

}  // namespace

TEST_CASE("MultiheadAttention matches torch.nn.MultiheadAttention (self, cross, probabilities)") {
  const Fixture& fx = load_fixture("nn");
  MultiheadAttention mha(16, 4);
  REQUIRE(mha.load_state(params(fx, "mha")).ok());
  Tensor x = fx.get("mha/x"), mem = fx.get("mha/mem"), pos = fx.get("mha/pos");
  check_close(mha.forward(x, x, x), fx.get("mha/self_out"), {1e-5, 1e-4}, "self-attention");
  AttentionResult r = mha.forward_with_probs(x, mem + pos, mem);
  check_close(r.out, fx.get("mha/cross_out"), {1e-5, 1e-4}, "cross-attention");
  check_close(r.probs, fx.get("mha/cross_probs"), {1e-6, 1e-4}, "head-averaged probabilities");
  // Key/value projected once (a memory shared by many query sets): the same numbers.
  MultiheadAttention::ProjectedKeyValue kv = mha.project_key_value(mem + pos, mem);
  AttentionResult rp = mha.forward_with_probs(x, kv);
  check_close(rp.out, fx.get("mha/cross_out"), {1e-5, 1e-4}, "cross-attention, projected key/value");
  check_close(rp.probs, fx.get("mha/cross_probs"), {1e-6, 1e-4}, "probabilities, projected key/value");
  check_close(mha.forward(x, kv), r.out, {0, 0}, "forward(query, kv) equals forward(query, key, value)");
  CHECK_THROWS_WITH_AS(mha.project_key_value(mem.narrow(2, 0, 8), mem), doctest::Contains("MultiheadAttention: query"),
                       Error);
  CHECK_THROWS_WITH_AS(mha.forward(x, {kv.k, kv.v.narrow(1, 0, 1)}), doctest::Contains("matching B and key/value"),
                       Error);
}

TEST_CASE("MLP: ReLU between layers, names layers.i") {
  const Fixture& fx = load_fixture("nn");
  MLP mlp(8, 12, 6, 3);
  REQUIRE(mlp.load_state(params(fx, "mlp")).ok());
  check_close(mlp.forward(fx.get("mlp/x")), fx.get("mlp/out"), {1e-5, 1e-4}, "mlp");
}

TEST_CASE("initialize draws PyTorch-default ranges and is reproducible") {
  Rng a(5), b(5);
  MultiheadAttention m1(16, 4), m2(16, 4);
  m1.initialize(a);
  m2.initialize(b);
  CHECK(m1.in_proj_weight.to_vector() == m2.in_proj_weight.to_vector());
  const float xavier = std::sqrt(6.0f / (16 + 48));
  for (float v : m1.in_proj_weight.to_vector()) CHECK(std::abs(v) <= xavier);
  for (float v : m1.in_proj_bias.to_vector()) CHECK(v == 0.f);
  for (float v : m1.out_proj.weight.to_vector()) CHECK(std::abs(v) <= 0.25f);
}
