// nn/optimizer.h and nn/grad_utils.h: AdamW and SGD trajectories against torch.optim, step by
// step (tests/reference/make_optim_fixtures.py), clip_grad_norm against torch, bit-exact resume
// through a safetensors file, read-only (mmap'd) parameters, and the parameter-group rules.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>

#include "core/error.h"
#include "nn/adamw_kernel.h"
#include "nn/embedding.h"
#include "nn/grad_utils.h"
#include "nn/linear.h"
#include "nn/norm.h"
#include "nn/optimizer.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"
#include "tests/support/temp_dir.h"
#include "weights/safetensors.h"

using namespace fc;
using namespace fc::test;

namespace {

const Fixture& fx() {
  static Fixture f(fixture_path("optim.fxt"));
  return f;
}

constexpr int kSteps = 10;
// torch runs the same float32 operations; only fma contraction in its kernels differs. Measured
// after 10 steps: SGD bit-identical, AdamW max abs 6e-9 (max rel 1e-6 on an entry near zero).
constexpr Tolerance kStepTol = {1e-7, 1e-6};

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(std::vector<ParamGroup>)>;

// The fixture's three parameters: p0, p1 in group 0 (multiplier 1), p2 in group 1 (multiplier 10).
struct Params {
  std::vector<Tensor> p = std::vector<Tensor>(3);
  explicit Params(const std::string& c) {
    for (int i = 0; i < 3; ++i) p[i] = fx().get(c + "/p" + std::to_string(i) + "/init").set_requires_grad(true);
  }
  std::vector<ParamGroup> groups(double wd0, double wd1) {
    return {ParamGroup{"g0", {{"p0", &p[0]}, {"p1", &p[1]}}, 1.0, wd0}, ParamGroup{"g1", {{"p2", &p[2]}}, 10.0, wd1}};
  }
};

double base_lr(double lr0, int t) { return lr0 * (1.0 - 0.05 * t); }

// Feeds step t's fixture gradients (none where the fixture has none) and steps.
void feed_and_step(Optimizer& opt, Params& ps, const std::string& c, double lr0, int t) {
  opt.set_lr(base_lr(lr0, t));
  for (int i = 0; i < 3; ++i) {
    const std::string g = c + "/p" + std::to_string(i) + "/grad" + std::to_string(t);
    if (fx().has(g)) ps.p[i].set_grad(fx().get(g));
    else ps.p[i].zero_grad();
  }
  opt.step();
}

void replay(const std::string& c, double lr0, double wd0, double wd1, const MakeOptimizer& make) {
  Params ps(c);
  auto opt = make(ps.groups(wd0, wd1));
  for (int t = 0; t < kSteps; ++t) {
    feed_and_step(*opt, ps, c, lr0, t);
    for (int i = 0; i < 3; ++i) {
      const std::string after = c + "/p" + std::to_string(i) + "/after" + std::to_string(t);
      check_close(ps.p[i], fx().get(after), kStepTol, after);
    }
  }
  CHECK(opt->step_count() == kSteps);
}

MakeOptimizer adamw() {
  return [](std::vector<ParamGroup> g) { return std::make_unique<AdamW>(std::move(g), AdamWOptions{.lr = 1e-2}); };
}
MakeOptimizer sgd(double momentum, bool nesterov) {
  return [=](std::vector<ParamGroup> g) {
    return std::make_unique<SGD>(std::move(g), SGDOptions{.lr = 1e-2, .momentum = momentum, .nesterov = nesterov});
  };
}

std::vector<float> values(const Tensor& t) { return t.to_vector(); }

}  // namespace

TEST_CASE("optimizer: AdamW matches torch.optim.AdamW step by step") {
  SUBCASE("decay in both groups") { replay("adamw", 1e-2, 0.05, 0.05, adamw()); }
  SUBCASE("decay in one group") { replay("adamw_mixed_decay", 1e-2, 0.05, 0.0, adamw()); }
  SUBCASE("no decay") { replay("adamw_no_decay", 1e-2, 0.0, 0.0, adamw()); }
}

TEST_CASE("optimizer: SGD matches torch.optim.SGD step by step") {
  SUBCASE("momentum") { replay("sgd_momentum", 1e-2, 1e-3, 0.0, sgd(0.9, false)); }
  SUBCASE("nesterov") { replay("sgd_nesterov", 1e-2, 1e-3, 1e-2, sgd(0.9, true)); }
  SUBCASE("plain") { replay("sgd_plain", 1e-2, 0.0, 1e-3, sgd(0.0, false)); }
}

