// Faceptor's interpreters, shared by all tasks of one kind (heads/decoder.py FeatureInterpreter_v2,
// ValueInterpreter, MapInterpreter_V2), named as in the checkpoints under
// "interpreters.feature_v2", "interpreters.value", "interpreters.map_v2".
//
// Letter key: B batch, N patch tokens (S*S), C encoder width, Q queries, h decoder hidden.
//
//   Tensor emb = feature.forward(encoder_output);              // (B, 512)
//   Tensor logits = value.forward(decoder_result.output);      // (B, Q)
//   Tensor pixels = map.pixel_features(memory.decoder_src, S); // (B, h, 4S, 4S), once per pass
//   Tensor maps = map.forward(pixels, decoder_result.output);  // (B, Q, 4S, 4S)
#pragma once

#include "faceptor/encoder.h"
#include "nn/conv.h"
#include "nn/linear.h"
#include "nn/norm.h"

namespace fc::faceptor {

// Recognition: last layer's patch tokens -> LayerNorm -> mean over tokens -> Linear (no bias)
// -> BatchNorm1d (eps 2e-5) -> Linear (no bias) -> BatchNorm1d. Names norm, head.0 .. head.3.
class FeatureInterpreter : public Module {
 public:
  FeatureInterpreter(int width, int embedding_dim);
  Tensor forward(const EncoderOutput& encoder) const;  // -> (B, embedding_dim)
  // patch_tokens (B, N, C) of any layer -> (B, embedding_dim); Naive Faceptor's RecognitionHead
  // is this module reading the layer its `indices` name.
  Tensor embed(const Tensor& patch_tokens) const;
  LayerNorm norm;
  Linear head_0;
  BatchNorm head_1;
  Linear head_2;
  BatchNorm head_3;
};

// One Linear(h, 1) applied to every query: age bins, attribute and expression logits.
class ValueInterpreter : public Module {
 public:
  explicit ValueInterpreter(int hidden);
  Tensor forward(const Tensor& decoder_output) const;  // (B, Q, h) -> (B, Q)
  Linear fc;
};

// The pixel decoder: decoder_src -> ConvT 2x2 s2 -> channel LayerNorm (eps 1e-6) -> GELU ->
// ConvT 2x2 s2, and per-query mask embeddings (MLP h-h-h-h) dotted with every pixel.
class MapInterpreter : public Module {
 public:
  explicit MapInterpreter(int hidden);
  // decoder_src (B, S*S, h) -> (B, h, 4S, 4S)
  Tensor pixel_features(const Tensor& decoder_src, int64_t grid) const;
  // pixels (B, h, H, W), decoder_output (B, Q, h) -> (B, Q, H, W)
  Tensor forward(const Tensor& pixels, const Tensor& decoder_output) const;
  ConvTranspose2d mask_map_0;
  LayerNorm2d mask_map_1;
  ConvTranspose2d mask_map_3;
  MLP mask_embed;
};

}  // namespace fc::faceptor
