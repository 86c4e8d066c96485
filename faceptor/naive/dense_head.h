// Naive Faceptor's dense head (the official MMSEG_UPerHead): a ViT feature pyramid from four
// encoder layers and mmseg's UPerHead (pyramid pooling + FPN), one per dense task kind
// ("parsing", "align"); the head's output channels are split among its tasks in order. Port of
// faceptor_project/core/model/heads/task_specific_heads.py (_make_fpns for patch 16,
// MMSEG_UPerHead) and mmseg's decode_heads/uper_head.py + psp_head.py (PPM) + decode_head.py
// (conv_seg, Dropout2d), with their parameter names (fpns.0.0, head.psp_modules.0.1.conv, ...).
// mmseg settings used there: align_corners=False, SyncBN (eps 1e-5), ReLU, ConvModule convs
// without bias (a norm follows), conv_seg with bias.
//
// Letter key: B batch, C encoder width, S grid side, D head channels (512), K output channels
// (sum of the tasks' outputs).
//
//   DenseHead head(spec, {19, 11}, config.encoder.width, config.naive);
//   Tensor logits = head.forward(encoder_output, rng);          // (B, K, 4S, 4S)
//   Tensor parsing = head.task_output(logits, "parsing_lapa");  // (B, 11, 4S, 4S), a view
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "faceptor/config.h"
#include "faceptor/encoder.h"
#include "nn/conv.h"
#include "nn/norm.h"

namespace fc::faceptor::naive {

// mmcv's ConvModule with norm_cfg SyncBN and the default ReLU: conv (no bias) -> bn -> relu.
class ConvBnRelu : public Module {
 public:
  ConvBnRelu(int in_channels, int out_channels, int kernel);  // padding kernel / 2
  Tensor forward(const Tensor& x) const;                      // x (B, I, H, W) -> (B, O, H, W)
  Conv2d conv;
  BatchNorm bn;
};

// _make_fpns(16, C): four scales from four (B, C, S, S) maps: fpns.0 = ConvT 2x2 s2, BN, GELU
// (erf), ConvT 2x2 s2 (4S); fpns.1 = ConvT 2x2 s2 (2S); fpns.2 = identity (S); fpns.3 = max pool
// 2x2 s2 (S/2, floor).
class VitFeaturePyramid : public Module {
 public:
  explicit VitFeaturePyramid(int width);
  std::vector<Tensor> forward(const std::vector<Tensor>& maps) const;  // 4 x (B, C, S, S)
  ConvTranspose2d fpn0_up1;  // fpns.0.0
  BatchNorm fpn0_norm;       // fpns.0.1
  ConvTranspose2d fpn0_up2;  // fpns.0.3
  ConvTranspose2d fpn1_up;   // fpns.1
};

// mmseg UPerHead(in_channels 4 x C, pool_scales, channels D, num_classes K), registered as "head".
class UperHead : public Module {
 public:
  UperHead(int width, int channels, int classes, const std::vector<int>& pool_scales, float dropout_rate);
  // pyramid: 4 maps (B, C, H_i, W_i), finest first -> (B, K, H_0, W_0)
  Tensor forward(const std::vector<Tensor>& pyramid, Rng* rng) const;

  std::vector<int> pool_scales;
  float dropout_rate;
  Conv2d conv_seg;                                        // 1x1, D -> K, with bias
  std::vector<std::unique_ptr<ConvBnRelu>> psp_modules;   // "psp_modules.i.1": 1x1 after adaptive avg pool
  ConvBnRelu bottleneck;                                  // 3x3, C + scales * D -> D
  std::vector<std::unique_ptr<ConvBnRelu>> lateral_convs; // 1x1, C -> D, for the 3 finer levels
  std::vector<std::unique_ptr<ConvBnRelu>> fpn_convs;     // 3x3, D -> D
  ConvBnRelu fpn_bottleneck;                              // 3x3, 4D -> D
};

class DenseHead : public Module {
 public:
  // `outputs`: each task's channel count (its TaskSpec queries), in spec.tasks order.
  DenseHead(const NaiveHeadSpec& spec, const std::vector<int>& outputs, int width, const NaiveConfig& config);
  Tensor forward(const EncoderOutput& encoder, Rng* rng) const;        // -> (B, K, 4S, 4S)
  Tensor task_output(const Tensor& logits, const std::string& task) const;  // its channel range

  NaiveHeadSpec spec;
  std::vector<int> outputs;
  VitFeaturePyramid fpns;
  UperHead head;
};

}  // namespace fc::faceptor::naive