TEST_CASE("optimizer: resuming from saved state tensors is bit-identical") {
  struct Case {
    std::string name;
    double wd0, wd1;
    MakeOptimizer make;
  };
  for (const Case& c : {Case{"adamw", 0.05, 0.05, adamw()}, Case{"sgd_nesterov", 1e-3, 1e-2, sgd(0.9, true)}}) {
    CAPTURE(c.name);
    Params straight(c.name);
    auto opt = c.make(straight.groups(c.wd0, c.wd1));
    for (int t = 0; t < kSteps; ++t) feed_and_step(*opt, straight, c.name, 1e-2, t);

    TempDir dir;
    Params first(c.name);
    auto opt1 = c.make(first.groups(c.wd0, c.wd1));
    for (int t = 0; t < kSteps / 2; ++t) feed_and_step(*opt1, first, c.name, 1e-2, t);
    write_safetensors(dir.path("state.safetensors"), opt1->state_tensors());
    write_safetensors(dir.path("params.safetensors"),
                      StateTensors{{"p0", first.p[0]}, {"p1", first.p[1]}, {"p2", first.p[2]}});

    // A fresh process would see only the files: parameters and state come back as mmap'd views.
    SafetensorsFile state_file = SafetensorsFile::open(dir.path("state.safetensors"));
    SafetensorsFile param_file = SafetensorsFile::open(dir.path("params.safetensors"));
    StateTensors state;
    for (const auto& name : state_file.names()) state.emplace_back(name, state_file.get(name));
    Params second(c.name);
    for (int i = 0; i < 3; ++i) {
      second.p[i] = param_file.get(std::array<const char*, 3>{"p0", "p1", "p2"}[i]);
      second.p[i].set_requires_grad(true);
    }
    auto opt2 = c.make(second.groups(c.wd0, c.wd1));
    opt2->load_state_tensors(state);
    CHECK(opt2->step_count() == kSteps / 2);
    for (int t = kSteps / 2; t < kSteps; ++t) feed_and_step(*opt2, second, c.name, 1e-2, t);
    for (int i = 0; i < 3; ++i) CHECK(values(second.p[i]) == values(straight.p[i]));
    CHECK(opt2->state_tensors().size() == opt->state_tensors().size());
  }
}

TEST_CASE("optimizer: state tensors are named by parameter and validated on load") {
  Params ps("adamw");
  AdamW opt(ps.groups(0.05, 0.0), {.lr = 1e-2});
  CHECK(opt.state_tensors().size() == 1);  // only "step" before any update
  feed_and_step(opt, ps, "adamw", 1e-2, 0);
  std::vector<std::string> names;
  for (auto& [name, t] : opt.state_tensors()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"step", "p0.step", "p0.exp_avg", "p0.exp_avg_sq", "p1.step", "p1.exp_avg",
                                          "p1.exp_avg_sq", "p2.step", "p2.exp_avg", "p2.exp_avg_sq"});

  AdamW fresh(ps.groups(0.05, 0.0), {.lr = 1e-2});
  CHECK_THROWS_WITH_AS(fresh.load_state_tensors({{"p9.exp_avg", Tensor::zeros({1})}}),
                       "load_state_tensors: p9.exp_avg: no parameter p9 in this optimizer", Error);
  CHECK_THROWS_WITH_AS(
      fresh.load_state_tensors({{"p0.step", Tensor::scalar(1)}, {"p0.exp_avg", Tensor::zeros({4, 3})}}),
      "load_state_tensors: p0.exp_avg is (4,3) but p0 is (3,4)", Error);
  CHECK_THROWS_WITH_AS(fresh.load_state_tensors({{"p0.momentum_buffer", Tensor::zeros({3, 4})}}),
                       "load_state_tensors: p0.momentum_buffer: this optimizer keeps no state named momentum_buffer",
                       Error);
  CHECK_THROWS_WITH_AS(
      fresh.load_state_tensors({{"p0.step", Tensor::scalar(1)}, {"p0.exp_avg", Tensor::zeros({3, 4})}}),
      "load_state_tensors: p0 has 1 of its 2 state buffers", Error);
}

