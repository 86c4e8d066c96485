#include "faceptor/interpreters.h"

#include "core/error.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "ops/unary.h"

namespace fc::faceptor {

FeatureInterpreter::FeatureInterpreter(int width, int embedding_dim)
    : norm(width),
      head_0(width, width, false),
      head_1(width, 2e-5f),
      head_2(width, embedding_dim, false),
      head_3(embedding_dim, 2e-5f) {
  register_module("norm", &norm);
  register_module("head.0", &head_0);
  register_module("head.1", &head_1);
  register_module("head.2", &head_2);
  register_module("head.3", &head_3);
}

Tensor FeatureInterpreter::forward(const EncoderOutput& encoder) const {
  const int last = static_cast<int>(encoder.tokens.size()) - 1;
  return embed(encoder.patch_tokens(last));
}

Tensor FeatureInterpreter::embed(const Tensor& patch_tokens) const {
  Tensor pooled = mean(norm.forward(patch_tokens), {1});  // (B, C)
  return head_3.forward(head_2.forward(head_1.forward(head_0.forward(pooled))));
}

ValueInterpreter::ValueInterpreter(int hidden) : fc(hidden, 1) { register_module("fc", &fc); }

Tensor ValueInterpreter::forward(const Tensor& decoder_output) const {
  return fc.forward(decoder_output).squeeze(-1);
}

MapInterpreter::MapInterpreter(int hidden)
    : mask_map_0(hidden, hidden, 2, 2), mask_map_1(hidden, 1e-6f), mask_map_3(hidden, hidden, 2, 2),
      mask_embed(hidden, hidden, hidden, 3) {
  register_module("mask_map.0", &mask_map_0);
  register_module("mask_map.1", &mask_map_1);
  register_module("mask_map.3", &mask_map_3);
  register_module("mask_embed", &mask_embed);
}

Tensor MapInterpreter::pixel_features(const Tensor& decoder_src, int64_t grid) const {
  const int64_t B = decoder_src.size(0), h = decoder_src.size(2);
  FC_CHECK(decoder_src.size(1) == grid * grid, "MapInterpreter: ", decoder_src.size(1), " tokens for a ", grid,
           "x", grid, " grid");
  Tensor x = decoder_src.transpose(1, 2).reshape({B, h, grid, grid});
  return mask_map_3.forward(gelu(mask_map_1.forward(mask_map_0.forward(x))));
}

Tensor MapInterpreter::forward(const Tensor& pixels, const Tensor& decoder_output) const {
  const int64_t B = pixels.size(0), h = pixels.size(1), H = pixels.size(2), W = pixels.size(3);
  Tensor embed = mask_embed.forward(decoder_output);               // (B, Q, h)
  Tensor maps = matmul(embed, pixels.reshape({B, h, H * W}));       // einsum bqc,bchw->bqhw
  return maps.reshape({B, decoder_output.size(1), H, W});
}

}  // namespace fc::faceptor
