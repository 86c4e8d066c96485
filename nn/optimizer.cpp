#include "nn/optimizer.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/autograd.h"
#include "core/error.h"
#include "nn/adamw_kernel.h"
#include "nn/param_chunks.h"

namespace fc {

namespace {

bool has_component(const std::string& name, const std::string& component) {
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('.', start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, component) == 0 && end - start == component.size()) return true;
    start = end + 1;
  }
  return false;
}

bool exempt_from_decay(const std::string& name, const Tensor& t, const ParamGroupRules& rules) {
  if (rules.no_decay_for_vectors && t.ndim() <= 1) return true;
  for (const auto& s : rules.no_decay_substrings)
    if (name.find(s) != std::string::npos) return true;
  return false;
}

// An owned, contiguous slot the optimizer may write in place (see the header on read-only weights).
void make_writable(Tensor& slot) {
  if (!slot.storage()->read_only() && slot.is_contiguous()) return;
  NoGradGuard no_grad;
  Tensor grad = slot.grad();
  const bool requires_grad = slot.requires_grad();
  slot = slot.detach().clone();
  slot.set_requires_grad(requires_grad);
  if (grad.defined()) slot.set_grad(grad);
}

}  // namespace

ParamGroupRules ParamGroupRules::faceptor_released() {
  ParamGroupRules rules;
  rules.no_decay_for_vectors = false;
  rules.no_decay_substrings.clear();
  return rules;
}

std::vector<ParamGroup> build_param_groups(Module& module, const ParamGroupRules& rules) {
  std::vector<ParamGroup> groups;
  std::map<std::string, size_t> index;
  for (auto& [name, slot] : module.named_parameters()) {
    std::string group = rules.default_group;
    double multiplier = 1.0;
    for (const auto& rule : rules.lr_rules) {
      if (has_component(name, rule.component)) {
        group = rule.group;
        multiplier = rule.multiplier;
        break;
      }
    }
    const bool no_decay = exempt_from_decay(name, *slot, rules);
    if (no_decay) group += ".no_decay";
    auto [it, fresh] = index.emplace(group, groups.size());
    if (fresh) groups.push_back({group, {}, multiplier, no_decay ? 0.0 : rules.weight_decay});
    groups[it->second].parameters.emplace_back(name, slot);
  }
  return groups;
}

std::vector<ParamGroup> single_param_group(Module& module) {
  return {ParamGroup{"default", module.named_parameters(), 1.0, -1.0}};
}

Optimizer::Optimizer(std::vector<ParamGroup> groups, double lr, double default_weight_decay)
    : groups_(std::move(groups)), lr_(lr) {
  std::set<std::string> names;
  for (auto& g : groups_) {
    if (g.weight_decay < 0) g.weight_decay = default_weight_decay;
    for (auto& [name, slot] : g.parameters) {
      FC_CHECK(slot != nullptr && slot->defined(), "optimizer: parameter ", name, " is undefined");
      FC_CHECK(names.insert(name).second, "optimizer: parameter ", name, " appears twice (group ", g.name, ")");
    }
  }
}

void Optimizer::step() {
  NoGradGuard no_grad;
  std::vector<Tensor> grads;  // keeps contiguous copies (if any) alive until the updates ran
  std::vector<RangeUpdate> updates;
  std::vector<int64_t> sizes;
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const ParamGroup& g = groups_[gi];
    for (auto& [name, slot] : g.parameters) {
      if (!slot->grad().defined()) continue;
      FC_CHECK(slot->grad().shape() == slot->shape(), "optimizer: gradient of ", name, " is ", slot->grad().shape(),
               " but the parameter is ", slot->shape());
      make_writable(*slot);
      grads.push_back(slot->grad().contiguous());
      updates.push_back(prepare(slot->mutable_data(), grads.back().data(), slot->numel(), group_lr(gi),
                                g.weight_decay, state_[name], slot->shape()));
      sizes.push_back(slot->numel());
    }
  }
  const std::vector<ParamChunk> chunks = split_into_chunks(sizes);
#pragma omp parallel for schedule(dynamic, 1) if (chunks.size() > 1)
  for (size_t c = 0; c < chunks.size(); ++c) updates[chunks[c].item](chunks[c].begin, chunks[c].end);
  ++step_count_;
}

void Optimizer::zero_grad() {
  for (auto& g : groups_)
    for (auto& [name, slot] : g.parameters) slot->zero_grad();
}

StateTensors Optimizer::state_tensors() const {
  constexpr int64_t kExactFloatInteger = int64_t(1) << 24;
  FC_CHECK(step_count_ <= kExactFloatInteger, "optimizer: step count ", step_count_, " is not exact in float32");
  StateTensors out;
  out.emplace_back("step", Tensor::scalar(float(step_count_)));
  for (const auto& g : groups_) {
    for (const auto& [name, slot] : g.parameters) {
      auto it = state_.find(name);
      if (it == state_.end() || it->second.step == 0) continue;
      out.emplace_back(name + ".step", Tensor::scalar(float(it->second.step)));
      for (const auto& [buffer, t] : it->second.buffers) out.emplace_back(name + "." + buffer, t);
    }
  }
  return out;
}

