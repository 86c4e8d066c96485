// One joint training step of a tiny Naive Faceptor, and five of them, against PyTorch
// (tests/reference/make_train_fixtures.py make_naive_step; the joint forward is
// faceptor_training_reference.py naive_training_forward: one encoder pass per input size, each
// task's head on its own rows). The checkpoint is a torch.save file with the official names,
// converted by our converter (losses kept); the objective, the parameter groups of the naive
// recipe (backbone x0.1, heads and losses x1), clip_grad_norm and AdamW are training's own.
// Dropout is 0 in the fixture: PyTorch's masks cannot be reproduced (tests/test_dropout.cpp checks
// ours); BatchNorm runs on batch statistics per task, so every other train-mode path is covered.
//
// Tolerances, as tests/test_train_step.cpp (the reference is float64; PyTorch's own float32 step
// is printed by the script: gradients within 2.1e-5 of scale, losses 1.7e-7):
//  - losses and terms: relative 1e-4;
//  - gradients: max|diff| <= 1e-4 * scale per tensor (scale = max|ref|, or the largest gradient of
//    the model for tensors whose exact gradient is zero: a conv bias before a train-mode
//    BatchNorm, whose float64 values are rounding only);
//  - updated weights: Adam's first step moves an element by about lr * g / (|g| + eps), so where
//    |g| > max(1e-3 * scale, 1e-6), |diff| <= 2e-3 lr + 2^-22 |p0| (a 1e-4 gradient error changes
//    g / (|g| + eps) by < 1e-3; the second term is p1's float32 rounding); elsewhere the sign of a
//    noise-level gradient decides, and only |diff| <= 2 lr holds;
//  - the 5-step trajectory of every loss, the total and the gradient norm: relative 1e-4.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <memory>

#include "faceptor/convert.h"
#include "faceptor/naive/model.h"
#include "faceptor/train/objective.h"
#include "faceptor/train/trainer.h"
#include "nn/grad_utils.h"
#include "nn/optimizer.h"
#include "ops/elementwise.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"
#include "tests/support/train_step_fixture.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::faceptor::train;
using namespace fc::test;

namespace {

// One OpenMP thread for the scope: the tiny model's ops are too small to split, and on a busy
// machine OpenMP's waits on every op made these tests several times slower.
struct SingleThread {
  int threads = omp_get_max_threads();
  SingleThread() { omp_set_num_threads(1); }
  ~SingleThread() { omp_set_num_threads(threads); }
};

constexpr double kRel = 1e-4;

const Fixture& naive_step_fixture() {
  static Fixture fx(fixture_path("train/naive_step.fxt"));
  return fx;
}

double scalar(const std::string& name) { return naive_step_fixture().get(name).item(); }

void check_relative(double actual, double expected, const std::string& what) {
  CAPTURE(what);
  CAPTURE(actual);
  CAPTURE(expected);
  CHECK(std::abs(actual - expected) <= kRel * std::abs(expected));
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (float x : t.to_vector()) m = std::max(m, static_cast<double>(std::abs(x)));
  return m;
}

std::vector<int> levels(const std::string& name) {
  std::vector<int> out;
  for (float v : naive_step_fixture().get(name).to_vector()) out.push_back(static_cast<int>(v));
  return out;
}

struct NaiveSetup {
  std::unique_ptr<FaceModel> model;
  std::unique_ptr<MultiTaskObjective> objective;
  std::vector<TaskBatch> batches;
  std::vector<ParamGroup> groups;
};

NaiveSetup make_setup() {
  const Fixture& fx = naive_step_fixture();
  ConvertOptions opts;
  opts.encoder_heads = 2;
  opts.naive_attribute_levels = levels("config/attribute_levels");
  opts.naive_dense_levels = levels("config/dense_levels");
  opts.keep_training_tensors = true;
  ConvertedModel cm = convert_state(fixture_path("train/naive_tiny.pth.tar"), opts);
  REQUIRE(cm.config.is_naive());
  for (TaskSpec& t : cm.config.tasks) t.input_size = static_cast<int>(fx.get("input/" + t.name + "/images").size(2));
  cm.config.naive.attribute_dropout = cm.config.naive.dense_dropout = 0;  // as the fixture (see above)

  test::TrainingState state = test::owned_training_state(cm.tensors);
  NaiveSetup s;
  s.model = make_face_model(cm.config);
  LoadReport r = s.model->load_state(state.model);
  REQUIRE_MESSAGE(r.ok(), r.summary());
  s.model->train();

  ObjectiveOptions options;
  for (const TaskSpec& t : cm.config.tasks) options.task_weights[t.name] = scalar("weight/" + t.name);
  options.recognition_classes["recog_ms1mv3"] = state.losses.at("recog_ms1mv3.classifier").size(0);
  s.objective = std::make_unique<MultiTaskObjective>(cm.config, options);
  r = s.objective->load_state(state.losses);
  REQUIRE_MESSAGE(r.ok(), r.summary());

  s.batches = test::fixture_task_batches(fx, cm.config);
  // The naive recipe's groups: a naive config's optimizer defaults (train_config.h).
  s.groups = training_param_groups(*s.model, *s.objective, OptimizerConfig::naive_released(), {});
  return s;
}

AdamW fixture_adamw(std::vector<ParamGroup> groups) {
  const double weight_decay = OptimizerConfig::naive_released().weight_decay;
  REQUIRE(std::abs(weight_decay - scalar("config/weight_decay")) < 1e-8);
  return AdamW(std::move(groups), {.lr = scalar("config/lr"), .weight_decay = weight_decay});
}

}  // namespace

