// Trainer: the multi-task training loop of Faceptor and Naive Faceptor (the config's model
// section picks the design; core/solver/solver.py Solver.run in our words): every step takes one batch per task, runs the objective (one encoder pass per input
// size), backpropagates, clips the gradient norm, sets the scheduled learning rate and takes an
// AdamW step. Checkpoints (train/checkpoint.h) resume bit-exactly: model, objective, optimizer,
// schedule position, the training Rng (drop path, the naive heads' dropout) and every task
// loader's position.
//
//   TrainConfig config = load_train_config("train.json");
//   TrainerOptions options;
//   options.datasets = my_dataset_factory;            // TaskSpec + DatasetRef -> transformed Dataset
//   options.evaluate = make_eval_hook(config, std::cerr);   // optional (train/train_eval.h)
//   Trainer trainer(config, options);                  // options.resume = "run/step_001000.safetensors"
//   trainer.run();                                     // or: StepResult r = trainer.step();
//
// Data parallel (options.communicator with several processes, e.g. under mpirun): every rank
// builds the same model, draws its own disjoint shard of each task's sampler (batch_size is per
// rank, as in the official per-GPU configs: the global batch is batch_size x ranks), and the
// gradients are averaged over ranks by dist::GradientBuckets while backward runs; BatchNorm
// layers use the global batch's statistics (SyncBN). The ranks' updates are then identical, so
// their weights stay equal. Rank 0 alone logs, evaluates and writes checkpoints; every rank
// resumes from the same checkpoint file (with the same number of ranks). Drop path (and the naive
// heads' dropout) draws from the same Rng stream on every rank (so the checkpoint's one Rng state resumes them all): rank
// r's k-th sample gets the same mask as rank 0's k-th, unlike per-GPU seeds in PyTorch.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "dist/gradient_buckets.h"
#include "faceptor/data/loader.h"
#include "faceptor/model.h"
#include "faceptor/train/checkpoint.h"
#include "faceptor/train/objective.h"
#include "faceptor/train/train_config.h"
#include "nn/optimizer.h"
#include "nn/schedule.h"

namespace fc::faceptor::train {

// Opens a task's training set with its train transform applied (data/open_dataset.h's
// open_dataset + train_transform_for in the CLI; in-memory datasets in tests).
using DatasetFactory = std::function<std::shared_ptr<const data::Dataset>(const TaskSpec&, const DatasetRef&)>;
// Periodic evaluation; the model is in eval mode during the call and back in training mode after.
using EvalHook = std::function<void(const FaceModel& model, int64_t step)>;

struct TrainerOptions {
  // ({} initialisers: callers name only the fields they set, as designated initialisers.)
  DatasetFactory datasets{};  // required
  EvalHook evaluate{};        // optional, every config.eval.interval steps and at the end
  std::string resume{};       // a checkpoint to continue from ("" : start fresh)
  std::ostream* log = nullptr;  // progress and log lines (nullptr: std::cerr)
  bool progress_line = true;    // one updating line on a terminal; plain lines otherwise
  dist::Communicator* communicator = nullptr;  // data parallelism over its processes (null: one process)
  size_t bucket_floats = size_t(1) << 20;      // gradient all-reduce bucket size (4 MiB of floats)
};

struct StepResult {
  int64_t step = 0;  // updates done after this one
  double total = 0;
  std::map<std::string, double> task_loss;
  double lr = 0;           // base lr used by this update (groups multiply it)
  double grad_norm = 0;    // before clipping
  dist::ReduceTiming reduce;  // data parallel: the gradient all-reduce of this step
};

class Trainer {
 public:
  Trainer(TrainConfig config, TrainerOptions options);
  ~Trainer();

  // One update. Throws fc::Error naming the step and task on a NaN/inf loss, and the parameter
  // on a NaN/inf gradient, before anything is changed.
  StepResult step();
  // Steps until config.max_iter with progress output, periodic checkpoints and evaluation, and
  // a final checkpoint (when config.checkpoint.dir is set).
  void run();

  // The whole training state into one file (atomic).
  void save_checkpoint(const std::string& path);
  std::string checkpoint_path(int64_t step) const;  // <dir>/step_<step>.safetensors

  int64_t current_step() const { return step_; }
  const TrainConfig& config() const { return config_; }
  FaceModel& model() { return *model_; }
  MultiTaskObjective& objective() { return *objective_; }
  Optimizer& optimizer() { return *optimizer_; }
  const LrSchedule& schedule() const { return *schedule_; }
  TrainState state() const;
  int rank() const { return communicator_->rank(); }
  int world_size() const { return communicator_->world_size(); }

 private:
  void open_loaders(const TrainState* resume);
  void enable_data_parallel();  // SyncBN + gradient buckets
  void remove_old_checkpoints();

  TrainConfig config_;
  TrainerOptions options_;
  std::unique_ptr<FaceModel> model_;  // FaceptorModel or naive::NaiveFaceptorModel
  std::unique_ptr<MultiTaskObjective> objective_;
  std::vector<ParamGroup> groups_;
  std::unique_ptr<AdamW> optimizer_;
  std::unique_ptr<LrSchedule> schedule_;
  std::vector<std::shared_ptr<const data::Dataset>> datasets_;
  std::vector<std::unique_ptr<data::DataLoader>> loaders_;
  Rng rng_;  // drop path and the naive heads' dropout
  int64_t step_ = 0;
  std::vector<std::string> written_checkpoints_;
  dist::LocalCommunicator single_process_;
  dist::Communicator* communicator_ = &single_process_;
  std::unique_ptr<dist::GradientBuckets> buckets_;  // with several ranks
};

// Parameter groups of the recipe: encoder at backbone_multiplier, decoder / interpreters / heads
// at theirs (Naive Faceptor's "heads.*" at heads_multiplier), the objective's "losses.*" at losses_multiplier; with `trainable` non-empty only
// parameters whose name contains one of its substrings are kept, the others get requires_grad
// false (stage 2 freezes the stage-1 model this way).
std::vector<ParamGroup> training_param_groups(FaceModel& model, MultiTaskObjective& objective,
                                              const OptimizerConfig& optimizer,
                                              const std::vector<std::string>& trainable);

// Loader seed of task `index` for a run seeded `seed` (independent streams per task).
uint64_t task_loader_seed(uint64_t seed, size_t index);

}  // namespace fc::faceptor::train
