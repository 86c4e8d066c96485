// FaceModel: what every face model of this project offers the tools: a config, the FaRL encoder,
// and run(): one encoder pass over a batch of one input size, then the requested tasks' heads.
// FaceptorModel (faceptor/model.h) and naive::NaiveFaceptorModel (faceptor/naive/model.h) both
// return raw outputs in the same form, so faceptor/outputs.h post-processing and `faceptor
// analyze` work with either.
//
//   std::unique_ptr<FaceModel> m = load_face_model("naive.safetensors");   // faceptor/model_io.h
//   PassResult r = m->run(x112, {"age_morph2"});                           // x (B, 3, 112, 112)
//   AgeEstimate age = age_from_logits(r.tasks.at("age_morph2").raw);
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "faceptor/config.h"
#include "faceptor/encoder.h"
#include "nn/module.h"

namespace fc::faceptor {

struct RunOptions {
  bool keep_attention = false;  // per-layer cross-attention (B, Q, M) for each decoder task
  // Every encoder block's output in PassResult::encoder (dumps, per-layer figures). Otherwise only
  // the layers the model's heads read are kept and the others are undefined: at 512 each is
  // 3 MiB per image, and freeing them as the pass goes lowers its peak memory.
  bool keep_encoder_layers = false;
  // Dropout masks in training mode (Naive Faceptor's heads); required there when a dropout rate
  // of the config is nonzero, unused in eval mode.
  Rng* rng = nullptr;
};

struct TaskResult {
  const TaskSpec* spec = nullptr;
  // Raw head output: recognition (B, E) embedding; value tasks (B, Q) logits; map tasks
  // (B, Q, H, W) logits (parsing classes or landmark heatmaps; 4S x 4S for both designs).
  Tensor raw;
  Tensor decoder_output;                // (B, Q, h); undefined for recognition and Naive Faceptor
  std::vector<Tensor> cross_attention;  // per decoder layer, with keep_attention (Faceptor only)
};

struct PassResult {
  EncoderOutput encoder;  // every layer with RunOptions::keep_encoder_layers, else those the heads read
  std::vector<int> memory_levels;  // encoder layer of each S*S block of decoder memory (Faceptor)
  std::map<std::string, TaskResult> tasks;
};

class FaceModel : public Module {
 public:
  explicit FaceModel(ModelConfig config);  // validates the config

  // One encoder pass over `input` (B, 3, S*patch, S*patch) and the listed tasks (all of them
  // must take this input size; an empty list means every task of that size).
  virtual PassResult run(const Tensor& input, std::vector<std::string> tasks, const RunOptions& options = {}) const = 0;

  // One task's head on an encoder pass of any batch size B, nothing shared with other tasks.
  // Training (train/objective.h) runs the encoder once over several tasks' images and this on
  // each task's own rows (narrow_batch), so a head's BatchNorm statistics and dropout masks are
  // per task, as the official AIOEntry does. run() may share work between its tasks instead
  // (Faceptor's decoder memory, a naive head's trunk), with the same numbers in eval mode.
  virtual TaskResult run_task_head(const EncoderOutput& encoder, const std::string& task,
                                   const RunOptions& options = {}) const = 0;

  // The encoder layers the heads read (sorted; the last layer always): what run() keeps of the
  // encoder pass unless RunOptions::keep_encoder_layers.
  virtual std::vector<int> encoder_layers_read() const = 0;

  // The task names of the model that take `input_size` inputs, in config order.
  std::vector<std::string> tasks_for_size(int input_size) const;

  ModelConfig config;
  FarlEncoder encoder;

 protected:
  // Fills in the default task list and checks every name and its input size; -> the task list.
  std::vector<std::string> check_run_request(const Tensor& input, std::vector<std::string> tasks,
                                             const char* who) const;
};

// The model class the config's architecture names (FaceptorModel or naive::NaiveFaceptorModel),
// freshly constructed (call initialize or load weights next).
std::unique_ptr<FaceModel> make_face_model(const ModelConfig& config);

}  // namespace fc::faceptor
