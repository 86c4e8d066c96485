// Evaluating a face model (Faceptor or Naive Faceptor, faceptor/face_model.h) on a test set:
// batches through the model (no gradients), the outputs mapped to each task's official metric (metrics.h).
//
//   std::unique_ptr<FaceModel> model = load_face_model("faceptor_base.safetensors");   // model_io.h
//   model->eval();
//   DatasetSpec spec{"300w", "data/300W", "test"};
//   TransformedDataset test(open_dataset(spec), test_transform_for(*model->config.find_task("align_300w"), spec));
//   EvalResult r = evaluate_task(*model, "align_300w", test, {.batch_size = 8});
//   r.metrics.at(r.primary);                       // "nme_inter_ocular", lower is better
//
//   std::vector<FacePair> pairs = read_lfw_pairs("lfw/pairs.txt", "lfw/images");
//   EvalResult v = evaluate_verification(*model, "recog_ms1mv3", pairs);   // 10-fold accuracy
//
// Where the comparison happens (ref: core/evaluator/*.py):
// - value tasks compare per sample: expected age (sigmoid, L1-normalised, sum p_i * i), round of
//   the attribute sigmoids, argmax of the expression logits.
// - parsing: the (K, h, w) logits are resized bilinearly (align_corners false) to the sample's
//   label map and argmaxed; F1 over the accumulated confusion matrix. The official evaluator
//   warps the logits back to the original picture instead; for CelebAMask-HQ (the crop is the
//   whole 512 image) that is the same; for LaPa (tanh-warped crop) ours scores in the crop.
// - landmarks: heatmaps -> points (x + 0.5) / W -> crop pixels n * size - 0.5 (denormalize_points),
//   against the sample's points in the same crop. The official maps both back to the original
//   picture; NME is unchanged by that (the landmark crop is a similarity transform).
// - verification: as recog_evaluator.test: embedding(image) + embedding(flipped image), L2
//   normalised, squared distance, 10 folds in the pairs' order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "faceptor/data/dataset.h"
#include "faceptor/data/readers_labels.h"
#include "faceptor/model.h"

namespace fc::faceptor::eval {

struct EvalOptions {
  int batch_size = 16;
  int max_samples = 0;  // 0: all (for verification: pairs)
  bool progress = false;  // "evaluate <task>: i/n" on stderr
};

struct EvalResult {
  std::string task;
  int64_t samples = 0;                     // samples (or pairs) evaluated
  std::map<std::string, double> metrics;   // see metrics.h for keys and units
  std::string primary;                     // the headline metric's key
  bool higher_is_better = true;
};

// Runs `model` (which must be in eval mode: BatchNorm statistics and drop path differ in
// training) without gradient recording over `test_set` (already transformed to the task's
// input size) for one non-recognition task. Sample errors name the sample's file.
EvalResult evaluate_task(const FaceModel& model, const std::string& task, const data::Dataset& test_set,
                         const EvalOptions& options = {});

// Verification accuracy (10-fold) of a recognition task on LFW-style pairs; images are read
// from the pairs' paths and resized to the task's input size (each image embedded once).
EvalResult evaluate_verification(const FaceModel& model, const std::string& task,
                                 const std::vector<data::FacePair>& pairs, const EvalOptions& options = {});

// Puts a model in eval mode for a scope and restores its previous mode (for a trainer that
// evaluates periodically).
class EvalModeGuard {
 public:
  explicit EvalModeGuard(Module& model) : model_(model), was_training_(model.is_training()) { model_.eval(); }
  ~EvalModeGuard() { model_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  Module& model_;
  bool was_training_;
};

}  // namespace fc::faceptor::eval
