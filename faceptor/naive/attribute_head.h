// Naive Faceptor's attribute head (the official SwinFaceHead with CBAM's ChannelGate), one per
// task kind ("age", "biattr", "affect"); its per-task Linear layers let one head serve several
// datasets (affect -> affect_affectnet, affect_rafdb). Port of
// faceptor_project/core/model/heads/task_specific_heads.py SwinFaceHead and heads/cbam.py
// ChannelGate, with their parameter names (conv.i, channel_attention.mlp.1/3, norm, feature.0/3,
// fcs.<task>).
//
// Letter key: B batch, C encoder width, S grid side, F head channels (out_features, 512).
//
//   AttributeHead head(spec, config.encoder.width, config.naive);
//   Tensor features = head.features(encoder_output, training_rng);   // (B, F), shared by its tasks
//   Tensor logits = head.task_logits(features, "affect_rafdb");       // (B, 7)
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faceptor/config.h"
#include "faceptor/encoder.h"
#include "nn/conv.h"
#include "nn/linear.h"
#include "nn/norm.h"

namespace fc::faceptor::naive {

// CBAM channel attention (cbam.py ChannelGate, pool_types avg and max): a shared MLP
// F -> F/r -> F over the global average and the global max, summed, sigmoid, scales x.
// "mlp.0" is a Flatten, so the Linears are mlp.1 and mlp.3.
class ChannelGate : public Module {
 public:
  ChannelGate(int channels, int reduction);
  Tensor forward(const Tensor& x) const;  // x (B, F, S, S) -> (B, F, S, S)
  Linear mlp_1, mlp_3;
};

// Dropout of the naive heads: x itself unless training with p > 0, then fc::dropout drawing from
// *rng (an error naming `who` when rng is null).
Tensor head_dropout(const Tensor& x, float p, bool training, Rng* rng, const std::string& who);

class AttributeHead : public Module {
 public:
  // spec.tasks name the per-task Linears; `outputs` gives each one's width (its TaskSpec queries).
  AttributeHead(const NaiveHeadSpec& spec, const std::vector<int>& outputs, int width, const NaiveConfig& config);
  // Everything before the per-task Linear: 4 convs on spec.levels, concat, channel gate, ReLU,
  // global max pool, BatchNorm1d (eps 2e-5), 2 x (Linear, ReLU, Dropout). -> (B, F)
  // `rng` draws the dropout masks in training mode (may be null when the dropout rate is 0).
  Tensor features(const EncoderOutput& encoder, Rng* rng) const;
  Tensor task_logits(const Tensor& features, const std::string& task) const;  // -> (B, outputs)

  NaiveHeadSpec spec;
  float dropout_rate;
  std::vector<std::unique_ptr<Conv2d>> conv;  // (F/4, C, k, k) each, no bias
  ChannelGate channel_attention;
  BatchNorm norm;
  Linear feature_0, feature_3;
  std::map<std::string, std::unique_ptr<Linear>> fcs;
};

}  // namespace fc::faceptor::naive
