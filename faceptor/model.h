// FaceptorModel: the whole generalist model: one FaRL encoder pass per input size, shared by
// every task of that size; the transformer decoder with per-task queries; the interpreters.
// Port of model_entry.py AIOEntry + heads/decoder.py DecoderNewHolder. Parameter names are the
// official ones with the prefixes "backbone_module.visual." -> "encoder.",
// "heads_module.decoder." -> "decoder.", "heads_module.interpreters." -> "interpreters."
// (faceptor/convert.h does that renaming).
//
//   FaceptorModel model(ModelConfig::faceptor_base());
//   model.eval();
//   PassResult r = model.run(x112, {"age_morph2", "biattr_celeba"});   // x (B, 3, 112, 112)
//   AgeEstimate age = age_from_logits(r.tasks.at("age_morph2").raw);
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faceptor/config.h"
#include "faceptor/decoder.h"
#include "faceptor/encoder.h"
#include "faceptor/interpreters.h"

namespace fc::faceptor {

struct RunOptions {
  bool keep_attention = false;  // per-layer cross-attention (B, Q, M) for each decoder task
};

struct TaskResult {
  const TaskSpec* spec = nullptr;
  // Raw head output: recognition (B, E) embedding; value tasks (B, Q) logits; map tasks
  // (B, Q, 4S, 4S) logits (parsing classes or landmark heatmaps).
  Tensor raw;
  Tensor decoder_output;                // (B, Q, h); undefined for recognition
  std::vector<Tensor> cross_attention;  // per decoder layer, with keep_attention
};

// What the tasks of one encoder pass share: the decoder memory and the pixel decoder's output,
// built by the first task that needs them and reused by the others.
struct PassCache {
  DecoderMemory memory;
  Tensor pixels;  // (B, h, 4S, 4S)
};

// The batch rows [start, start + length) of every layer's tokens (views, differentiable): training
// runs the encoder once over several tasks' images and each task's head on its own rows.
EncoderOutput narrow_batch(const EncoderOutput& encoder, int64_t start, int64_t length);

struct PassResult {
  EncoderOutput encoder;
  std::vector<int> memory_levels;  // encoder layer of each S*S block of decoder memory
  std::map<std::string, TaskResult> tasks;
};

class FaceptorModel : public Module {
 public:
  explicit FaceptorModel(ModelConfig config);

  // One encoder pass over `input` (B, 3, S*patch, S*patch) and the listed tasks (all of them
  // must take this input size; an empty list means every task of that size).
  PassResult run(const Tensor& input, std::vector<std::string> tasks, const RunOptions& options = {}) const;

  // One task's decoder queries and interpreter on an encoder pass (any batch size B); run() calls
  // it for each of its tasks, training (train/objective.h) for each task's slice of the batch.
  TaskResult run_task(const EncoderOutput& encoder, const std::string& task, PassCache& cache,
                      const RunOptions& options = {}) const;

  // The task names of the model that take `input_size` inputs, in config order.
  std::vector<std::string> tasks_for_size(int input_size) const;

  ModelConfig config;
  FarlEncoder encoder;
  std::unique_ptr<FaceptorDecoder> decoder;  // null when the model has only recognition
  std::unique_ptr<FeatureInterpreter> feature_interpreter;  // "interpreters.feature_v2"
  std::unique_ptr<ValueInterpreter> value_interpreter;      // "interpreters.value"
  std::unique_ptr<MapInterpreter> map_interpreter;          // "interpreters.map_v2"
};

}  // namespace fc::faceptor
