#include "nn/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace fc {

namespace {

// _WarmUpLRScheduler._get_warmup_lr: the fraction of the way from the start lr to the peak.
double warmup_lr(double start, double peak, int64_t warmup_steps, int64_t iteration) {
  return (double(iteration) / double(warmup_steps)) * (peak - start) + start;
}

}  // namespace

WarmupCosineSchedule::WarmupCosineSchedule(WarmupCosineOptions options) : options_(options) {
  FC_CHECK(options.warmup_steps >= 0 && options.total_steps > options.warmup_steps, "WarmupCosineSchedule: ",
           options.warmup_steps, " warm-up steps need total_steps (", options.total_steps, ") larger");
  FC_CHECK(options.warmup_start_lr > 0 || options.warmup_steps == 0,
           "WarmupCosineSchedule: warmup_start_lr must be positive");
}

double WarmupCosineSchedule::lr(int64_t iteration) const {
  const auto& o = options_;
  if (o.warmup_steps > 0 && iteration < o.warmup_steps)
    return warmup_lr(o.warmup_start_lr, o.peak_lr, o.warmup_steps, iteration);
  const double ratio = double(iteration - o.warmup_steps) / double(o.total_steps - o.warmup_steps);
  return o.eta_min + (o.peak_lr - o.eta_min) * (1 + std::cos(std::numbers::pi * ratio)) / 2;
}

StepDecaySchedule::StepDecaySchedule(StepDecayOptions options) : options_(std::move(options)) {
  FC_CHECK(options_.milestones.size() == options_.factors.size(), "StepDecaySchedule: ", options_.milestones.size(),
           " milestones but ", options_.factors.size(), " factors");
  FC_CHECK(std::is_sorted(options_.milestones.begin(), options_.milestones.end()),
           "StepDecaySchedule: milestones must be increasing");
  FC_CHECK(options_.warmup_steps >= 0, "StepDecaySchedule: negative warm-up");
}

double StepDecaySchedule::lr(int64_t iteration) const {
  const auto& o = options_;
  if (o.warmup_steps > 0 && iteration < o.warmup_steps)
    return warmup_lr(o.warmup_start_lr, o.peak_lr, o.warmup_steps, iteration);
  // bisect_right: a milestone applies from its own iteration on.
  const size_t passed = std::upper_bound(o.milestones.begin(), o.milestones.end(), iteration) - o.milestones.begin();
  double factor = 1.0;
  for (size_t i = 0; i < passed; ++i) factor *= o.factors[i];
  return o.peak_lr * factor;
}

}  // namespace fc
