// The Faceptor transformer decoder with task queries and Layer-Attention. Port of
// TransformerDecoderLevel / TransformerDecoderLevelAddLevel (faceptor_project/core/model/heads/
// decoder.py), with the same parameter names under "decoder.".
//
// Letter key: B batch, S grid side, M memory tokens (S*S per used level), Q queries, h hidden.
//
// The memory (projected encoder tokens + positions, and each layer's cross-attention keys and
// values) depends only on the encoder pass, so it is built once and shared by every task of that
// input size:
//
//   DecoderMemory mem = decoder.build_memory(encoder_output);
//   DecoderResult age = decoder.run_queries(mem, "age_morph2", /*keep_attention=*/true);
//   age.output;                    // (B, 101, h)
//   age.cross_attention.back();    // (B, 101, M): last layer's cross-attention, mean over heads
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faceptor/config.h"
#include "faceptor/encoder.h"
#include "nn/conv.h"
#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/multihead_attention.h"
#include "nn/norm.h"

namespace fc::faceptor {

// Post-norm layers, in the order each decoder layer runs them (cross-attention first).
class CrossAttentionLayer : public Module {
 public:
  explicit CrossAttentionLayer(int hidden, int heads);
  MultiheadAttention multihead_attn;
  LayerNorm norm;
};

class SelfAttentionLayer : public Module {
 public:
  explicit SelfAttentionLayer(int hidden, int heads);
  MultiheadAttention self_attn;
  LayerNorm norm;
};

class FFNLayer : public Module {
 public:
  FFNLayer(int hidden, int ffn);
  Tensor forward(const Tensor& x) const;  // norm(x + linear2(relu(linear1(x))))
  Linear linear1, linear2;
  LayerNorm norm;
};

struct DecoderMemory {
  Tensor src;                   // (B, M, h): projected tokens of levels then new_levels
  Tensor pos;                   // (M, h): anchor sine position + level embedding
  Tensor key;                   // (B, M, h): src + pos, the cross-attention keys
  Tensor decoder_src;           // (B, S*S, h): the last encoder layer's projected tokens
  int64_t grid = 0;             // S
  std::vector<int> token_levels;  // the encoder layer of each memory block of S*S tokens, in order
  // Per decoder layer: key and src through that layer's cross-attention key / value projections.
  // They depend on the pass, not the task, so every task's queries reuse them (at 512 with
  // Layer-Attention, M = 6144 tokens: 2 x 9 projections of 0.8 GFLOP each, done once, not per task).
  std::vector<MultiheadAttention::ProjectedKeyValue> cross_kv;
};

struct DecoderResult {
  Tensor output;                        // (B, Q, h)
  std::vector<Tensor> cross_attention;  // per layer (B, Q, M), when asked for
};

class FaceptorDecoder : public Module {
 public:
  FaceptorDecoder(const DecoderConfig& config, int encoder_width, int encoder_layers,
                  const std::vector<TaskSpec>& tasks);

  DecoderMemory build_memory(const EncoderOutput& encoder) const;
  DecoderResult run_queries(const DecoderMemory& memory, const std::string& task, bool keep_attention) const;
  // The anchor-grid sine embedding through adapt_pos2d: (S*S, h), before the level embedding.
  Tensor anchor_position(int64_t grid) const;

  DecoderConfig config;
  int encoder_layers;
  std::map<std::string, std::unique_ptr<Embedding>> query_feat, query_embed;  // per task
  Embedding level_embed;
  std::vector<std::unique_ptr<Conv2d>> input_proj;
  std::unique_ptr<Embedding> new_level_embed;  // only with new_levels
  std::vector<std::unique_ptr<Conv2d>> new_input_proj;
  std::vector<std::unique_ptr<SelfAttentionLayer>> self_layers;
  std::vector<std::unique_ptr<CrossAttentionLayer>> cross_layers;
  std::vector<std::unique_ptr<FFNLayer>> ffn_layers;
  Linear adapt_pos2d_0, adapt_pos2d_2;  // "adapt_pos2d.0", "adapt_pos2d.2" (ReLU between)

 protected:
  void reset_parameters(Rng& rng) override;  // query_embed ~ U(0, 1) as in the official init
};

// The sine embedding of an S x S anchor grid (y, x) = ((i + 0.5) / S, (j + 0.5) / S):
// num_features per coordinate, temperature 10000, coordinates scaled by 2*pi, interleaved
// sin/cos, y part first (decoder.py pos2posemb2d). -> (S*S, 2 * num_features)
Tensor anchor_sine_embedding(int64_t grid, int64_t num_features);

}  // namespace fc::faceptor