void Optimizer::load_state_tensors(const StateTensors& state) {
  std::map<std::string, const Tensor*> shape_of;
  for (const auto& g : groups_)
    for (const auto& [name, slot] : g.parameters) shape_of[name] = slot;
  const std::vector<std::string> buffers = buffer_names();

  std::map<std::string, ParamState> loaded;
  int64_t step_count = 0;
  NoGradGuard no_grad;
  for (const auto& [key, t] : state) {
    if (key == "step") {
      FC_CHECK(t.numel() == 1, "load_state_tensors: step is ", t.shape(), ", expected one element");
      step_count = int64_t(t.item());
      continue;
    }
    const size_t dot = key.rfind('.');
    FC_CHECK(dot != std::string::npos, "load_state_tensors: ", key, " is not <parameter>.<state>");
    const std::string param = key.substr(0, dot), what = key.substr(dot + 1);
    auto p = shape_of.find(param);
    FC_CHECK(p != shape_of.end(), "load_state_tensors: ", key, ": no parameter ", param, " in this optimizer");
    if (what == "step") {
      FC_CHECK(t.numel() == 1, "load_state_tensors: ", key, " is ", t.shape(), ", expected one element");
      loaded[param].step = int64_t(t.item());
      continue;
    }
    FC_CHECK(std::find(buffers.begin(), buffers.end(), what) != buffers.end(), "load_state_tensors: ", key,
             ": this optimizer keeps no state named ", what);
    FC_CHECK(t.shape() == p->second->shape(), "load_state_tensors: ", key, " is ", t.shape(), " but ", param, " is ",
             p->second->shape());
    // A copy in owned memory: the update writes state in place, and the source may be an mmap.
    loaded[param].buffers[what] = t.detach().clone();
  }
  for (const auto& [param, s] : loaded) {
    FC_CHECK(s.step > 0 || s.buffers.empty(), "load_state_tensors: ", param, " has buffers but no step");
    FC_CHECK(s.buffers.empty() || s.buffers.size() == buffers.size(), "load_state_tensors: ", param, " has ",
             s.buffers.size(), " of its ", buffers.size(), " state buffers");
  }
  state_ = std::move(loaded);
  step_count_ = step_count;
}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions options)
    : Optimizer(std::move(groups), options.lr, options.weight_decay), options_(options) {}

Optimizer::RangeUpdate AdamW::prepare(float* p, const float* g, int64_t n, double lr, double weight_decay,
                                      ParamState& state, const Shape& shape) {
  Tensor& exp_avg = state.buffers["exp_avg"];
  Tensor& exp_avg_sq = state.buffers["exp_avg_sq"];
  if (!exp_avg.defined()) exp_avg = Tensor::zeros(shape);
  if (!exp_avg_sq.defined()) exp_avg_sq = Tensor::zeros(shape);
  float* m = exp_avg.mutable_data();
  float* v = exp_avg_sq.mutable_data();
  const double step = double(++state.step);
  const double beta1 = options_.beta1, beta2 = options_.beta2;
  // Python floats become float32 scalars when they meet a float32 tensor, so round them as torch does.
  AdamWScalars s;
  s.decay = float(1.0 - lr * weight_decay);
  s.beta1 = float(beta1), s.one_minus_beta1 = float(1.0 - beta1);
  s.beta2 = float(beta2), s.one_minus_beta2 = float(1.0 - beta2);
  s.bias_correction2_sqrt = float(std::sqrt(1.0 - std::pow(beta2, step)));
  s.neg_step_size = float(-(lr / (1.0 - std::pow(beta1, step))));
  s.eps = float(options_.eps);
  return [=](int64_t begin, int64_t end) { adamw_update(p + begin, g + begin, m + begin, v + begin, end - begin, s); };
}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions options)
    : Optimizer(std::move(groups), options.lr, options.weight_decay), options_(options) {
  FC_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
           "SGD: nesterov needs momentum > 0 and dampening 0");
}

Optimizer::RangeUpdate SGD::prepare(float* p, const float* g, int64_t n, double lr, double weight_decay,
                                    ParamState& state, const Shape& shape) {
  const float wd = float(weight_decay), momentum = float(options_.momentum);
  const float one_minus_dampening = float(1.0 - options_.dampening), neg_lr = float(-lr);
  const bool nesterov = options_.nesterov;
  float* buf = nullptr;
  bool first = false;
  if (options_.momentum != 0) {
    Tensor& b = state.buffers["momentum_buffer"];
    first = !b.defined();
    if (first) b = Tensor::empty(shape);
    buf = b.mutable_data();
  }
  ++state.step;
  return [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float d = weight_decay != 0 ? std::fma(p[i], wd, g[i]) : g[i];
      if (buf) {
        buf[i] = first ? d : std::fma(d, one_minus_dampening, buf[i] * momentum);
        d = nesterov ? std::fma(buf[i], momentum, d) : buf[i];
      }
      p[i] = std::fma(d, neg_lr, p[i]);
    }
  };
}

}  // namespace fc
