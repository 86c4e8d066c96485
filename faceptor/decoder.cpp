#include "faceptor/decoder.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "nn/init.h"
#include "ops/elementwise.h"
#include "ops/index.h"
#include "ops/matmul.h"
#include "ops/unary.h"

namespace fc::faceptor {

CrossAttentionLayer::CrossAttentionLayer(int hidden, int heads) : multihead_attn(hidden, heads), norm(hidden) {
  register_module("multihead_attn", &multihead_attn);
  register_module("norm", &norm);
}

SelfAttentionLayer::SelfAttentionLayer(int hidden, int heads) : self_attn(hidden, heads), norm(hidden) {
  register_module("self_attn", &self_attn);
  register_module("norm", &norm);
}

FFNLayer::FFNLayer(int hidden, int ffn) : linear1(hidden, ffn), linear2(ffn, hidden), norm(hidden) {
  register_module("linear1", &linear1);
  register_module("linear2", &linear2);
  register_module("norm", &norm);
}

Tensor FFNLayer::forward(const Tensor& x) const {
  return norm.forward(x + linear2.forward(relu(linear1.forward(x))));
}

Tensor anchor_sine_embedding(int64_t grid, int64_t num_features) {
  // Row (i, j) is [embed(y_i), embed(x_j)] and both coordinates take the same S values, so one
  // (S, num_features) table of sin/cos serves every row: S * F transcendentals, not 2 * S^2 * F
  // (at 512, 32 x 128 instead of 262,144 pow/sin/cos calls, which cost ~8 ms per pass).
  // The table entries are computed exactly as before (double, then rounded), so rows are unchanged.
  std::vector<float> table(static_cast<size_t>(grid * num_features));
  const double two_pi = 2.0 * M_PI;
  for (int64_t f = 0; f < num_features; ++f) {
    // Features 2k and 2k+1 share the frequency 10000^(2k / num_features): sin, then cos.
    const double freq = std::pow(10000.0, static_cast<double>(2 * (f / 2)) / num_features);
    for (int64_t i = 0; i < grid; ++i) {
      const double angle = ((i + 0.5) / grid) * two_pi / freq;
      table[i * num_features + f] = static_cast<float>(f % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  }
  Tensor out = Tensor::empty({grid * grid, 2 * num_features});
  float* o = out.mutable_data();
  for (int64_t i = 0; i < grid; ++i) {
    for (int64_t j = 0; j < grid; ++j) {
      float* row = o + (i * grid + j) * 2 * num_features;  // y first, then x
      std::copy_n(table.data() + i * num_features, num_features, row);
      std::copy_n(table.data() + j * num_features, num_features, row + num_features);
    }
  }
  return out;
}

FaceptorDecoder::FaceptorDecoder(const DecoderConfig& c, int encoder_width, int encoder_layers_,
                                 const std::vector<TaskSpec>& tasks)
    : config(c),
      encoder_layers(encoder_layers_),
      level_embed(static_cast<int64_t>(c.levels.size()), c.hidden),
      adapt_pos2d_0(c.hidden, c.hidden),
      adapt_pos2d_2(c.hidden, c.hidden) {
  for (const TaskSpec& t : tasks) {
    if (t.interpreter == InterpreterKind::feature) continue;  // recognition reads the encoder directly
    query_feat[t.name] = std::make_unique<Embedding>(t.queries, c.hidden);
    query_embed[t.name] = std::make_unique<Embedding>(t.queries, c.hidden);
  }
  for (auto& [name, e] : query_feat) register_module("query_feat." + name, e.get());
  for (auto& [name, e] : query_embed) register_module("query_embed." + name, e.get());
  register_module("level_embed", &level_embed);
  for (size_t j = 0; j < c.levels.size(); ++j) {
    input_proj.push_back(std::make_unique<Conv2d>(encoder_width, c.hidden, 1));
    register_module("input_proj." + std::to_string(j), input_proj.back().get());
  }
  if (!c.new_levels.empty()) {
    new_level_embed = std::make_unique<Embedding>(static_cast<int64_t>(c.new_levels.size()), c.hidden);
    register_module("new_level_embed", new_level_embed.get());
    for (size_t j = 0; j < c.new_levels.size(); ++j) {
      new_input_proj.push_back(std::make_unique<Conv2d>(encoder_width, c.hidden, 1));
      register_module("new_input_proj." + std::to_string(j), new_input_proj.back().get());
    }
  }
  for (int i = 0; i < c.layers; ++i) {
    self_layers.push_back(std::make_unique<SelfAttentionLayer>(c.hidden, c.heads));
    register_module("transformer_self_attention_layers." + std::to_string(i), self_layers.back().get());
  }
  for (int i = 0; i < c.layers; ++i) {
    cross_layers.push_back(std::make_unique<CrossAttentionLayer>(c.hidden, c.heads));
    register_module("transformer_cross_attention_layers." + std::to_string(i), cross_layers.back().get());
  }
  for (int i = 0; i < c.layers; ++i) {
    ffn_layers.push_back(std::make_unique<FFNLayer>(c.hidden, c.ffn));
    register_module("transformer_ffn_layers." + std::to_string(i), ffn_layers.back().get());
  }
  register_module("adapt_pos2d.0", &adapt_pos2d_0);
  register_module("adapt_pos2d.2", &adapt_pos2d_2);
}

void FaceptorDecoder::reset_parameters(Rng& rng) {
  // decoder.py _reset_parameters: with anchor positions, query positions start U(0, 1). Children
  // are initialised first (Module::initialize), so this overrides the Embedding's N(0, 1).
  for (auto& [name, e] : query_embed) uniform_(e->weight, rng, 0.f, 1.f);
}

Tensor FaceptorDecoder::anchor_position(int64_t grid) const {
  Tensor sine = anchor_sine_embedding(grid, config.hidden / 2);
  return adapt_pos2d_2.forward(relu(adapt_pos2d_0.forward(sine)));
}

DecoderMemory FaceptorDecoder::build_memory(const EncoderOutput& encoder) const {
  FC_CHECK(static_cast<int>(encoder.tokens.size()) == encoder_layers, "FaceptorDecoder: expected ", encoder_layers,
           " encoder layers, got ", encoder.tokens.size());
  DecoderMemory m;
  m.grid = encoder.grid;
  Tensor anchor = anchor_position(encoder.grid);  // (S*S, h), shared by every level
  std::vector<Tensor> srcs, poses;
  auto add_level = [&](int layer, const Conv2d& proj, const Tensor& level_row) {
    // A 1x1 conv over the (B, C, S, S) map is a Linear over its (B, S*S, C) tokens.
    const Tensor w = proj.weight.reshape({proj.weight.size(0), proj.weight.size(1)});
    Tensor src = linear(encoder.patch_tokens(layer), w, proj.bias);
    srcs.push_back(src);
    poses.push_back(anchor + level_row);
    m.token_levels.push_back(layer);
    if (layer == encoder_layers - 1 && !m.decoder_src.defined()) m.decoder_src = src;
  };
  for (size_t j = 0; j < config.levels.size(); ++j)
    add_level(config.levels[j], *input_proj[j], level_embed.weight.select(0, static_cast<int64_t>(j)));
  for (size_t j = 0; j < config.new_levels.size(); ++j)
    add_level(config.new_levels[j], *new_input_proj[j], new_level_embed->weight.select(0, static_cast<int64_t>(j)));
  // decoder.py takes decoder_src from level 11 (the last ViT-B layer); we take the last layer,
  // which is the same for the released models and defined for every depth.
  FC_CHECK(m.decoder_src.defined(), "FaceptorDecoder: levels must include the last encoder layer (",
           encoder_layers - 1, ") for the pixel decoder");
  m.src = srcs.size() == 1 ? srcs[0] : concat(srcs, 1);
  m.pos = poses.size() == 1 ? poses[0] : concat(poses, 0);
  m.key = m.src + m.pos;
  for (const auto& cross : cross_layers) m.cross_kv.push_back(cross->multihead_attn.project_key_value(m.key, m.src));
  return m;
}

DecoderResult FaceptorDecoder::run_queries(const DecoderMemory& memory, const std::string& task,
                                           bool keep_attention) const {
  auto feat = query_feat.find(task);
  FC_CHECK(feat != query_feat.end(), "FaceptorDecoder: no queries for task '", task, "'");
  const Tensor& query_pos = query_embed.at(task)->weight;  // (Q, h), broadcast over the batch
  const int64_t B = memory.src.size(0), Q = query_pos.size(0), h = config.hidden;
  FC_CHECK(memory.cross_kv.size() == cross_layers.size(), "FaceptorDecoder: memory has ", memory.cross_kv.size(),
           " projected layers, the decoder ", cross_layers.size(), " (build it with build_memory)");
  DecoderResult r;
  Tensor tgt = feat->second->weight.unsqueeze(0).expand({B, Q, h});
  for (int i = 0; i < config.layers; ++i) {
    const CrossAttentionLayer& cross = *cross_layers[i];
    Tensor q = tgt + query_pos;
    if (keep_attention) {
      AttentionResult a = cross.multihead_attn.forward_with_probs(q, memory.cross_kv[i]);
      r.cross_attention.push_back(a.probs);
      tgt = cross.norm.forward(tgt + a.out);
    } else {
      tgt = cross.norm.forward(tgt + cross.multihead_attn.forward(q, memory.cross_kv[i]));
    }
    const SelfAttentionLayer& self = *self_layers[i];
    Tensor qk = tgt + query_pos;
    tgt = self.norm.forward(tgt + self.self_attn.forward(qk, qk, tgt));
    tgt = ffn_layers[i]->forward(tgt);
  }
  r.output = tgt;
  return r;
}

}  // namespace fc::faceptor
