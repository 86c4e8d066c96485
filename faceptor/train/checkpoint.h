// Training checkpoints: ONE safetensors file that is also a model file. The model's tensors keep
// their own names (so `faceptor analyze --weights ckpt.safetensors` and load_model read it
// directly), the objective's under "losses.*", the optimizer state under "optimizer.*"; the
// metadata holds the model config ("faceptor_config") and everything else a bit-exact resume
// needs ("faceptor_train_state": step, the trainer's Rng, each task loader's position, the
// training config). Written atomically: a crash mid-write leaves the previous file intact.
//
//   TrainState s{.step = 1000, .rng = rng.state(), .samplers = {{"age_morph2", loader.state()}}};
//   save_checkpoint("run/step_1000.safetensors", model, objective, optimizer, s);
//   TrainState back = load_checkpoint("run/step_1000.safetensors", model, &objective, &optimizer);
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/random.h"
#include "faceptor/data/sampler.h"
#include "faceptor/model.h"
#include "faceptor/train/objective.h"
#include "nn/optimizer.h"

namespace fc::faceptor::train {

inline constexpr const char* kTrainStateMetadataKey = "faceptor_train_state";

struct TrainState {
  int64_t step = 0;  // optimizer updates done
  Rng::State rng{};  // the trainer's stream (drop path, naive heads' dropout) after `step` updates
  std::map<std::string, data::SamplerState> samplers;  // per task: the next sample its loader delivers
  std::string train_config;  // the training config JSON the run was started with ("" if none)

  std::string to_json() const;
  static TrainState from_json(const std::string& text, const std::string& source);
};

// Writes model + objective + optimizer + state to `path` atomically (temp file, fsync, rename).
void save_checkpoint(const std::string& path, FaceModel& model, MultiTaskObjective& objective,
                     const Optimizer& optimizer, const TrainState& state);

// Loads a checkpoint into an existing model (its config must match the file's), objective and
// optimizer (either may be null to skip it). Tensors are copied, so the model owns writable
// weights and buffers and the file may be replaced afterwards. Throws naming the file on any
// missing, unexpected or misshaped tensor.
TrainState load_checkpoint(const std::string& path, FaceModel& model, MultiTaskObjective* objective,
                           Optimizer* optimizer);

// Just the "faceptor_train_state" metadata (throws naming the file when it is not a checkpoint).
TrainState read_train_state(const std::string& path);

// Copies the model tensors of a model file or checkpoint into `model` (names must match exactly;
// "losses.*" and "optimizer.*" are ignored), and the "losses.*" tensors into `objective` when given.
// The start of a training run from "init" weights. The model may have tasks the file's config
// lacks (a task added in the training config): exactly their tensors (tensors_of_new_tasks in
// faceptor/model.h, or faceptor/naive/model.h for Naive Faceptor) may be missing and keep the model's fresh initialisation; their names are
// returned, sorted. Anything else missing, unexpected or misshaped throws naming the file.
// Loss tensors of tasks the file lacks stay fresh too.
std::vector<std::string> load_initial_weights(const std::string& path, FaceModel& model,
                                              MultiTaskObjective* objective);

}  // namespace fc::faceptor::train
