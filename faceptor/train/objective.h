// The multi-task training objective of Faceptor and Naive Faceptor (any FaceModel): one batch per
// task, one encoder pass per input size, each task's head and loss on its own rows, and the
// weighted total the optimizer descends.
//
//   std::map<std::string, double> w = reweight_tasks({{"recog_ms1mv3", 128}, {"age_morph2", 32}},
//                                                    {{"recog", 5}, {"age", 6}});
//   MultiTaskObjective objective(model.config, {.task_weights = w,
//                                               .recognition_classes = {{"recog_ms1mv3", 93431}}});
//   objective.initialize(rng);                       // CosFace class matrices
//   ObjectiveResult r = objective.forward(model, {{"recog_ms1mv3", b0}, {"age_morph2", b1}});
//   r.total.backward();                              // r.task_loss.at("age_morph2").item() for logs
//
// Ports (faceptor_project/core/): model/model_entry.py AIOEntry.forward_backbone (the grouping),
// model/loss/__init__.py LossesHolder.forward (the weighted total), config.py Config.__init__
// (reweight_tasks), model/loss/*.py (each task's loss, see nn/losses/).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "faceptor/data/batch.h"
#include "faceptor/model.h"  // FaceModel, and narrow_batch (training slices the encoder output)
#include "nn/losses/cosface.h"
#include "nn/module.h"

namespace fc::faceptor::train {

struct TaskBatch {
  std::string task;
  data::Batch batch;
};

// Official task reweighting (core/config.py): each task's loss_weight is divided by the sum of
// loss_weights of the tasks of its type (the name's prefix before the first '_': recog, age,
// biattr, affect, parsing, align) and multiplied by type_weights[type]. Stage 1 Base: recog 5,
// age 6, biattr 2, affect_affectnet 4, affect_rafdb 1, parsing 100, align 1000. A type absent
// from type_weights keeps its loss_weight unchanged (the released code would raise a KeyError).
std::map<std::string, double> reweight_tasks(const std::vector<std::pair<std::string, double>>& loss_weights,
                                             const std::map<std::string, double>& type_weights);

// The task type reweight_tasks groups by: "affect_rafdb" -> "affect".
std::string task_type(const std::string& task);

struct ObjectiveOptions {
  std::map<std::string, double> task_weights{};        // effective weight per task; missing -> 1
  std::map<std::string, int64_t> recognition_classes{};  // CosFace rows per recognition task
  float cosface_scale = 64.f, cosface_margin = 0.4f;
};

struct ObjectiveResult {
  Tensor total;                                                // () sum_t w_t L_t / sum_t w_t
  std::map<std::string, Tensor> task_loss;                     // () each task's loss ("tloss")
  std::map<std::string, std::map<std::string, Tensor>> terms;  // age kl/l1, landmarks coord/heatmap
};

// Holds the loss parameters: "<task>.classifier" (C, 512) per recognition task. In model files
// and checkpoints they appear as "losses.<task>.classifier" (the converter's name).
class MultiTaskObjective : public Module {
 public:
  MultiTaskObjective(const ModelConfig& config, ObjectiveOptions options);

  // As AIOEntry.forward_backbone: batches grouped by input size (sizes in order of first
  // appearance); ONE encoder pass per size over the images of that size's tasks concatenated
  // along the batch in the order given; then each task's head (FaceModel::run_task_head: Faceptor's
  // decoder + interpreter, or a naive head) on its own slice of the encoder output (so batch-norm
  // statistics, dropout masks and the decoder memory are per task, as upstream); then each task's
  // loss and the weighted total. LossesHolder divides by the weight sum of every configured
  // task; here the sum runs over the tasks in `batches`, which is the same when every task has a
  // batch, as in training. In training mode `rng` draws, per input size, the encoder's drop
  // path (drop_path_rate > 0) and then each task's head dropout masks (Naive Faceptor); null: no
  // drop path, and an error from a head whose dropout rate is nonzero. Each task appears at most once; every
  // task must be one of the model's.
  ObjectiveResult forward(const FaceModel& model, const std::vector<TaskBatch>& batches, Rng* rng = nullptr) const;

  double task_weight(const std::string& task) const;
  const ObjectiveOptions& options() const { return options_; }

  std::map<std::string, std::unique_ptr<CosFaceLoss>> cosface;  // per recognition task

 private:
  ModelConfig config_;
  ObjectiveOptions options_;
};

// One task's loss from its head output. raw: the task's TaskResult::raw; batch: its labels.
// Fills `terms` for the losses with parts (age kl/l1, landmarks coord/heatmap).
Tensor task_loss(const TaskSpec& task, const Tensor& raw, const data::Batch& batch, const CosFaceLoss* cosface,
                 std::map<std::string, Tensor>& terms);

}  // namespace fc::faceptor::train
