#include "faceptor/naive/dense_head.h"

#include <numeric>

#include "core/error.h"
#include "faceptor/naive/attribute_head.h"
#include "ops/elementwise.h"
#include "ops/index.h"
#include "ops/interpolate.h"
#include "ops/pool.h"
#include "ops/unary.h"

namespace fc::faceptor::naive {
namespace {

// mmseg's resize(..., mode='bilinear', align_corners=False) to another map's size.
Tensor resize_like(const Tensor& x, const Tensor& like) {
  return interpolate(x, like.size(2), like.size(3), InterpolateMode::bilinear, false);
}

}  // namespace

ConvBnRelu::ConvBnRelu(int in_channels, int out_channels, int kernel)
    : conv(in_channels, out_channels, kernel, 1, kernel / 2, false), bn(out_channels, 1e-5f) {
  register_module("conv", &conv);
  register_module("bn", &bn);
}

Tensor ConvBnRelu::forward(const Tensor& x) const { return relu(bn.forward(conv.forward(x))); }

VitFeaturePyramid::VitFeaturePyramid(int width)
    : fpn0_up1(width, width, 2, 2), fpn0_norm(width, 1e-5f), fpn0_up2(width, width, 2, 2), fpn1_up(width, width, 2, 2) {
  register_module("0.0", &fpn0_up1);
  register_module("0.1", &fpn0_norm);
  register_module("0.3", &fpn0_up2);
  register_module("1", &fpn1_up);
}

std::vector<Tensor> VitFeaturePyramid::forward(const std::vector<Tensor>& maps) const {
  FC_CHECK(maps.size() == 4, "VitFeaturePyramid: expected 4 feature maps, got ", maps.size());
  return {fpn0_up2.forward(gelu(fpn0_norm.forward(fpn0_up1.forward(maps[0])))), fpn1_up.forward(maps[1]), maps[2],
          max_pool2d(maps[3], 2, 2)};
}

UperHead::UperHead(int width, int channels, int classes, const std::vector<int>& scales, float dropout)
    : pool_scales(scales),
      dropout_rate(dropout),
      conv_seg(channels, classes, 1),
      bottleneck(width + static_cast<int>(scales.size()) * channels, channels, 3),
      fpn_bottleneck(4 * channels, channels, 3) {
  register_module("conv_seg", &conv_seg);
  for (size_t i = 0; i < scales.size(); ++i) {
    psp_modules.push_back(std::make_unique<ConvBnRelu>(width, channels, 1));
    register_module("psp_modules." + std::to_string(i) + ".1", psp_modules.back().get());
  }
  register_module("bottleneck", &bottleneck);
  for (int i = 0; i < 3; ++i) {
    lateral_convs.push_back(std::make_unique<ConvBnRelu>(width, channels, 1));
    register_module("lateral_convs." + std::to_string(i), lateral_convs.back().get());
  }
  for (int i = 0; i < 3; ++i) {
    fpn_convs.push_back(std::make_unique<ConvBnRelu>(channels, channels, 3));
    register_module("fpn_convs." + std::to_string(i), fpn_convs.back().get());
  }
  register_module("fpn_bottleneck", &fpn_bottleneck);
}

Tensor UperHead::forward(const std::vector<Tensor>& pyramid, Rng* rng) const {
  FC_CHECK(pyramid.size() == 4, "UperHead: expected 4 pyramid levels, got ", pyramid.size());
  // ref: uper_head.py psp_forward + PPM.forward: the coarsest level and its pooled versions.
  const Tensor& top = pyramid[3];
  std::vector<Tensor> psp = {top};
  for (size_t i = 0; i < pool_scales.size(); ++i)
    psp.push_back(resize_like(psp_modules[i]->forward(adaptive_avg_pool2d(top, pool_scales[i], pool_scales[i])), top));
  std::vector<Tensor> laterals;
  for (int i = 0; i < 3; ++i) laterals.push_back(lateral_convs[i]->forward(pyramid[i]));
  laterals.push_back(bottleneck.forward(concat(psp, 1)));
  // Top-down: each level adds the already-updated coarser one.
  for (int i = 3; i > 0; --i) laterals[i - 1] = laterals[i - 1] + resize_like(laterals[i], laterals[i - 1]);
  std::vector<Tensor> outs;
  for (int i = 0; i < 3; ++i) outs.push_back(fpn_convs[i]->forward(laterals[i]));
  outs.push_back(laterals[3]);
  for (int i = 3; i > 0; --i) outs[i] = resize_like(outs[i], outs[0]);
  Tensor x = fpn_bottleneck.forward(concat(outs, 1));
  if (is_training() && dropout_rate > 0) {
    // Dropout2d zeroes whole channels: dropout of a (B, D, 1, 1) ones tensor is that mask.
    Tensor mask = head_dropout(Tensor::ones({x.size(0), x.size(1), 1, 1}), dropout_rate, true, rng, "UperHead");
    x = x * mask;
  }
  return conv_seg.forward(x);
}

DenseHead::DenseHead(const NaiveHeadSpec& spec_, const std::vector<int>& outputs_, int width, const NaiveConfig& config)
    : spec(spec_),
      outputs(outputs_),
      fpns(width),
      head(width, config.dense_channels, std::accumulate(outputs_.begin(), outputs_.end(), 0), config.pool_scales,
           config.dense_dropout) {
  FC_CHECK(outputs.size() == spec.tasks.size(), "DenseHead ", spec.name, ": ", outputs.size(), " output sizes for ",
           spec.tasks.size(), " tasks");
  register_module("fpns", &fpns);
  register_module("head", &head);
}

Tensor DenseHead::forward(const EncoderOutput& encoder, Rng* rng) const {
  std::vector<Tensor> maps;
  for (int level : spec.levels) maps.push_back(encoder.feature_map(level));
  return head.forward(fpns.forward(maps), rng);
}

Tensor DenseHead::task_output(const Tensor& logits, const std::string& task) const {
  int64_t start = 0;
  for (size_t i = 0; i < spec.tasks.size(); ++i) {
    if (spec.tasks[i] == task) return logits.narrow(1, start, outputs[i]);
    start += outputs[i];
  }
  throw Error(str_cat("DenseHead ", spec.name, ": no output for task '", task, "'"));
}

}  // namespace fc::faceptor::naive
