#include "faceptor/encoder.h"

#include <cmath>

#include "core/error.h"
#include "nn/init.h"
#include "ops/conv.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/index.h"
#include "ops/interpolate.h"
#include "ops/unary.h"

namespace fc::faceptor {

EncoderBlock::EncoderBlock(int width, int heads, float drop_path_probability)
    : attn(width, heads),
      ln_1(width),
      c_fc(width, 4 * width),
      c_proj(4 * width, width),
      ln_2(width),
      drop_path(drop_path_probability) {
  register_module("attn", &attn);
  register_module("ln_1", &ln_1);
  register_module("mlp.c_fc", &c_fc);  // a dotted name stands in for PyTorch's nn.Sequential "mlp"
  register_module("mlp.c_proj", &c_proj);
  register_module("ln_2", &ln_2);
}

// Drop path is per sample here (timm's DropPath on batch-first (B, N, C) tensors): a dropped
// sample skips the whole branch. The released farl_vit.py applies DropPath to sequence-first
// (N, B, C) tensors, so its mask is drawn per token (each token of each sample skips the branch
// on its own): a different regulariser with the same keep rate. We keep the intended one.
Tensor EncoderBlock::forward(const Tensor& x, Rng* rng) const {
  const bool drop = rng != nullptr && is_training() && drop_path > 0.f;
  auto branch = [&](const Tensor& t) { return drop ? fc::drop_path(t, drop_path, true, *rng) : t; };
  Tensor h = ln_1.forward(x);
  Tensor y = x + branch(attn.forward(h, h, h));
  return y + branch(c_proj.forward(quick_gelu(c_fc.forward(ln_2.forward(y)))));
}

Tensor EncoderOutput::patch_tokens(int layer) const {
  const Tensor& t = tokens.at(layer);
  FC_CHECK(t.defined(), "EncoderOutput: layer ", layer, " was not kept (RunOptions::keep_encoder_layers)");
  return t.narrow(1, 1, t.size(1) - 1);
}

Tensor EncoderOutput::feature_map(int layer) const {
  Tensor p = patch_tokens(layer);  // (B, S*S, C)
  const int64_t B = p.size(0), C = p.size(2);
  // (B, S*S, C) -> (B, C, S*S) -> (B, C, S, S): a permuted view; reshape copies only if needed.
  return p.transpose(1, 2).reshape({B, C, grid, grid});
}

FarlEncoder::FarlEncoder(const EncoderConfig& c) : config(c), ln_pre(c.width) {
  const int64_t C = c.width;
  register_parameter("conv1.weight", &conv1_weight, Tensor::empty({C, 3, c.patch, c.patch}));
  register_parameter("class_embedding", &class_embedding, Tensor::empty({C}));
  register_parameter("positional_embedding", &positional_embedding,
                     Tensor::empty({1 + int64_t{c.pos_grid} * c.pos_grid, C}));
  register_module("ln_pre", &ln_pre);
  for (int i = 0; i < c.layers; ++i) {
    // torch.linspace(0, drop_path_rate, layers) in float32, as farl_vit.py's dpr list.
    const float rate = c.layers > 1 ? static_cast<float>(c.drop_path_rate * i / (c.layers - 1)) : 0.f;
    blocks.push_back(std::make_unique<EncoderBlock>(c.width, c.heads, rate));
    register_module("transformer.resblocks." + std::to_string(i), blocks.back().get());
  }
}

void FarlEncoder::reset_parameters(Rng& rng) {
  // CLIP's VisualTransformer init: scale = width^-0.5 for the class and positional embeddings.
  const float scale = 1.0f / std::sqrt(static_cast<float>(config.width));
  fan_in_uniform_(conv1_weight, rng, 3 * config.patch * config.patch);
  normal_(class_embedding, rng, 0.f, scale);
  normal_(positional_embedding, rng, 0.f, scale);
}

Tensor FarlEncoder::positional_embedding_for(int64_t grid) const {
  const int64_t G = config.pos_grid, C = config.width;
  if (grid == G) return positional_embedding;
  Tensor table = positional_embedding.narrow(0, 1, G * G).reshape({1, G, G, C}).permute({0, 3, 1, 2});
  Tensor resized = interpolate(table, grid, grid, InterpolateMode::bicubic, false);  // (1, C, S, S)
  Tensor rows = resized.reshape({C, grid * grid}).transpose(0, 1);                   // (S*S, C)
  return concat({positional_embedding.narrow(0, 0, 1), rows}, 0);
}

EncoderOutput FarlEncoder::forward(const Tensor& x, Rng* drop_path_rng, const std::vector<int>& keep_layers) const {
  FC_CHECK(x.ndim() == 4 && x.size(1) == 3 && x.size(2) == x.size(3) && x.size(2) % config.patch == 0,
           "FarlEncoder: input ", x.shape(), " must be (B, 3, H, H) with H a multiple of the patch size ",
           config.patch);
  const int64_t B = x.size(0), C = config.width, S = x.size(2) / config.patch;
  Conv2dOptions patchify;
  patchify.stride_h = patchify.stride_w = config.patch;
  Tensor patches = conv2d(x, conv1_weight, Tensor(), patchify).reshape({B, C, S * S}).transpose(1, 2);
  Tensor cls = class_embedding.reshape({1, 1, C}).expand({B, 1, C});
  Tensor h = concat({cls, patches}, 1) + positional_embedding_for(S);
  h = ln_pre.forward(h);
  std::vector<bool> keep(blocks.size(), keep_layers.empty());
  for (int l : keep_layers) {
    FC_CHECK(l >= 0 && l < static_cast<int>(blocks.size()), "FarlEncoder: keep layer ", l, " outside the ",
             blocks.size(), " layers");
    keep[l] = true;
  }
  EncoderOutput out;
  out.grid = S;
  out.tokens.resize(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    h = blocks[i]->forward(h, drop_path_rng);
    if (keep[i]) out.tokens[i] = h;
  }
  return out;
}

}  // namespace fc::faceptor
