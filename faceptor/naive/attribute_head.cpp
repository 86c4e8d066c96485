#include "faceptor/naive/attribute_head.h"

#include "core/error.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/index.h"
#include "ops/pool.h"
#include "ops/unary.h"

namespace fc::faceptor::naive {

Tensor head_dropout(const Tensor& x, float p, bool training, Rng* rng, const std::string& who) {
  if (!training || p == 0) return x;
  FC_CHECK(rng != nullptr, who, ": training with dropout ", p, " needs RunOptions::rng");
  return dropout(x, p, true, *rng);
}

ChannelGate::ChannelGate(int channels, int reduction)
    : mlp_1(channels, channels / reduction), mlp_3(channels / reduction, channels) {
  register_module("mlp.1", &mlp_1);
  register_module("mlp.3", &mlp_3);
}

Tensor ChannelGate::forward(const Tensor& x) const {
  const int64_t B = x.size(0), F = x.size(1);
  auto mlp = [&](const Tensor& pooled) { return mlp_3.forward(relu(mlp_1.forward(pooled.reshape({B, F})))); };
  // cbam.py pools with a kernel the size of the map: the same as a 1x1 adaptive pool.
  Tensor attention = mlp(adaptive_avg_pool2d(x, 1, 1)) + mlp(adaptive_max_pool2d(x, 1, 1));
  return x * sigmoid(attention).reshape({B, F, 1, 1});
}

AttributeHead::AttributeHead(const NaiveHeadSpec& spec_, const std::vector<int>& outputs, int width,
                             const NaiveConfig& config)
    : spec(spec_),
      dropout_rate(config.attribute_dropout),
      channel_attention(config.attribute_channels, config.gate_reduction),
      norm(config.attribute_channels, 2e-5f),
      feature_0(config.attribute_channels, config.attribute_channels),
      feature_3(config.attribute_channels, config.attribute_channels) {
  FC_CHECK(outputs.size() == spec.tasks.size(), "AttributeHead ", spec.name, ": ", outputs.size(), " output sizes for ",
           spec.tasks.size(), " tasks");
  const int k = config.attribute_kernel;
  for (size_t i = 0; i < spec.levels.size(); ++i) {
    conv.push_back(std::make_unique<Conv2d>(width, config.attribute_channels / 4, k, 1, (k - 1) / 2, false));
    register_module("conv." + std::to_string(i), conv.back().get());
  }
  register_module("channel_attention", &channel_attention);
  register_module("norm", &norm);
  register_module("feature.0", &feature_0);
  register_module("feature.3", &feature_3);
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    auto fc = std::make_unique<Linear>(config.attribute_channels, outputs[i]);
    register_module("fcs." + spec.tasks[i], fc.get());
    fcs.emplace(spec.tasks[i], std::move(fc));
  }
}

Tensor AttributeHead::features(const EncoderOutput& encoder, Rng* rng) const {
  std::vector<Tensor> maps;
  for (size_t i = 0; i < conv.size(); ++i) maps.push_back(conv[i]->forward(encoder.feature_map(spec.levels[i])));
  Tensor x = relu(channel_attention.forward(concat(maps, 1)));  // (B, F, S, S)
  const int64_t B = x.size(0), F = x.size(1);
  x = norm.forward(adaptive_max_pool2d(x, 1, 1).reshape({B, F}));
  const std::string who = "AttributeHead " + spec.name;
  x = head_dropout(relu(feature_0.forward(x)), dropout_rate, is_training(), rng, who);
  return head_dropout(relu(feature_3.forward(x)), dropout_rate, is_training(), rng, who);
}

Tensor AttributeHead::task_logits(const Tensor& features, const std::string& task) const {
  auto it = fcs.find(task);
  FC_CHECK(it != fcs.end(), "AttributeHead ", spec.name, ": no output for task '", task, "'");
  return it->second->forward(features);
}

}  // namespace fc::faceptor::naive
