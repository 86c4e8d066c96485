// nn/schedule.h: the learning-rate sequences of the released Faceptor schedulers
// (core/lr_scheduler/base.py, re-derived in tests/reference/make_optim_fixtures.py), per group
// with multipliers 1 and 10, and the lr the released training loop applies at each update.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "nn/optimizer.h"
#include "nn/schedule.h"
#include "tests/support/fixture.h"

using namespace fc;
using namespace fc::test;

namespace {

const Fixture& fx() {
  static Fixture f(fixture_path("optim.fxt"));
  return f;
}

constexpr double kMultipliers[2] = {1.0, 10.0};

// Relative closeness; doctest::Approx adds an absolute 1e-6 that would swallow lrs of 1e-5. The
// 1e-15 floor admits the cosine's end, zero up to double rounding.
bool close(double actual, double expected) { return std::abs(actual - expected) <= 1e-6 * std::abs(expected) + 1e-15; }

// The fixture holds float64 lrs rounded to float32, so 1e-6 relative covers its rounding (6e-8)
// with room; the formulas themselves agree to double precision.
void check_sequence(const LrSchedule& schedule, const std::string& key, bool official_loop) {
  const std::vector<float> expected = fx().get(key).to_vector();
  const int64_t n = fx().get(key).size(0);
  for (int64_t t = 0; t < n; ++t) {
    const int64_t it = official_loop ? official_schedule_iteration(t) : t;
    for (int g = 0; g < 2; ++g) {
      CAPTURE(key);
      CAPTURE(t);
      CHECK(close(schedule.lr(it) * kMultipliers[g], expected[t * 2 + g]));
    }
  }
}

}  // namespace

TEST_CASE("schedule: warm-up cosine matches the released CosineLRScheduler") {
  WarmupCosineSchedule cosine({.warmup_start_lr = 1e-6, .peak_lr = 5e-5, .warmup_steps = 20, .total_steps = 100});
  check_sequence(cosine, "cosine/lr", false);
  check_sequence(cosine, "cosine/used", true);
  CHECK(cosine.lr(0) == 1e-6);
  CHECK(cosine.lr(20) == 5e-5);
  CHECK(cosine.lr(100) == doctest::Approx(0.0));

  WarmupCosineSchedule with_floor(
      {.warmup_start_lr = 1e-6, .peak_lr = 5e-5, .warmup_steps = 7, .total_steps = 50, .eta_min = 2e-6});
  check_sequence(with_floor, "cosine_eta/lr", false);

  WarmupCosineSchedule no_warmup({.warmup_start_lr = 0, .peak_lr = 1e-3, .warmup_steps = 0, .total_steps = 10});
  CHECK(no_warmup.lr(0) == 1e-3);
  CHECK(no_warmup.lr(5) == doctest::Approx(5e-4));

  CHECK_THROWS_WITH_AS(WarmupCosineSchedule({.warmup_steps = 10, .total_steps = 10}),
                       "WarmupCosineSchedule: 10 warm-up steps need total_steps (10) larger", Error);
}

TEST_CASE("schedule: step decay matches the released StepLRScheduler; constant is constant") {
  StepDecaySchedule step({.warmup_start_lr = 1e-6,
                          .peak_lr = 5e-5,
                          .warmup_steps = 10,
                          .milestones = {30, 60},
                          .factors = {0.1, 0.5}});
  check_sequence(step, "step/lr", false);
  CHECK(step.lr(29) == 5e-5);
  CHECK(step.lr(30) == doctest::Approx(5e-6));
  CHECK_THROWS_WITH_AS(StepDecaySchedule({.milestones = {3}, .factors = {}}),
                       "StepDecaySchedule: 1 milestones but 0 factors", Error);

  ConstantSchedule constant(3e-4);
  CHECK(constant.lr(0) == 3e-4);
  CHECK(constant.lr(123456) == 3e-4);
}

TEST_CASE("schedule: drives an optimizer's group learning rates") {
  Tensor a = Tensor::zeros({2}).set_requires_grad(true), b = Tensor::zeros({2}).set_requires_grad(true);
  AdamW opt({ParamGroup{"encoder", {{"a", &a}}, 1.0, 0.05}, ParamGroup{"decoder", {{"b", &b}}, 10.0, 0.05}},
            {.lr = 0});
  WarmupCosineSchedule cosine({.warmup_start_lr = 1e-6, .peak_lr = 5e-5, .warmup_steps = 20, .total_steps = 100});
  const std::vector<float> used = fx().get("cosine/used").to_vector();
  for (int64_t t = 0; t < 40; ++t) {
    opt.set_lr(cosine.lr(official_schedule_iteration(opt.step_count())));
    CHECK(close(opt.group_lr(0), used[t * 2]));
    CHECK(close(opt.group_lr(1), used[t * 2 + 1]));
    opt.step();  // no gradients: only the step count advances
  }
}
