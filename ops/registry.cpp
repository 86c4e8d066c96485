#include "ops/registry.h"

namespace fc {

const std::vector<OpInfo>& registered_ops() {
  // One section per ops/ file, in the order of the files; keep each section next to its file's ops.
  static const std::vector<OpInfo> ops = {
      // ops/elementwise.h
      {"add", true},
      {"sub", true},
      {"mul", true},
      {"div", true},
      {"add_scalar", true},
      {"mul_scalar", true},
      {"rsub_scalar", true},
      {"neg", true},
      // ops/unary.h (activations and pointwise math)
      // ops/reduce.h
      // ops/softmax.h
      // ops/matmul.h
      {"matmul", true},
      {"linear", true},
      // ops/attention.h
      // ops/norm.h
      // ops/conv.h
      // ops/interpolate.h
      // ops/pool.h
      // ops/index.h
      // ops/loss.h
      // ops/dropout.h
  };
  return ops;
}

const OpInfo* find_op(std::string_view name) {
  for (const OpInfo& op : registered_ops())
    if (op.name == name) return &op;
  return nullptr;
}

}  // namespace fc
