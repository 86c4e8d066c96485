// What happens to gradients between backward() and Optimizer::step(): global-norm clipping, a
// finite check that names the offending parameter, zeroing, and gradient accumulation over
// micro-batches.
//
//   GradientAccumulator accumulate(4, GradientAccumulator::Mode::mean);
//   for (auto& batch : micro_batches) {
//     fc::mul_scalar(loss(batch), accumulate.loss_scale()).backward();
//     if (accumulate.micro_batch_done()) {
//       check_finite_gradients(opt.groups());
//       float norm = clip_grad_norm(opt.groups(), 5.0);   // the Faceptor recipe clips at 5
//       opt.step();
//       zero_grad(opt.groups());
//     }
//   }
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "nn/optimizer.h"

namespace fc {

// torch.nn.utils.clip_grad_norm_ (L2): total = sqrt(sum of every gradient's squared entries),
// coef = min(max_norm / (total + 1e-6), 1) in float32, every gradient *= coef (also when coef is
// 1, as PyTorch does). Parameters without a gradient are skipped. Returns the total norm before
// clipping (0 when no parameter has a gradient). A NaN/inf total is returned and propagates into
// the gradients, as in PyTorch with error_if_nonfinite=False; call check_finite_gradients first
// to stop instead.
float clip_grad_norm(const std::vector<Tensor*>& parameters, double max_norm);
float clip_grad_norm(const std::vector<ParamGroup>& groups, double max_norm);
// The same total norm without changing anything.
float grad_norm(const std::vector<Tensor*>& parameters);

// Throws fc::Error naming the first parameter whose gradient holds NaN or inf, with the index and
// value ("check_finite_gradients: decoder.level_embed.weight (3,256): gradient[17] is nan").
void check_finite_gradients(const std::vector<ParamGroup>& groups);
void check_finite_gradients(const Module::NamedTensors& parameters);

void zero_grad(const std::vector<ParamGroup>& groups);

// Raises the process BufferPool's cache limit (core/buffer_pool.h) to its default plus the bytes of
// every gradient of `groups` (never lowers it). zero_grad() frees all gradients at the end of a
// step and the next backward asks for the same sizes again, while the activations of the forward
// in between occupy other size classes: without this allowance the pool unmaps gradient blocks to
// stay within its bound and every step faults them in again (a tenth of a Base 112x8 step on our
// VMs). Costs at most that many bytes of peak RSS (measured: +~300 MiB on Faceptor-Base, still
// below PyTorch's peak). Call once, after building the optimizer.
void park_gradients_between_steps(const std::vector<ParamGroup>& groups);

// Counts micro-batches until an optimizer step is due. Gradients simply accumulate (+=) across
// backward() calls; mode mean makes the accumulated gradient the mean over the N micro-batches
// by scaling each micro-batch's loss by 1/N, mode sum leaves it the sum (the released Faceptor
// code's gradient_acc: it steps every N iterations without scaling).
class GradientAccumulator {
 public:
  enum class Mode { mean, sum };
  explicit GradientAccumulator(int micro_batches, Mode mode = Mode::mean);

  float loss_scale() const { return mode_ == Mode::mean ? 1.0f / float(micro_batches_) : 1.0f; }
  // Call after each micro-batch's backward(); true (and the count restarts) when a step is due.
  bool micro_batch_done();
  int pending() const { return pending_; }  // micro-batches accumulated since the last step
  int micro_batches() const { return micro_batches_; }

 private:
  int micro_batches_;
  Mode mode_;
  int pending_ = 0;
};

}  // namespace fc
