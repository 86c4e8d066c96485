#include "faceptor/train/objective.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "nn/losses/age_dldl.h"
#include "nn/losses/classification.h"
#include "nn/losses/landmark.h"
#include "ops/elementwise.h"
#include "ops/index.h"

namespace fc::faceptor::train {

std::string task_type(const std::string& task) { return task.substr(0, task.find('_')); }

std::map<std::string, double> reweight_tasks(const std::vector<std::pair<std::string, double>>& loss_weights,
                                             const std::map<std::string, double>& type_weights) {
  std::map<std::string, double> type_sum;
  for (const auto& [task, weight] : loss_weights) type_sum[task_type(task)] += weight;
  std::map<std::string, double> out;
  for (const auto& [task, weight] : loss_weights) {
    auto it = type_weights.find(task_type(task));
    out[task] = it == type_weights.end() ? weight : weight / type_sum.at(task_type(task)) * it->second;
  }
  return out;
}

MultiTaskObjective::MultiTaskObjective(const ModelConfig& config, ObjectiveOptions options)
    : config_(config), options_(std::move(options)) {
  for (const TaskSpec& t : config_.tasks) {
    if (t.training_loss() != LossKind::cosface) continue;
    auto it = options_.recognition_classes.find(t.name);
    FC_CHECK(it != options_.recognition_classes.end() && it->second > 0, "MultiTaskObjective: recognition task ",
             t.name, " needs its number of identities (ObjectiveOptions::recognition_classes)");
    auto loss = std::make_unique<CosFaceLoss>(it->second, config_.embedding_dim, options_.cosface_scale,
                                              options_.cosface_margin);
    register_module(t.name, loss.get());
    cosface.emplace(t.name, std::move(loss));
  }
}

double MultiTaskObjective::task_weight(const std::string& task) const {
  auto it = options_.task_weights.find(task);
  return it == options_.task_weights.end() ? 1.0 : it->second;
}

namespace {

const Tensor& require_label(const Tensor& label, const TaskSpec& task, const char* what) {
  FC_CHECK(label.defined(), "MultiTaskObjective: the batch of task ", task.name, " (", task_kind_name(task.kind),
           ") has no ", what, " labels");
  return label;
}

}  // namespace

Tensor task_loss(const TaskSpec& task, const Tensor& raw, const data::Batch& batch, const CosFaceLoss* cosface,
                 std::map<std::string, Tensor>& terms) {
  // The loss is configuration (TaskSpec::loss, by default the kind's), so a new task of an
  // existing shape needs no code here.
  switch (task.training_loss()) {
    case LossKind::cosface:
      FC_CHECK(cosface != nullptr, "task_loss: recognition task ", task.name, " has no CosFace classifier");
      return cosface->forward(raw, require_label(batch.identity, task, "identity"));
    case LossKind::age_dldl: {
      AgeLossTerms l = age_dldl_loss(raw, require_label(batch.age, task, "age"));
      terms["kl"] = l.kl;
      terms["l1"] = l.l1;
      return l.total;
    }
    case LossKind::binary_cross_entropy:
      return attribute_loss(raw, require_label(batch.attributes, task, "attribute"));
    case LossKind::cross_entropy:
      return expression_loss(raw, require_label(batch.expression, task, "class index (Batch::expression)"));
    case LossKind::pixel_cross_entropy:
      return parsing_loss(raw, require_label(batch.parsing, task, "parsing"));
    case LossKind::landmark: {
      // align_loss.py AlignLoss(input_size 512, heatmap_size 128, heatmap_radius 5): the heatmap
      // is a quarter of the input side, as the map interpreter's 4S output is.
      LandmarkLossOptions options{.input_size = task.input_size, .heatmap_size = task.input_size / 4,
                                  .heatmap_radius = 5.0};
      LandmarkLossTerms l = landmark_loss(raw, require_label(batch.landmarks, task, "landmark"), options);
      terms["coord"] = l.coord;
      terms["heatmap"] = l.heatmap;
      return l.total;
    }
  }
  FC_CHECK(false, "task_loss: task ", task.name, " has an unknown loss");
  return {};
}

ObjectiveResult MultiTaskObjective::forward(const FaceModel& model, const std::vector<TaskBatch>& batches,
                                            Rng* rng) const {
  FC_CHECK(!batches.empty(), "MultiTaskObjective::forward: no task batches");
  std::set<std::string> seen;
  std::vector<int> sizes;  // input sizes in order of first appearance
  for (const TaskBatch& tb : batches) {
    const TaskSpec* spec = model.config.find_task(tb.task);
    FC_CHECK(spec != nullptr, "MultiTaskObjective::forward: the model has no task '", tb.task, "'");
    FC_CHECK(seen.insert(tb.task).second, "MultiTaskObjective::forward: task ", tb.task, " appears twice");
    const Tensor& images = tb.batch.images;
    FC_CHECK(images.defined() && images.ndim() == 4 && images.size(0) > 0 && images.size(2) == spec->input_size &&
                 images.size(3) == spec->input_size,
             "MultiTaskObjective::forward: task ", tb.task, " takes (B, 3, ", spec->input_size, ", ",
             spec->input_size, ") images, got ", images.defined() ? images.shape() : Shape{});
    if (std::find(sizes.begin(), sizes.end(), spec->input_size) == sizes.end()) sizes.push_back(spec->input_size);
  }

  ObjectiveResult result;
  std::map<std::string, Tensor> raw;
  for (int size : sizes) {
    std::vector<const TaskBatch*> group;
    std::vector<Tensor> images;
    for (const TaskBatch& tb : batches)
      if (model.config.find_task(tb.task)->input_size == size) {
        group.push_back(&tb);
        images.push_back(tb.batch.images);
      }
    EncoderOutput encoded = model.encoder.forward(images.size() == 1 ? images[0] : concat(images, 0), rng);
    RunOptions options;
    options.rng = rng;
    int64_t start = 0;
    for (const TaskBatch* tb : group) {
      const int64_t rows = tb->batch.images.size(0);
      raw[tb->task] = model.run_task_head(narrow_batch(encoded, start, rows), tb->task, options).raw;
      start += rows;
    }
  }

  // LossesHolder.forward: total = sum_t w_t * tloss_t, then / sum_t w_t, in the tasks' order.
  Tensor total;
  double weight_sum = 0.0;
  for (const TaskBatch& tb : batches) {
    const TaskSpec& spec = *model.config.find_task(tb.task);
    auto loss_it = cosface.find(tb.task);
    Tensor loss = task_loss(spec, raw.at(tb.task), tb.batch, loss_it == cosface.end() ? nullptr : loss_it->second.get(),
                            result.terms[tb.task]);
    if (result.terms[tb.task].empty()) result.terms.erase(tb.task);
    result.task_loss[tb.task] = loss;
    const double w = task_weight(tb.task);
    Tensor weighted = mul_scalar(loss, static_cast<float>(w));
    total = total.defined() ? add(total, weighted) : weighted;
    weight_sum += w;
  }
  FC_CHECK(weight_sum != 0.0, "MultiTaskObjective::forward: the task weights sum to 0");
  result.total = div(total, Tensor::scalar(static_cast<float>(weight_sum)));
  return result;
}

}  // namespace fc::faceptor::train
