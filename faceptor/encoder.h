// The FaRL visual encoder: a CLIP-style ViT whose 12 (or 24, 32) block outputs all feed the
// heads. Port of faceptor_project/core/model/backbone/farl_vit.py (FaRLVisualFeatures.forward,
// ResidualAttentionBlock, _resize_pe), with the same parameter names under "encoder.".
//
// Letter key: B batch, S grid side (input / patch), N = 1 + S*S tokens (CLS first), C width.
//
//   FarlEncoder enc(config.encoder);
//   EncoderOutput out = enc.forward(x);        // x (B, 3, 112, 112), normalised
//   Tensor map = out.feature_map(11);          // (B, C, 7, 7) view of layer 11's patch tokens
#pragma once

#include <memory>
#include <vector>

#include "faceptor/config.h"
#include "nn/linear.h"
#include "nn/multihead_attention.h"
#include "nn/norm.h"

namespace fc::faceptor {

// ResidualAttentionBlock: x += attn(ln_1(x)); x += mlp(ln_2(x)), mlp = c_fc, QuickGELU, c_proj.
class EncoderBlock : public Module {
 public:
  EncoderBlock(int width, int heads, float drop_path = 0.f);
  // x (B, N, C) -> (B, N, C). With `rng` (training) each residual branch is dropped per sample
  // with probability drop_path.
  Tensor forward(const Tensor& x, Rng* rng = nullptr) const;

  MultiheadAttention attn;
  LayerNorm ln_1;
  Linear c_fc, c_proj;  // registered as mlp.c_fc, mlp.c_proj
  LayerNorm ln_2;
  float drop_path;
};

struct EncoderOutput {
  // One per block: (B, N, C) with CLS at token 0; undefined for a block the forward pass was told
  // not to keep (FarlEncoder::forward's keep_layers).
  std::vector<Tensor> tokens;
  int64_t grid = 0;            // S
  // Layer `layer`'s patch tokens as a (B, C, S, S) feature map (a strided view, no copy).
  Tensor feature_map(int layer) const;
  // Layer `layer`'s patch tokens, CLS dropped: (B, S*S, C) (a view).
  Tensor patch_tokens(int layer) const;
};

class FarlEncoder : public Module {
 public:
  explicit FarlEncoder(const EncoderConfig& config);
  // x (B, 3, H, W), H = W = S * patch -> every block's output. `drop_path_rng`: the stream
  // stochastic depth draws from, used only in training mode with config.drop_path_rate > 0.
  // `keep_layers` (non-empty): only these blocks' outputs are kept, the other tokens[i] stay
  // undefined and their memory is reused by the next block (at 512, 3 MiB per block per image).
  EncoderOutput forward(const Tensor& x, Rng* drop_path_rng = nullptr, const std::vector<int>& keep_layers = {}) const;
  // The positional table for an S x S grid: the CLS row kept, the grid part resized with
  // bicubic, align_corners=false (identity when S equals the stored grid). -> (1 + S*S, C)
  Tensor positional_embedding_for(int64_t grid) const;

  EncoderConfig config;
  Tensor conv1_weight;          // (C, 3, patch, patch), no bias: "conv1.weight"
  Tensor class_embedding;       // (C)
  Tensor positional_embedding;  // (1 + G*G, C)
  LayerNorm ln_pre;
  std::vector<std::unique_ptr<EncoderBlock>> blocks;  // "transformer.resblocks.i"

 protected:
  void reset_parameters(Rng& rng) override;
};

}  // namespace fc::faceptor
