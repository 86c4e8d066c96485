#include "nn/grad_utils.h"

#include <cmath>

#include "core/autograd.h"
#include "core/error.h"

namespace fc {

namespace {

std::vector<Tensor*> all_parameters(const std::vector<ParamGroup>& groups) {
  std::vector<Tensor*> out;
  for (const auto& g : groups)
    for (const auto& [name, slot] : g.parameters) out.push_back(slot);
  return out;
}

// Squared L2 norm accumulated in double: the sum over a large model stays exact to float precision
// whatever the order, so the result does not depend on how the parameters are split.
double squared_norm(const Tensor& grad) {
  const Tensor g = grad.contiguous();
  const float* d = g.data();
  double sum = 0;
  for (int64_t i = 0; i < g.numel(); ++i) sum += double(d[i]) * double(d[i]);
  return sum;
}

}  // namespace

float grad_norm(const std::vector<Tensor*>& parameters) {
  NoGradGuard no_grad;
  double sum = 0;
  for (const Tensor* p : parameters)
    if (p->grad().defined()) sum += squared_norm(p->grad());
  return float(std::sqrt(sum));
}

float clip_grad_norm(const std::vector<Tensor*>& parameters, double max_norm) {
  NoGradGuard no_grad;
  const float total = grad_norm(parameters);
  // PyTorch: clip_coef = max_norm / (total_norm + 1e-6) on a float32 tensor, clamped to 1.
  const float coef = std::fmin(float(max_norm) / (total + 1e-6f), 1.0f);
  for (Tensor* p : parameters) {
    if (!p->grad().defined()) continue;
    Tensor g = p->grad();
    if (!g.is_contiguous() || g.storage()->read_only()) {
      g = g.clone();
      p->set_grad(g);
    }
    float* d = g.mutable_data();
    for (int64_t i = 0; i < g.numel(); ++i) d[i] *= coef;
  }
  return total;
}

float clip_grad_norm(const std::vector<ParamGroup>& groups, double max_norm) {
  return clip_grad_norm(all_parameters(groups), max_norm);
}

void check_finite_gradients(const Module::NamedTensors& parameters) {
  NoGradGuard no_grad;
  for (const auto& [name, slot] : parameters) {
    if (!slot->grad().defined()) continue;
    const Tensor g = slot->grad().contiguous();
    const float* d = g.data();
    for (int64_t i = 0; i < g.numel(); ++i)
      FC_CHECK(std::isfinite(d[i]), "check_finite_gradients: ", name, " ", g.shape(), ": gradient[", i, "] is ", d[i]);
  }
}

void check_finite_gradients(const std::vector<ParamGroup>& groups) {
  for (const auto& g : groups) check_finite_gradients(g.parameters);
}

void zero_grad(const std::vector<ParamGroup>& groups) {
  for (Tensor* p : all_parameters(groups)) p->zero_grad();
}

GradientAccumulator::GradientAccumulator(int micro_batches, Mode mode) : micro_batches_(micro_batches), mode_(mode) {
  FC_CHECK(micro_batches >= 1, "GradientAccumulator: ", micro_batches, " micro-batches; need at least 1");
}

bool GradientAccumulator::micro_batch_done() {
  if (++pending_ < micro_batches_) return false;
  pending_ = 0;
  return true;
}

}  // namespace fc