TEST_CASE("naive training step: losses, gradients, clipping, AdamW update and BatchNorm statistics match PyTorch") {
  SingleThread one_thread;
  const Fixture& fx = naive_step_fixture();
  NaiveSetup s = make_setup();
  REQUIRE(s.batches.size() == 8);

  ObjectiveResult result = s.objective->forward(*s.model, s.batches);
  check_relative(result.total.item(), scalar("loss/total"), "total loss");
  for (const auto& [task, loss] : result.task_loss) check_relative(loss.item(), scalar("loss/" + task), task);
  for (const auto& [task, terms] : result.terms)
    for (const auto& [term, value] : terms) check_relative(value.item(), scalar("term/" + task + "/" + term), task + " " + term);
  result.total.backward();

  const double lr = scalar("config/lr");
  std::map<std::string, Tensor*> slots;
  std::map<std::string, double> group_lr;
  for (const ParamGroup& g : s.groups)
    for (const auto& [name, slot] : g.parameters) {
      CAPTURE(name);
      // naive yaml: backbone_multiplier 0.1, heads_multiplier 1, losses 1 (solver.py's default)
      CHECK(g.lr_multiplier == (name.rfind("encoder.", 0) == 0 ? 0.1 : 1.0));
      slots[name] = slot;
      group_lr[name] = lr * g.lr_multiplier;
    }

  double top = 0;
  for (const auto& [name, slot] : slots)
    if (fx.has("grad/" + name)) top = std::max(top, max_abs(fx.get("grad/" + name)));
  std::map<std::string, double> scale;
  double worst_grad = 0;
  std::string worst_grad_name;
  int with_grad = 0;
  for (const auto& [name, slot] : slots) {
    CAPTURE(name);
    if (!fx.has("grad/" + name)) {  // encoder.proj, ln_post: not read by the heads
      CHECK(!slot->grad().defined());
      continue;
    }
    ++with_grad;
    REQUIRE(slot->grad().defined());
    const double m = max_abs(fx.get("grad/" + name));
    scale[name] = m > 1e-10 * top ? m : top;
    Closeness c = compare(slot->grad(), fx.get("grad/" + name), {0.0, 1e300});
    INFO(c.report);
    CHECK(c.max_abs <= kRel * scale[name]);
    if (c.max_abs / scale[name] > worst_grad) worst_grad = c.max_abs / scale[name], worst_grad_name = name;
  }
  MESSAGE("naive gradients: worst max|diff|/scale ", worst_grad, " (", worst_grad_name, ")");
  for (const std::string& name : fx.names())
    if (name.rfind("grad/", 0) == 0) CHECK_MESSAGE(slots.count(name.substr(5)), name);
  CHECK(with_grad > 150);

  std::map<std::string, std::vector<float>> before;
  for (const auto& [name, slot] : slots) before[name] = slot->to_vector();
  check_relative(clip_grad_norm(s.groups, scalar("config/max_norm")), scalar("clip/norm"), "gradient norm");
  REQUIRE(scalar("clip/coef") < 0.95);  // step 1 clips

  AdamW opt = fixture_adamw(s.groups);
  opt.step();
  int64_t checked = 0, failed = 0;
  double worst = 0;
  std::string first_failure;
  for (const auto& [name, slot] : slots) {
    CAPTURE(name);
    const std::vector<float> p0 = before[name], p1 = slot->to_vector();
    const std::vector<float> expected = fx.get("update/" + name).to_vector();
    if (!fx.has("grad/" + name)) {
      CHECK(p1 == p0);
      continue;
    }
    const std::vector<float> g = fx.get("grad/" + name).to_vector();
    const double group = group_lr.at(name), floor = std::max(1e-3 * scale[name], 1e-6);
    for (size_t i = 0; i < p0.size(); ++i) {
      const double diff = std::abs((static_cast<double>(p1[i]) - p0[i]) - expected[i]);
      const bool above_noise = std::abs(g[i]) > floor;
      const double tol = above_noise ? 2e-3 * group + std::ldexp(std::abs(p0[i]), -22) : 2 * group;
      if (above_noise) ++checked, worst = std::max(worst, diff / group);
      if (diff > tol && failed++ == 0)
        first_failure = name + "[" + std::to_string(i) + "]: update " + std::to_string(p1[i] - p0[i]) + " vs " +
                        std::to_string(expected[i]);
    }
  }
  CHECK_MESSAGE(failed == 0, failed, " updates off, first ", first_failure);
  MESSAGE("naive AdamW step 1: ", checked, " elements within ", worst, " lr");
  CHECK(checked > 10000);

  int bn = 0;
  for (auto& [name, buffer] : s.model->named_buffers()) {
    if (!fx.has("bn/" + name)) continue;
    ++bn;
    check_close_scaled(*buffer, fx.get("bn/" + name), kRel, name);
  }
  CHECK(bn > 20);
}

TEST_CASE("naive training: a 5-step loss trajectory matches PyTorch") {
  SingleThread one_thread;
  const Fixture& fx = naive_step_fixture();
  NaiveSetup s = make_setup();
  AdamW opt = fixture_adamw(s.groups);
  const int steps = static_cast<int>(scalar("config/steps"));
  const std::vector<float> totals = fx.get("trajectory/total").to_vector();
  const std::vector<float> norms = fx.get("trajectory/grad_norm").to_vector();
  REQUIRE(static_cast<int>(totals.size()) == steps);
  for (int step = 0; step < steps; ++step) {
    CAPTURE(step);
    zero_grad(s.groups);
    ObjectiveResult r = s.objective->forward(*s.model, s.batches);
    check_relative(r.total.item(), totals[step], "total");
    for (const auto& [task, loss] : r.task_loss)
      check_relative(loss.item(), fx.get("trajectory/" + task).to_vector()[step], task);
    r.total.backward();
    check_relative(clip_grad_norm(s.groups, scalar("config/max_norm")), norms[step], "gradient norm");
    opt.step();
  }
  CHECK(totals.back() < 0.95 * totals.front());  // the fixture does train
}
