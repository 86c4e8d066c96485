#include "nn/module.h"

#include <set>
#include <sstream>

#include "core/autograd.h"
#include "core/error.h"

namespace fc {

std::string LoadReport::summary() const {
  std::ostringstream out;
  for (const auto& n : missing) out << "missing: " << n << '\n';
  for (const auto& n : unexpected) out << "unexpected: " << n << '\n';
  for (const auto& n : misshaped) out << "wrong shape: " << n << '\n';
  return out.str();
}

void Module::register_parameter(const std::string& name, Tensor* slot, Tensor init) {
  *slot = std::move(init);
  slot->set_requires_grad(true);
  parameters_.emplace_back(name, slot);
}

void Module::register_buffer(const std::string& name, Tensor* slot, Tensor init) {
  *slot = std::move(init);
  buffers_.emplace_back(name, slot);
}

void Module::register_module(const std::string& name, Module* child) { children_.emplace_back(name, child); }

void Module::visit(const std::string& prefix, const std::function<void(const std::string&, Module&)>& fn) {
  fn(prefix, *this);
  for (auto& [name, child] : children_) child->visit(prefix + name + ".", fn);
}

Module::NamedTensors Module::named_parameters() {
  NamedTensors out;
  visit("", [&](const std::string& prefix, Module& m) {
    for (auto& [name, t] : m.parameters_) out.emplace_back(prefix + name, t);
  });
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  visit("", [&](const std::string& prefix, Module& m) {
    out.emplace_back(prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1), &m);
  });
  return out;
}

Module::NamedTensors Module::named_buffers() {
  NamedTensors out;
  visit("", [&](const std::string& prefix, Module& m) {
    for (auto& [name, t] : m.buffers_) out.emplace_back(prefix + name, t);
  });
  return out;
}

std::vector<Tensor*> Module::parameters() {
  std::vector<Tensor*> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

int64_t Module::parameter_count() {
  int64_t n = 0;
  for (Tensor* t : parameters()) n += t->numel();
  return n;
}

void Module::train(bool on) {
  visit("", [&](const std::string&, Module& m) { m.training_ = on; });
  own_buffers_in_training();
}

void Module::own_buffers_in_training() {
  visit("", [](const std::string&, Module& m) {
    if (!m.training_) return;
    for (auto& [name, slot] : m.buffers_)
      if (slot->defined() && slot->storage()->read_only()) {
        NoGradGuard no_grad;
        *slot = slot->detach().clone();
      }
  });
}

void Module::zero_grad() {
  for (Tensor* t : parameters()) t->zero_grad();
}

void Module::initialize(Rng& rng) {
  // Children first, so a parent can override a child's default (e.g. a decoder's U(0, 1) query
  // positions over Embedding's N(0, 1)).
  for (auto& [name, child] : children_) child->initialize(rng);
  reset_parameters(rng);
}

LoadReport Module::load_state(const std::map<std::string, Tensor>& tensors) {
  LoadReport report;
  NamedTensors slots = named_parameters();
  for (auto& b : named_buffers()) slots.push_back(b);
  std::set<std::string> known;
  for (auto& [name, slot] : slots) {
    known.insert(name);
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      report.missing.push_back(name);
    } else if (it->second.shape() != slot->shape()) {
      report.misshaped.push_back(str_cat(name, ": source ", it->second.shape(), " vs model ", slot->shape()));
    }
  }
  for (auto& [name, t] : tensors)
    if (!known.count(name)) report.unexpected.push_back(name);
  if (!report.misshaped.empty()) return report;
  for (auto& [name, slot] : slots) {
    auto it = tensors.find(name);
    if (it == tensors.end()) continue;
    const bool was_parameter = slot->requires_grad();
    // Share the source's memory (zero-copy for an mmap'd file); a parameter that is later trained
    // must be cloned by the optimizer before writing, since mapped storage is read-only.
    *slot = it->second.detach();
    if (was_parameter) slot->set_requires_grad(true);
  }
  own_buffers_in_training();
  return report;
}

}  // namespace fc
