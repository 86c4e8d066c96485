// Optimizers (AdamW, SGD with momentum) over named parameter groups, and the builder that splits
// a Module's parameters into groups (learning-rate multipliers, no-decay sets) by rules that are
// plain data.
//
//   std::vector<ParamGroup> groups = build_param_groups(model, ParamGroupRules{});
//   AdamW opt(groups, {.lr = 5e-5, .weight_decay = 0.05});   // weight_decay fills groups left at -1
//   loss.backward();
//   clip_grad_norm(groups, 5.0);                              // nn/grad_utils.h
//   opt.set_lr(schedule.lr(step));                            // nn/schedule.h; group lr = lr * multiplier
//   opt.step();
//   opt.zero_grad();
//   write_safetensors("opt.safetensors", opt.state_tensors());  // resume: opt.load_state_tensors(...)
//
// Parameters are the Module's own slots (Tensor*), so a step is seen by the model at once. A slot
// whose storage is read-only (weights loaded zero-copy from an mmap'd file) or not contiguous is
// replaced by an owned contiguous clone (requires_grad and the accumulated grad kept) just before
// its first update: the module then holds the clone, but any Tensor handle copied from the slot
// earlier still sees the old, unchanged weights.
//
// Numerics follow torch.optim (1.13, single-tensor path) operation by operation in float32, with
// scalars formed in double and rounded to float where PyTorch rounds them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "nn/module.h"

namespace fc {

struct ParamGroup {
  std::string name;                // "default", "decoder", "decoder.no_decay", ...
  Module::NamedTensors parameters; // (dotted name, the module's slot); names key optimizer state
  double lr_multiplier = 1.0;      // the group trains at optimizer lr * lr_multiplier
  double weight_decay = -1.0;      // < 0: take the optimizer's default
};

// A parameter whose dotted name has `component` as one of its components ("decoder" matches
// "decoder.layers.0.weight" and "heads.decoder.w", not "mydecoder.w") joins group `group` and
// trains at lr * multiplier. The first matching rule wins.
struct LrMultiplierRule {
  std::string group;
  std::string component;
  double multiplier = 1.0;
};

// Rules for build_param_groups. Defaults (the usual ViT fine-tuning practice):
//   - decoder / interpreters / heads / losses parameters train at 10x lr (the Faceptor recipe's
//     decoder_, interpreters_, heads_ and losses_multiplier);
//   - weight decay `weight_decay` (0.05) except, in a "<group>.no_decay" group, parameters with
//     ndim <= 1 (norm weights and biases, class embeddings) and parameters whose name contains a
//     no_decay_substrings entry (positional / level embeddings, decoder query tables).
// The released Faceptor code decays every parameter: faceptor_released() reproduces that.
struct ParamGroupRules {
  double weight_decay = 0.05;
  std::vector<LrMultiplierRule> lr_rules = {{"decoder", "decoder", 10.0},
                                            {"interpreters", "interpreters", 10.0},
                                            {"heads", "heads", 10.0},
                                            {"losses", "losses", 10.0}};
  bool no_decay_for_vectors = true;
  std::vector<std::string> no_decay_substrings = {"class_embedding", "positional_embedding", "pos_embed",
                                                  "level_embed", "query_embed", "query_feat"};
  std::string default_group = "default";

  // Same multipliers, weight decay on everything (core/solver/solver.py create_optimizer).
  static ParamGroupRules faceptor_released();
};

// Groups in order of first appearance in module.named_parameters(); parameters keep that order.
std::vector<ParamGroup> build_param_groups(Module& module, const ParamGroupRules& rules = {});
// One group holding every parameter (multiplier 1, the optimizer's default weight decay).
std::vector<ParamGroup> single_param_group(Module& module);

// Optimizer state as named tensors, for a checkpoint: "<param>.<buffer>" per parameter
// ("<param>.step" is a 0-dim float tensor, exact up to 2^24 steps) and "step" for step_count().
using StateTensors = std::vector<std::pair<std::string, Tensor>>;

class Optimizer {
 public:
  Optimizer(std::vector<ParamGroup> groups, double lr, double default_weight_decay);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient; parameters without one (undefined grad())
  // are skipped and their per-parameter step does not advance, as in PyTorch.
  void step();
  void zero_grad();  // drops every parameter's gradient

  void set_lr(double lr) { lr_ = lr; }  // the base lr; each group uses lr * its multiplier
  double lr() const { return lr_; }
  double group_lr(size_t group) const { return lr_ * groups_.at(group).lr_multiplier; }
  const std::vector<ParamGroup>& groups() const { return groups_; }
  int64_t step_count() const { return step_count_; }  // step() calls so far

  // The live state (no copy: a model-sized buffer twice over); write it out before the next step().
  StateTensors state_tensors() const;
  // Replaces the state with a copy of `state` (safe to pass read-only mmap'd tensors). Throws on
  // a name that is not this optimizer's or a shape that does not match its parameter; parameters
  // absent from `state` start fresh.
  void load_state_tensors(const StateTensors& state);

 protected:
  struct ParamState {
    int64_t step = 0;
    std::map<std::string, Tensor> buffers;  // "exp_avg", "momentum_buffer", ...
  };
  // Updates elements [begin, end) of one parameter; elementwise, so any split gives the same result.
  using RangeUpdate = std::function<void(int64_t begin, int64_t end)>;
  // Called once per parameter and step, serially: advances `state` (step count, buffers) and
  // returns the elementwise update, which step() then runs in chunks across threads (one big
  // parallel loop over the whole model, not one thread team per small tensor).
  // param, grad contiguous, `n` elements each, alive until the update has run; param writable.
  // lr already includes the group's multiplier.
  virtual RangeUpdate prepare(float* param, const float* grad, int64_t n, double lr, double weight_decay,
                              ParamState& state, const Shape& shape) = 0;
  // Buffer names this optimizer may keep per parameter, to validate a loaded state.
  virtual std::vector<std::string> buffer_names() const = 0;

 private:
  std::vector<ParamGroup> groups_;
  double lr_;
  int64_t step_count_ = 0;
  std::map<std::string, ParamState> state_;  // by parameter name
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;  // torch.optim.AdamW's default; groups may override
};

// torch.optim.AdamW: p *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). State: exp_avg, exp_avg_sq.
class AdamW : public Optimizer {
 public:
  AdamW(std::vector<ParamGroup> groups, AdamWOptions options);
  const AdamWOptions& options() const { return options_; }

 protected:
  RangeUpdate prepare(float* param, const float* grad, int64_t n, double lr, double weight_decay,
                      ParamState& state, const Shape& shape) override;
  std::vector<std::string> buffer_names() const override { return {"exp_avg", "exp_avg_sq"}; }

 private:
  AdamWOptions options_;
};

struct SGDOptions {
  double lr = 1e-2;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;  // coupled: added to the gradient
  bool nesterov = false;
};

// torch.optim.SGD: d = g + wd*p; buf = d on the first step, else momentum*buf + (1-dampening)*d;
// d = nesterov ? d + momentum*buf : buf; p -= lr*d. State: momentum_buffer (when momentum != 0).
class SGD : public Optimizer {
 public:
  SGD(std::vector<ParamGroup> groups, SGDOptions options);
  const SGDOptions& options() const { return options_; }

 protected:
  RangeUpdate prepare(float* param, const float* grad, int64_t n, double lr, double weight_decay,
                      ParamState& state, const Shape& shape) override;
  std::vector<std::string> buffer_names() const override { return {"momentum_buffer"}; }

 private:
  SGDOptions options_;
};

}  // namespace fc
