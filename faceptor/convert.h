// Converting official PyTorch checkpoints into our safetensors model files, without PyTorch.
//
// Accepted inputs (weights/torch_checkpoint.h reads them; no pickle code is ever executed):
//  - Faceptor checkpoints: {"state_dict": {"module.backbone_module.visual.*", "module.heads_module.
//    decoder.*", "module.heads_module.interpreters.*", "module.losses_module.*"}}: Base, Full and
//    Layer-Attention (stage-2) variants, told apart by their tensor names and shapes;
//  - Naive Faceptor checkpoints: {"state_dict": {"module.backbone_module.visual.*",
//    "module.heads_module.heads.<kind>.*"}}: the encoder plus standardized heads (recognition,
//    attribute, dense), told apart by their tensor names; written with architecture naive_faceptor;
//  - FaRL checkpoints: {"state_dict": {"visual.*", text tower...}}: an encoder-only model.
// Renaming: "module." dropped; "backbone_module.visual." / "visual." -> "encoder.",
// "heads_module.decoder." -> "decoder.", "heads_module.interpreters." -> "interpreters.",
// "heads_module.heads." -> "heads.",
// "losses_module.losses." -> "losses." (training-only; kept only when asked).
//
//   ConvertOptions opts;
//   opts.progress = [](size_t done, size_t total) { ... };
//   ConversionReport r = convert_checkpoint("faceptor_base.pth.tar", "faceptor_base.safetensors", opts);
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "faceptor/config.h"

namespace fc::faceptor {

struct ConvertOptions {
  // Not recoverable from tensor shapes; defaults follow the released models (FaRL ViT heads by
  // width: 768 -> 12, 1024 -> 16, 1280 -> 16; decoder hidden / 32).
  std::optional<int> encoder_heads, decoder_heads;
  // Which encoder layers the input projections read. Defaults: one projection -> the last layer;
  // one per layer -> all; five new projections over 12 layers -> [1, 3, 5, 7, 9] (stage 2).
  std::optional<std::vector<int>> levels, new_levels;
  // Naive Faceptor: which encoder layers the attribute and dense heads read (not recoverable from
  // shapes). Defaults: the released yaml's [5, 7, 9, 11] and [3, 5, 7, 11] for 12 layers, else
  // the last four layers. The recognition head reads the last layer.
  std::optional<std::vector<int>> naive_attribute_levels, naive_dense_levels;
  bool keep_training_tensors = false;  // losses.* (e.g. the CosFace class matrix, ~190 MB)
  std::function<void(size_t done, size_t total)> progress;  // while writing
};

struct ConvertedModel {
  ModelConfig config;
  std::vector<std::pair<std::string, Tensor>> tensors;  // our names, model order then losses.*
  std::vector<std::string> dropped;                     // "name: why", for the report
  std::string source_kind;                              // "faceptor", "naive_faceptor" or "farl"
};

// Reads and renames in memory (tensors stay zero-copy views of the mapped checkpoint) and checks
// the result against the model the config describes: missing, unexpected or misshaped tensors
// are an error naming each one.
ConvertedModel convert_state(const std::string& checkpoint_path, const ConvertOptions& options);

struct ConversionReport {
  ModelConfig config;
  std::string source_kind;
  size_t tensors_written = 0;
  int64_t parameters_written = 0;
  std::vector<std::string> dropped;
};
// convert_state + an atomic write of OUT (nothing is left behind on failure).
ConversionReport convert_checkpoint(const std::string& checkpoint_path, const std::string& out_path,
                                    const ConvertOptions& options);

}  // namespace fc::faceptor
