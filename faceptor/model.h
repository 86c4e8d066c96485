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
#include "faceptor/face_model.h"
#include "faceptor/interpreters.h"

namespace fc::faceptor {

// What the tasks of one encoder pass share: the decoder memory and the pixel decoder's output,
// built by the first task that needs them and reused by the others.
struct PassCache {
  DecoderMemory memory;
  Tensor pixels;  // (B, h, 4S, 4S)
};

// The batch rows [start, start + length) of every layer's tokens (views, differentiable): training
// runs the encoder once over several tasks' images and each task's head on its own rows.
EncoderOutput narrow_batch(const EncoderOutput& encoder, int64_t start, int64_t length);

class FaceptorModel : public FaceModel {
 public:
  explicit FaceptorModel(ModelConfig config);

  // One encoder pass over `input` (B, 3, S*patch, S*patch) and the listed tasks (all of them
  // must take this input size; an empty list means every task of that size).
  PassResult run(const Tensor& input, std::vector<std::string> tasks, const RunOptions& options = {}) const override;
  // The decoder's levels and new_levels and the last layer (recognition, the pixel decoder).
  std::vector<int> encoder_layers_read() const override;

  // One task's decoder queries and interpreter on an encoder pass (any batch size B); run() calls
  // it for each of its tasks, training (train/objective.h) for each task's slice of the batch.
  TaskResult run_task(const EncoderOutput& encoder, const std::string& task, PassCache& cache,
                      const RunOptions& options = {}) const;
  // run_task with a cache of its own: the decoder memory is built for this task alone.
  TaskResult run_task_head(const EncoderOutput& encoder, const std::string& task,
                           const RunOptions& options = {}) const override {
    PassCache cache;
    return run_task(encoder, task, cache, options);
  }

  std::unique_ptr<FaceptorDecoder> decoder;  // null when the model has only recognition
  std::unique_ptr<FeatureInterpreter> feature_interpreter;  // "interpreters.feature_v2"
  std::unique_ptr<ValueInterpreter> value_interpreter;      // "interpreters.value"
  std::unique_ptr<MapInterpreter> map_interpreter;          // "interpreters.map_v2"
};

// Grows a model by one task (a TaskSpec from configuration, faceptor/tasks.h): a new model whose
// config is model.config plus `spec`, holding copies of every parameter and buffer of `model`,
// so the existing tasks' outputs stay bit-identical; what the old model lacks (the new task's
// decoder.query_feat.<task> / decoder.query_embed.<task>, an interpreter of a kind it had no task
// of) is freshly initialised from `rng` as training from scratch would. `new_tensors`, when
// given, receives those names. Fine-tune only them with the trainer's `trainable` list.
//
//   std::vector<std::string> fresh;
//   auto grown = add_task(*model, {"headpose_synth", TaskKind::expression, 5, InterpreterKind::value, 112,
//                                   synth::yaw_bin_names()}, rng, &fresh);
std::unique_ptr<FaceptorModel> add_task(FaceptorModel& model, const TaskSpec& spec, Rng& rng,
                                        std::vector<std::string>* new_tensors = nullptr);

// The tensor names a model of config `grown` has beyond one of config `base` (a task list that
// gained tasks): the new tasks' query tables, the interpreters and decoder `base` had no use for.
// Sorted. Used by add_task and by training's load_initial_weights to accept exactly these missing.
std::vector<std::string> tensors_of_new_tasks(const ModelConfig& base, FaceptorModel& grown);

}  // namespace fc::faceptor