TEST_CASE("optimizer: parameters on read-only mapped storage are cloned before the first update") {
  TempDir dir;
  Params owned("adamw");
  write_safetensors(dir.path("w.safetensors"),
                    StateTensors{{"weight", owned.p[0]}, {"bias", owned.p[1]}});
  SafetensorsFile file = SafetensorsFile::open(dir.path("w.safetensors"));
  struct Tiny : Module {
    Tensor weight, bias;
    Tiny() {
      register_parameter("weight", &weight, Tensor::zeros({3, 4}));
      register_parameter("bias", &bias, Tensor::zeros({5}));
    }
  } tiny;
  REQUIRE(tiny.load_state({{"weight", file.get("weight")}, {"bias", file.get("bias")}}).ok());
  REQUIRE(tiny.weight.storage()->read_only());
  Tensor mapped_view = tiny.weight;  // a handle taken before the step keeps the old data

  AdamW opt(build_param_groups(tiny), {.lr = 1e-2});  // weight decays at 0.05, bias not at all
  AdamW reference({ParamGroup{"g", {{"weight", &owned.p[0]}}, 1.0, 0.05}, ParamGroup{"n", {{"bias", &owned.p[1]}}, 1.0, 0}},
                  {.lr = 1e-2});
  for (int t = 0; t < 3; ++t) {
    Tensor g = Tensor::full({3, 4}, 0.25f * float(t + 1));
    tiny.weight.set_grad(g);
    owned.p[0].set_grad(g.clone());
    tiny.bias.set_grad(Tensor::ones({5}));
    owned.p[1].set_grad(Tensor::ones({5}));
    opt.step();
    reference.step();
  }
  CHECK_FALSE(tiny.weight.storage()->read_only());
  CHECK(tiny.weight.requires_grad());
  CHECK(tiny.weight.grad().defined());
  CHECK(values(tiny.weight) == values(owned.p[0]));
  CHECK(values(tiny.bias) == values(owned.p[1]));
  CHECK_FALSE(tiny.bias.storage()->read_only());
  CHECK(values(mapped_view) == values(file.get("weight")));
  CHECK(values(file.get("weight")) == values(fx().get("adamw/p0/init")));  // the file is untouched
}

namespace {

// Names like the Faceptor model's, to exercise the default rules.
struct TinyEncoder : Module {
  Tensor class_embedding, positional_embedding;
  Linear proj{4, 4};
  LayerNorm ln_pre{4};
  TinyEncoder() {
    register_parameter("class_embedding", &class_embedding, Tensor::zeros({4}));
    register_parameter("positional_embedding", &positional_embedding, Tensor::zeros({5, 4}));
    register_module("proj", &proj);
    register_module("ln_pre", &ln_pre);
  }
};
struct TinyDecoder : Module {
  Embedding query_embed{3, 4}, level_embed{2, 4};
  Linear input_proj{4, 4};
  TinyDecoder() {
    register_module("query_embed.recog", &query_embed);
    register_module("level_embed", &level_embed);
    register_module("input_proj.0", &input_proj);
  }
};
struct TinyModel : Module {
  TinyEncoder encoder;
  TinyDecoder decoder;
  Linear value_fc{4, 1};
  TinyModel() {
    register_module("encoder", &encoder);
    register_module("decoder", &decoder);
    register_module("interpreters.value.fc", &value_fc);
  }
};

std::vector<std::string> names_of(const ParamGroup& g) {
  std::vector<std::string> out;
  for (auto& [name, t] : g.parameters) out.push_back(name);
  return out;
}

}  // namespace

