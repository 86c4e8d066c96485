// ModelConfig: everything that shapes a Faceptor model, stored as JSON in the safetensors
// metadata (key "faceptor_config") so one file is a whole model.
//
//   ModelConfig c = ModelConfig::faceptor_base();          // ViT-B/16 + 9-layer decoder, 7 tasks
//   c.decoder.new_levels = {1, 3, 5, 7, 9};                 // the released stage-2 Layer-Attention
//   std::string json = c.to_json();
//   ModelConfig back = ModelConfig::from_json(json, "model.safetensors");
#pragma once

#include <string>
#include <vector>

#include "faceptor/tasks.h"

namespace fc::faceptor {

// FaRL's CLIP-style ViT (faceptor_project/core/model/backbone/farl_vit.py).
struct EncoderConfig {
  int width = 768;
  int layers = 12;
  int heads = 12;
  int patch = 16;
  int pos_grid = 32;  // the positional table holds 1 + pos_grid^2 rows (32 for a trained Faceptor)
  // Stochastic depth for training: block i drops its residual branches with probability
  // drop_path_rate * i / (layers - 1) (torch.linspace, as farl_vit.py); 0.2 in the recipe.
  double drop_path_rate = 0.0;
};

// TransformerDecoderLevel / TransformerDecoderLevelAddLevel in heads/decoder.py.
struct DecoderConfig {
  int hidden = 256;
  int heads = 8;
  int ffn = 2048;
  int layers = 9;
  std::vector<int> levels = {11};  // encoder layers read through input_proj / level_embed
  std::vector<int> new_levels;     // stage-2 Layer-Attention additions (new_input_proj / new_level_embed)
};

struct ModelConfig {
  EncoderConfig encoder;
  DecoderConfig decoder;
  std::vector<TaskSpec> tasks;
  int embedding_dim = 512;  // recognition output

  static ModelConfig faceptor_base();
  static ModelConfig faceptor_full();

  // Throws naming `source` when a field is missing, mistyped or inconsistent.
  static ModelConfig from_json(const std::string& json, const std::string& source);
  std::string to_json() const;
  // Checks internal consistency (levels inside the encoder, heads dividing widths, ...).
  void validate(const std::string& source) const;

  const TaskSpec* find_task(const std::string& name) const;
  bool has_decoder_tasks() const;
};

inline constexpr const char* kConfigMetadataKey = "faceptor_config";

}  // namespace fc::faceptor
