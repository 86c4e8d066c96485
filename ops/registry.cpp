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
      {"exp", true},
      {"log", true},
      {"sqrt", true},
      {"rsqrt", true},
      {"pow", true},
      {"abs", true},
      {"clamp", true},
      {"relu", true},
      {"gelu", true},
      {"quick_gelu", true},
      {"sigmoid", true},
      {"tanh", true},
      // ops/reduce.h
      {"sum", true},
      {"mean", true},
      {"max", true},
      {"argmax", false, "returns indices (as float32 values), which have no gradient"},
      // ops/softmax.h
      {"softmax", true},
      {"log_softmax", true},
      // ops/matmul.h
      {"matmul", true},
      {"linear", true},
      // ops/attention.h
      {"scaled_dot_product_attention", true},
      {"self_attention_packed", true},
      // ops/norm.h
      {"layer_norm", true},
      {"layer_norm_channels", true},
      {"batch_norm", true},
      // ops/conv.h
      {"conv2d", true},
      {"conv_transpose2d", true},
      // ops/interpolate.h
      {"interpolate", true},
      // ops/pool.h
      {"max_pool2d", true},
      {"avg_pool2d", true},
      {"adaptive_avg_pool2d", true},
      {"adaptive_max_pool2d", true},
      // ops/index.h
      {"concat", true},
      {"split", true},
      {"index_select", true},
      {"gather", true},
      {"embedding", true},
      // ops/loss.h
      {"cross_entropy", true},
      {"binary_cross_entropy_with_logits", true},
      {"kl_div", true},
      {"l1_loss", true},
      {"mse_loss", true},
      // ops/dropout.h
      {"dropout", true, "random mask: cannot match PyTorch's RNG; tests/test_dropout.cpp checks statistics, scaling, "
                        "determinism and mask-consistent gradients", false},
      {"drop_path", true, "random per-slice mask: cannot match PyTorch's RNG; tests/test_dropout.cpp checks it", false},
  };
  return ops;
}

const OpInfo* find_op(std::string_view name) {
  for (const OpInfo& op : registered_ops())
    if (op.name == name) return &op;
  return nullptr;
}

}  // namespace fc
