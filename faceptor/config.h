// ModelConfig: everything that shapes a Faceptor model, stored as JSON in the safetensors
// metadata (key "faceptor_config") so one file is a whole model.
//
//   ModelConfig c = ModelConfig::faceptor_base();          // ViT-B/16 + 9-layer decoder, 7 tasks
//   c.decoder.new_levels = {1, 3, 5, 7, 9};                 // the released stage-2 Layer-Attention
//   std::string json = c.to_json();
//   ModelConfig back = ModelConfig::from_json(json, "model.safetensors");
//   ModelConfig n = ModelConfig::naive_faceptor_base();   // architecture "naive_faceptor"
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

// Naive Faceptor (the paper's first design): the shared encoder plus one standardized head per
// task kind, as in faceptor_project/expreiments/naive_faceptor/*.yaml (subnets_cfg). A head is
// keyed by the task-name prefix ("affect" serves affect_affectnet and affect_rafdb), because the
// official TaskSpecificHeadsHolder dispatches on task_name.split("_")[0].
enum class NaiveHeadType {
  recognition,  // RecognitionHead: the feature interpreter's layers (LayerNorm, mean, Linear/BN x2)
  attribute,    // SwinFaceHead: 4 convs, CBAM channel gate, max pool, MLP, one Linear per task
  dense,        // MMSEG_UPerHead: ViT feature pyramid + UPerNet; output channels split per task
};
const char* naive_head_type_name(NaiveHeadType type);

struct NaiveHeadSpec {
  std::string name;                // subnets_cfg key == task-name prefix: "recog", "age", "parsing"
  NaiveHeadType type;
  std::vector<int> levels;         // encoder layers read ("indices"): 1 for recognition, 4 otherwise
  std::vector<std::string> tasks;  // tasks served, in output order (fcs, channel ranges)
};

struct NaiveConfig {
  std::vector<NaiveHeadSpec> heads;
  int attribute_channels = 512;   // SwinFaceHead out_features (4 convs of out_features / 4)
  int attribute_kernel = 3;
  int gate_reduction = 16;        // CBAM ChannelGate reduction_ratio
  float attribute_dropout = 0.5f;
  int dense_channels = 512;       // UPerHead channels
  std::vector<int> pool_scales = {1, 2, 3, 6};
  float dense_dropout = 0.1f;     // BaseDecodeHead's Dropout2d before conv_seg

  // One head per task-name prefix, typed by the tasks' interpreter kind, reading the official
  // layers ([11]; [5, 7, 9, 11]; [3, 5, 7, 11]) for a 12-layer encoder. Other depths take the
  // last layer and, for 4-level heads, the last four layers (layer 0 repeated when there are
  // fewer): pass explicit levels for those.
  static std::vector<NaiveHeadSpec> default_heads(const std::vector<TaskSpec>& tasks, int encoder_layers);
  static std::vector<int> default_levels(NaiveHeadType type, int encoder_layers);
};

inline constexpr const char* kArchitectureFaceptor = "faceptor";
inline constexpr const char* kArchitectureNaive = "naive_faceptor";

struct ModelConfig {
  std::string architecture = kArchitectureFaceptor;  // or kArchitectureNaive
  EncoderConfig encoder;
  DecoderConfig decoder;  // Faceptor only
  NaiveConfig naive;      // Naive Faceptor only
  std::vector<TaskSpec> tasks;
  int embedding_dim = 512;  // recognition output

  bool is_naive() const { return architecture == kArchitectureNaive; }
  // The Faceptor-Base tasks on Naive Faceptor heads, as the released naive yaml.
  static ModelConfig naive_faceptor_base();

  static ModelConfig faceptor_base();
  static ModelConfig faceptor_full();

  // Throws naming `source` when a field is missing, mistyped or inconsistent.
  static ModelConfig from_json(const std::string& json, const std::string& source);
  std::string to_json() const;
  // Checks internal consistency (levels inside the encoder, heads dividing widths, ...).
  void validate(const std::string& source) const;
  void validate_naive(const std::string& source) const;

  const TaskSpec* find_task(const std::string& name) const;
  // Faceptor's transformer decoder is needed (never for Naive Faceptor).
  bool has_decoder_tasks() const;
  const NaiveHeadSpec* naive_head_for(const std::string& task) const;
};

inline constexpr const char* kConfigMetadataKey = "faceptor_config";

}  // namespace fc::faceptor
