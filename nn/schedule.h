// Learning-rate schedules: lr as a pure function of the iteration, so resuming needs only the
// iteration number (Optimizer::step_count()).
//
//   WarmupCosineSchedule schedule({.warmup_start_lr = 1e-6, .peak_lr = 5e-5, .warmup_steps = 2000,
//                                  .total_steps = 50000, .eta_min = 0});   // the Faceptor recipe
//   for (int64_t t = 0; t < 50000; ++t) {
//     opt.set_lr(schedule.lr(official_schedule_iteration(t)));  // or schedule.lr(t)
//     ... backward, clip, opt.step() ...
//   }
//
// Ported from the released code's core/lr_scheduler/base.py (CosineLRScheduler, StepLRScheduler,
// via _WarmUpLRScheduler). Its config names differ: its `base_lr` is our warmup_start_lr and its
// `warmup_lr` is our peak_lr. Two of its behaviours are kept on purpose: the cosine is not clamped
// past total_steps (it rises again), and the training loop (core/solver/solver.py run) calls
// scheduler.step(t) after the update of iteration t, so update t uses lr(t - 1) (lr(0) for t = 0);
// official_schedule_iteration maps an update index to the iteration whose lr it used. One quirk is
// not kept: with warmup_steps 0 the released class replaces its peak by its start lr; here the
// cosine always starts from peak_lr. (A "warm-up start factor" f is warmup_start_lr = f * peak_lr.)
#pragma once

#include <cstdint>
#include <vector>

namespace fc {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double lr(int64_t iteration) const = 0;  // base lr (group multipliers apply on top)
};

// The iteration whose lr the released training loop applies at update `step` (0-based).
inline int64_t official_schedule_iteration(int64_t step) { return step > 0 ? step - 1 : 0; }

class ConstantSchedule : public LrSchedule {
 public:
  explicit ConstantSchedule(double lr) : lr_(lr) {}
  double lr(int64_t) const override { return lr_; }

 private:
  double lr_;
};

// Linear from warmup_start_lr (iteration 0) towards peak_lr (reached at warmup_steps), then
// eta_min + (peak_lr - eta_min) * (1 + cos(pi * (t - warmup_steps) / (total_steps - warmup_steps))) / 2.
struct WarmupCosineOptions {
  double warmup_start_lr = 1e-6;
  double peak_lr = 5e-5;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double eta_min = 0.0;
};

class WarmupCosineSchedule : public LrSchedule {
 public:
  explicit WarmupCosineSchedule(WarmupCosineOptions options);
  double lr(int64_t iteration) const override;
  const WarmupCosineOptions& options() const { return options_; }

 private:
  WarmupCosineOptions options_;
};

// Linear warm-up as above, then peak_lr times the product of every factor whose milestone is
// <= the iteration (torch's MultiStepLR generalised to a factor per milestone).
struct StepDecayOptions {
  double warmup_start_lr = 1e-6;
  double peak_lr = 1e-4;
  int64_t warmup_steps = 0;
  std::vector<int64_t> milestones;  // increasing iterations
  std::vector<double> factors;      // one per milestone, e.g. 0.1
};

class StepDecaySchedule : public LrSchedule {
 public:
  explicit StepDecaySchedule(StepDecayOptions options);
  double lr(int64_t iteration) const override;

 private:
  StepDecayOptions options_;
};

}  // namespace fc
