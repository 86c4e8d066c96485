// Module: the base of every layer. A module owns its parameters and buffers as named member
// Tensors and registers them (and its child modules) under the names PyTorch's state_dict uses,
// so "transformer.resblocks.3.attn.in_proj_weight" here is the same tensor as there.
//
//   struct Affine : Module {
//     Tensor weight, bias;
//     explicit Affine(int64_t c) {
//       register_parameter("weight", &weight, Tensor::ones({c}));
//       register_parameter("bias", &bias, Tensor::zeros({c}));
//     }
//   };
//   Affine m(4);
//   for (auto& [name, t] : m.named_parameters()) ...;   // "weight", "bias"
//   LoadReport r = m.load_state(tensors);                 // missing / unexpected / misshaped
//
// Modules are neither copyable nor movable: the registry holds pointers to their members. Keep
// lists of sub-modules as std::vector<std::unique_ptr<T>>.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"

namespace fc {

struct LoadReport {
  std::vector<std::string> missing;     // the module has it, the source does not
  std::vector<std::string> unexpected;  // the source has it, the module does not
  std::vector<std::string> misshaped;   // "name: checkpoint (3,4) vs model (4,3)"
  bool ok() const { return missing.empty() && unexpected.empty() && misshaped.empty(); }
  std::string summary() const;  // one line per problem, for error messages
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  using NamedTensors = std::vector<std::pair<std::string, Tensor*>>;
  NamedTensors named_parameters();  // recursive, in registration order, dotted names
  NamedTensors named_buffers();     // running statistics and other non-trained state
  std::vector<Tensor*> parameters();
  int64_t parameter_count();
  // This module and every descendant, depth first ("" for this one, then dotted prefixes).
  std::vector<std::pair<std::string, Module*>> named_modules();

  // Training mode (dropout, batch-norm statistics) for this module and every child. A module in
  // training mode owns its buffers: entering it replaces buffers that share read-only storage
  // (a model loaded zero-copy from an mmap'd file) with writable copies, since batch norm updates
  // its running statistics in place; the file is never written.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void zero_grad();
  // Fresh random weights for training from scratch: calls reset_parameters on every child (in
  // registration order, depth first) and then on this module, all drawing from `rng`. Constructors only allocate
  // (pages untouched), so a model that is about to load weights pays nothing for init.
  void initialize(Rng& rng);
  // Copies (or, for read-only mmap'd sources, shares) tensors by name into parameters and
  // buffers; nothing is changed unless every present tensor has the right shape. Buffers of
  // modules in training mode are copied, never shared (see train()).
  LoadReport load_state(const std::map<std::string, Tensor>& tensors);

 protected:
  // PyTorch's default initialisation of this module's own parameters (not its children's).
  virtual void reset_parameters(Rng& rng) {}
  // `slot` is a member of the derived module; it is set to `init` and marked requires_grad.
  void register_parameter(const std::string& name, Tensor* slot, Tensor init);
  void register_buffer(const std::string& name, Tensor* slot, Tensor init);
  void register_module(const std::string& name, Module* child);

 private:
  void visit(const std::string& prefix, const std::function<void(const std::string&, Module&)>& fn);
  void own_buffers_in_training();
  std::vector<std::pair<std::string, Tensor*>> parameters_, buffers_;
  std::vector<std::pair<std::string, Module*>> children_;
  bool training_ = true;
};

}  // namespace fc
