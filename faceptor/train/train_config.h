// TrainConfig: a training run as JSON, mirroring the released YAML recipes
// (faceptor_project/expreiments/faceptor/stage_1/*.yaml, stage_2/*.yaml) in our own words.
//
//   {
//     "model": "base",                      // or "full", "naive_base", a ModelConfig JSON object, or
//                                           // {"preset": "base", "encoder": {"width": 32, "layers": 2},
//                                           //  "decoder": {...}, "tasks": ["age_morph2", {"name": "align_300w",
//                                           //  "input_size": 64}]}  (partial overrides of a preset; a new
//                                           //  task is an object with kind, queries, interpreter,
//                                           //  input_size, labels and optionally "loss", faceptor/tasks.h;
//                                           //  preset "naive_base" takes "naive": {"attribute_channels",
//                                           //  "dense_channels", "gate_reduction", "attribute_dropout", ...}
//                                           //  instead of "decoder", and one head per task-name prefix)
//     "init": "stage1.safetensors",         // optional: start from these weights (model file or checkpoint);
//                                           // tasks the file lacks start fresh (load_initial_weights)
//     "drop_path_rate": 0.2,
//     "tasks": [{"name": "age_morph2", "dataset": {"kind": "utkface", "root": "data/utk", "split": "train"},
//                "batch_size": 32, "loss_weight": 32,
//                "test_dataset": {...},       // optional, for periodic evaluation (train/train_eval.h);
//                                             // recognition: {"kind": "lfw_pairs", "pairs": "lfw/pairs.txt",
//                                             //               "root": "lfw/images"} (verification accuracy)
//                "classes": 93431}],          // recognition tasks only: CosFace rows
//     "task_weight": {"recog": 5, "age": 6},   // optional per-type reweighting (objective.h)
//     "optimizer": {"weight_decay": 0.05, "betas": [0.9, 0.999], "eps": 1e-8, "decay_all": true,
//                   "multipliers": {"backbone": 1, "decoder": 10, "interpreters": 10, "heads": 10, "losses": 10}},
//                                           // (defaults; a naive model's: backbone 0.1, heads 1, losses 1)
//     "schedule": {"base_lr": 1e-6, "warmup_lr": 5e-5, "warmup_steps": 2000, "eta_min": 0},
//     "max_iter": 50000, "clip_grad_norm": 5, "seed": 2048, "threads": 0, "workers": 2,
//     "eval": {"interval": 2500, "max_samples": 0, "batch_size": 16},   // and at the end; results
//                                           // appended to <checkpoint.dir>/eval.jsonl
//     "checkpoint": {"dir": "runs/stage1", "interval": 5000, "keep_last": 3},
//     "trainable": [],                      // stage 2: parameter-name substrings that train; [] = all
//     "log_interval": 10
//   }
//
// Only "model", "tasks", "schedule" and "max_iter" are required. The schedule uses the official
// names: base_lr is the warm-up start, warmup_lr the peak (nn/schedule.h). Every error names the
// file and the JSON path: "train.json: tasks[2].batch_size: expected a positive integer".
//
//   TrainConfig c = load_train_config("train.json");
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faceptor/config.h"

namespace fc::faceptor::train {

// A recognition task's test set: LFW-style pairs (data/readers_labels.h read_lfw_pairs).
inline constexpr const char* kLfwPairsKind = "lfw_pairs";

// A dataset named in the config: {"kind", "root", "split"} (data/open_dataset.h opens it; the
// kind must be one of data::dataset_kinds() and root an existing directory), or as a recognition
// task's test_dataset {"kind": "lfw_pairs", "pairs": FILE, "root": IMAGES_DIR}.
struct DatasetRef {
  std::string kind;
  std::string root;
  std::string split = "train";
  std::string pairs;  // kind lfw_pairs: the pairs file
  std::string json;   // the object as written, for open_dataset / parse_dataset_spec
};

struct TrainTaskConfig {
  std::string name;
  DatasetRef dataset;
  std::optional<DatasetRef> test_dataset;
  int batch_size = 0;
  double loss_weight = 1.0;
  int64_t classes = 0;  // recognition: identities (CosFace rows)
};

// The defaults are Faceptor stage 1's (expreiments/faceptor/stage_1/*.yaml).
struct OptimizerConfig {
  double weight_decay = 0.05;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool decay_all = true;  // the released code decays every parameter (norms and embeddings too)
  double backbone_multiplier = 1.0, decoder_multiplier = 10.0, interpreters_multiplier = 10.0,
         heads_multiplier = 10.0, losses_multiplier = 10.0;

  // expreiments/naive_faceptor/train_recog_age_biattr_affect_parsing_align.yaml: weight decay
  // 0.05, backbone_multiplier 0.1, heads_multiplier 1 (every "heads.*" parameter), and no
  // losses_multiplier (solver.py's default 1). The defaults of a config whose model is naive.
  static OptimizerConfig naive_released() {
    OptimizerConfig c;
    c.backbone_multiplier = 0.1;
    c.heads_multiplier = 1.0;
    c.losses_multiplier = 1.0;
    return c;
  }
};

// core/lr_scheduler Cosine with warm-up, in the YAML's names.
struct ScheduleConfig {
  double base_lr = 1e-6;    // warm-up start
  double warmup_lr = 5e-5;  // peak
  int64_t warmup_steps = 0;
  double eta_min = 0.0;
};

struct EvalConfig {
  int64_t interval = 0;  // 0: no evaluation (else every `interval` steps and at the end)
  int max_samples = 0;   // 0: the whole test set
  int batch_size = 16;
};

struct CheckpointConfig {
  std::string dir;        // "" : no checkpoints
  int64_t interval = 0;   // 0: only at the end
  int keep_last = 0;      // 0: keep every checkpoint
};

struct TrainConfig {
  std::string source;  // the file it came from, for messages
  std::string json;    // the config as read (stored in checkpoints)
  ModelConfig model;
  std::string init;    // "" : fresh random weights
  std::vector<TrainTaskConfig> tasks;
  std::map<std::string, double> task_weight;  // per type
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  int64_t max_iter = 0;
  double clip_grad_norm = 5.0;  // <= 0: no clipping
  uint64_t seed = 0;
  int threads = 0;  // 0: OpenMP's default
  int workers = 2;
  EvalConfig eval;
  CheckpointConfig checkpoint;
  std::vector<std::string> trainable;
  int64_t log_interval = 10;

  // The effective weight of each task (reweight_tasks over loss_weight and task_weight).
  std::map<std::string, double> task_weights() const;
};

// `source` names the text in errors (normally the file's path).
TrainConfig parse_train_config(const std::string& json, const std::string& source);
TrainConfig load_train_config(const std::string& path);

}  // namespace fc::faceptor::train
