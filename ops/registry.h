// The op registry: every public op of ops/ is listed here with how it is differentiated. Tests
// walk this list and fail if an op has no PyTorch fixture case and (when differentiable) no
// finite-difference check, so no op escapes the gradient tests (STYLE.md practice 5).
//
//   for (const OpInfo& op : registered_ops()) if (op.differentiable) ...
#pragma once

#include <string_view>
#include <vector>

namespace fc {

struct OpInfo {
  std::string_view name;
  bool differentiable;
  // Why an op has no backward (argmax: integer result) or is tested apart from the PyTorch
  // fixtures (dropout: random masks cannot match PyTorch's RNG). Empty otherwise.
  std::string_view note = {};
  // false: compared against PyTorch by a dedicated test rather than a fixture case (see note).
  bool fixture_checked = true;
};

const std::vector<OpInfo>& registered_ops();
const OpInfo* find_op(std::string_view name);

}  // namespace fc