TEST_CASE("optimizer: build_param_groups applies multipliers and the no-decay rules") {
  TinyModel model;
  auto groups = build_param_groups(model);
  REQUIRE(groups.size() == 6);
  CHECK(groups[0].name == "default.no_decay");
  CHECK(names_of(groups[0]) ==
        std::vector<std::string>{"encoder.class_embedding", "encoder.positional_embedding", "encoder.proj.bias",
                                 "encoder.ln_pre.weight", "encoder.ln_pre.bias"});
  CHECK(groups[0].weight_decay == 0.0);
  CHECK(groups[1].name == "default");
  CHECK(names_of(groups[1]) == std::vector<std::string>{"encoder.proj.weight"});
  CHECK(groups[1].weight_decay == 0.05);
  CHECK(groups[1].lr_multiplier == 1.0);
  CHECK(groups[2].name == "decoder.no_decay");
  CHECK(names_of(groups[2]) == std::vector<std::string>{"decoder.query_embed.recog.weight",
                                                        "decoder.level_embed.weight", "decoder.input_proj.0.bias"});
  CHECK(groups[2].lr_multiplier == 10.0);
  CHECK(groups[3].name == "decoder");
  CHECK(names_of(groups[3]) == std::vector<std::string>{"decoder.input_proj.0.weight"});
  CHECK(groups[4].name == "interpreters");
  CHECK(groups[4].lr_multiplier == 10.0);
  CHECK(groups[5].name == "interpreters.no_decay");

  auto released = build_param_groups(model, ParamGroupRules::faceptor_released());
  REQUIRE(released.size() == 3);
  for (const auto& g : released) CHECK(g.weight_decay == 0.05);
  CHECK(released[0].parameters.size() == 6);
  CHECK(released[1].parameters.size() == 4);

  AdamW opt(groups, {.lr = 1e-4});
  CHECK(opt.group_lr(2) == doctest::Approx(1e-3));
  std::vector<ParamGroup> twice = {groups[1], groups[1]};
  CHECK_THROWS_WITH_AS(AdamW(twice, {}), "optimizer: parameter encoder.proj.weight appears twice (group default)",
                       Error);
}

TEST_CASE("grad_utils: clip_grad_norm matches torch.nn.utils.clip_grad_norm_") {
  for (const std::string c : {"clip_large", "clip_small", "clip_tight"}) {
    CAPTURE(c);
    const double max_norm = c == "clip_tight" ? 0.5 : 5.0;
    Params ps("adamw");
    for (int i = 0; i < 3; ++i) ps.p[i].set_grad(fx().get(c + "/grad" + std::to_string(i)));
    const float total = clip_grad_norm(ps.groups(0, 0), max_norm);
    CHECK(std::abs(total - fx().get(c + "/total").item()) <= 1e-6 * fx().get(c + "/total").item());
    for (int i = 0; i < 3; ++i)
      check_close(ps.p[i].grad(), fx().get(c + "/clipped" + std::to_string(i)), {1e-7, 1e-6}, c);
  }
  Params none("adamw");
  CHECK(clip_grad_norm(none.groups(0, 0), 5.0) == 0.0f);  // no gradients: nothing to do
}

TEST_CASE("grad_utils: non-finite gradients are reported by parameter name") {
  Params ps("adamw");
  for (auto& p : ps.p) p.set_grad(Tensor::ones(p.shape()));
  CHECK_NOTHROW(check_finite_gradients(ps.groups(0, 0)));
  Tensor bad = Tensor::ones({2, 3});
  bad.mutable_data()[4] = std::numeric_limits<float>::quiet_NaN();
  ps.p[2].set_grad(bad);
  CHECK_THROWS_WITH_AS(check_finite_gradients(ps.groups(0, 0)), "check_finite_gradients: p2 (2,3): gradient[4] is nan",
                       Error);
  bad.mutable_data()[4] = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH_AS(check_finite_gradients(ps.groups(0, 0)), "check_finite_gradients: p2 (2,3): gradient[4] is inf",
                       Error);
  zero_grad(ps.groups(0, 0));
  for (auto& p : ps.p) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("grad_utils: accumulating N scaled micro-batches equals one step on the mean gradient") {
  Params accumulated("adamw"), whole("adamw");
  AdamW opt_a(accumulated.groups(0.05, 0.0), {.lr = 1e-2});
  AdamW opt_w(whole.groups(0.05, 0.0), {.lr = 1e-2});
  GradientAccumulator accumulate(4);
  CHECK(accumulate.loss_scale() == 0.25f);
  int steps = 0;
  for (int micro = 0; micro < 8; ++micro) {
    // d(scale * sum(g_m * p))/dp = scale * g_m: a backward of a linear loss per micro-batch.
    Tensor g = Tensor::full({3, 4}, float(micro + 1));
    Tensor loss = fc::sum(fc::mul(accumulated.p[0], fc::mul_scalar(g, accumulate.loss_scale())));
    loss.backward();
    if (accumulate.micro_batch_done()) {
      ++steps;
      opt_a.step();
      opt_a.zero_grad();
    }
  }
  CHECK(steps == 2);
  CHECK(accumulate.pending() == 0);
  // Micro-batches 1..4 then 5..8: mean gradients 2.5 and 6.5.
  for (float mean : {2.5f, 6.5f}) {
    whole.p[0].set_grad(Tensor::full({3, 4}, mean));
    opt_w.step();
  }
  check_close(accumulated.p[0], whole.p[0], {1e-7, 1e-6}, "accumulated vs mean gradient");
  GradientAccumulator sum(2, GradientAccumulator::Mode::sum);
  CHECK(sum.loss_scale() == 1.0f);
  CHECK_FALSE(sum.micro_batch_done());
  CHECK(sum.micro_batch_done());
  CHECK_THROWS_WITH_AS(GradientAccumulator(0), "GradientAccumulator: 0 micro-batches; need at least 1", Error);
}

TEST_CASE("optimizer: the threaded update of a large parameter equals the serial one") {
  // 2^16 + 8 elements are cut into two chunks (at 2^16, off the 8193-element parts' borders and
  // mid-vector); the same values as 8 small parameters are a chunk each: every split agrees.
  constexpr int64_t kChunk = 8192 + 1, kChunks = 8, n = kChunk * kChunks;
  Rng rng(3);
  Tensor big = Tensor::randn({n}, rng).set_requires_grad(true);
  std::vector<Tensor> parts(kChunks);
  Module::NamedTensors named;
  for (int64_t c = 0; c < kChunks; ++c) {
    parts[c] = big.detach().narrow(0, c * kChunk, kChunk).clone().set_requires_grad(true);
    named.emplace_back(std::string(1, char('a' + c)), &parts[c]);
  }
  for (bool use_sgd : {false, true}) {
    CAPTURE(use_sgd);
    Tensor whole = big.detach().clone().set_requires_grad(true);
    std::vector<Tensor> split(kChunks);
    Module::NamedTensors split_named;
    for (int64_t c = 0; c < kChunks; ++c) {
      split[c] = parts[c].detach().clone().set_requires_grad(true);
      split_named.emplace_back(named[c].first, &split[c]);
    }
    auto make = [&](Module::NamedTensors ps) -> std::unique_ptr<Optimizer> {
      std::vector<ParamGroup> g = {ParamGroup{"g", std::move(ps), 1.0, 0.05}};
      if (use_sgd) return std::make_unique<SGD>(std::move(g), SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
      return std::make_unique<AdamW>(std::move(g), AdamWOptions{.lr = 1e-2});
    };
    auto opt_whole = make({{"w", &whole}});
    auto opt_split = make(split_named);
    for (int t = 0; t < 3; ++t) {
      Tensor g = Tensor::randn({n}, rng);
      whole.set_grad(g);
      for (int64_t c = 0; c < kChunks; ++c) split[c].set_grad(g.narrow(0, c * kChunk, kChunk).clone());
      opt_whole->step();
      opt_split->step();
    }
    for (int64_t c = 0; c < kChunks; ++c) CHECK(values(whole.narrow(0, c * kChunk, kChunk)) == values(split[c]));
  }
}

TEST_CASE("optimizer: the AVX2 AdamW kernel equals its scalar reference to the bit") {
  Rng rng(9);
  for (int64_t n : {1, 7, 8, 37, 1000}) {
    CAPTURE(n);
    std::vector<float> p = Tensor::randn({n}, rng).to_vector(), g = Tensor::randn({n}, rng).to_vector();
    std::vector<float> m = Tensor::randn({n}, rng).to_vector(), v = Tensor::rand({n}, rng, 0.f, 2.f).to_vector();
    std::vector<float> p2 = p, m2 = m, v2 = v;
    const AdamWScalars s{.decay = 0.9995f, .beta1 = 0.9f, .one_minus_beta1 = 0.1f, .beta2 = 0.999f,
                         .one_minus_beta2 = 0.001f, .bias_correction2_sqrt = 0.0447f, .neg_step_size = -0.01f,
                         .eps = 1e-8f};
    adamw_update(p.data(), g.data(), m.data(), v.data(), n, s);
    adamw_update_reference(p2.data(), g.data(), m2.data(), v2.data(), n, s);
    CHECK(p == p2);
    CHECK(m == m2);
    CHECK(v == v2);
  }
}
