#include "faceptor/eval/evaluate.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "core/autograd.h"
#include "core/error.h"
#include "faceptor/data/batch.h"
#include "faceptor/eval/metrics.h"
#include "faceptor/image.h"
#include "faceptor/outputs.h"
#include "faceptor/preprocess.h"

namespace fc::faceptor::eval {
namespace {

const TaskSpec& task_of(const FaceModel& model, const std::string& task, const char* caller) {
  const TaskSpec* spec = model.config.find_task(task);
  if (!spec) {
    std::string known;
    for (const TaskSpec& t : model.config.tasks) known += (known.empty() ? "" : ", ") + t.name;
    FC_CHECK(false, caller, ": the model has no task '", task, "' (its tasks: ", known, ")");
  }
  FC_CHECK(!model.is_training(), caller, ": the model is in training mode; call model.eval() first "
           "(or hold an EvalModeGuard): BatchNorm and drop path differ in training");
  return *spec;
}

void report_progress(const EvalOptions& options, const std::string& task, int64_t done, int64_t total) {
  if (!options.progress) return;
  std::cerr << "\revaluate " << task << ": " << done << "/" << total << (done == total ? "\n" : "") << std::flush;
}

// Loads samples [begin, end) in parallel (readers and transforms are thread-safe); the first
// failure is rethrown naming the sample.
std::vector<data::Sample> load_samples(const data::Dataset& set, size_t begin, size_t end) {
  std::vector<data::Sample> samples(end - begin);
  std::vector<std::string> errors(end - begin);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = 0; i < static_cast<int64_t>(end - begin); ++i) {
    try {
      Rng rng(0);  // test transforms draw nothing
      samples[i] = set.get(begin + i, rng);
    } catch (const std::exception& e) {
      errors[i] = set.describe(begin + i) + ": " + e.what();
    }
  }
  for (const std::string& e : errors) FC_CHECK(e.empty(), e);
  return samples;
}

// Feeds one batch's raw output to the task's metric.
class TaskScorer {
 public:
  explicit TaskScorer(const TaskSpec& spec) : spec_(spec) {
    switch (spec.kind) {
      case TaskKind::parsing: parsing_ = std::make_unique<ParsingMetrics>(spec.labels); break;
      case TaskKind::landmarks: landmarks_ = std::make_unique<LandmarkMetrics>(landmark_protocol(spec.queries)); break;
      case TaskKind::attributes: attributes_ = std::make_unique<AttributeMetrics>(spec.labels); break;
      case TaskKind::expression: expression_ = std::make_unique<ClassificationMetrics>(spec.labels); break;
      default: break;
    }
  }

  // raw: the task's head output for these samples (TaskResult::raw)
  void add(const Tensor& raw_in, const std::vector<data::Sample>& samples) {
    Tensor raw = raw_in.contiguous();
    const int64_t b = raw.size(0);
    switch (spec_.kind) {
      case TaskKind::age: {
        Tensor ages = age_from_logits(raw).age.contiguous();
        for (int64_t i = 0; i < b; ++i) {
          FC_CHECK(samples[i].age >= 0, samples[i].name, ": no age label");
          age_.add(ages.data()[i], samples[i].age);
        }
        break;
      }
      case TaskKind::attributes: {
        const int64_t a = raw.size(1);
        for (int64_t i = 0; i < b; ++i) {
          FC_CHECK(static_cast<int64_t>(samples[i].attributes.size()) == a, samples[i].name, ": ",
                   samples[i].attributes.size(), " attribute labels for ", a, " outputs");
          attributes_->add(std::span<const float>(raw.data() + i * a, a), samples[i].attributes);
        }
        break;
      }
      case TaskKind::expression: {
        const int64_t k = raw.size(1);
        for (int64_t i = 0; i < b; ++i) {
          FC_CHECK(samples[i].expression >= 0, samples[i].name, ": no expression label");
          expression_->add(argmax(std::span<const float>(raw.data() + i * k, k)), samples[i].expression);
        }
        break;
      }
      case TaskKind::parsing:
        for (int64_t i = 0; i < b; ++i) {
          const data::LabelMap& truth = samples[i].parsing;
          FC_CHECK(!truth.empty(), samples[i].name, ": no parsing labels");
          // ref: ParsingOutput (bilinear to the label size), then argmax per pixel.
          Tensor logits = parsing_logits_resized(raw.narrow(0, i, 1), truth.height, truth.width);
          Tensor labels = parsing_labels(logits).contiguous();
          std::vector<int32_t> pred(labels.numel());
          for (size_t k = 0; k < pred.size(); ++k) pred[k] = static_cast<int32_t>(labels.data()[k]);
          parsing_->add(pred, truth.labels);
        }
        break;
      case TaskKind::landmarks: {
        Tensor points = landmarks_from_heatmaps(raw).contiguous();  // (B, P, 2) in [0, 1]
        const int64_t p = points.size(1);
        for (int64_t i = 0; i < b; ++i) {
          const data::Sample& s = samples[i];
          FC_CHECK(static_cast<int64_t>(s.landmarks.size()) == p, s.name, ": ", s.landmarks.size(),
                   " landmarks for ", p, " predicted points");
          std::vector<Point2> pred(p);
          for (int64_t k = 0; k < p; ++k) {
            // ref: geometry.py denormalize_points: n * [w, h] - 0.5.
            pred[k] = {points.data()[(i * p + k) * 2] * s.width() - 0.5,
                       points.data()[(i * p + k) * 2 + 1] * s.height() - 0.5};
          }
          landmarks_->add(pred, s.landmarks);
        }
        break;
      }
      case TaskKind::recognition: FC_CHECK(false, "evaluate_task: recognition is evaluated on pairs");
    }
  }

  EvalResult finish() const {
    EvalResult r;
    r.task = spec_.name;
    switch (spec_.kind) {
      case TaskKind::age:
        r.metrics = age_.finish();
        r.primary = "mae";
        r.higher_is_better = false;
        break;
      case TaskKind::attributes:
        r.metrics = attributes_->finish();
        r.primary = "mean_accuracy";
        break;
      case TaskKind::expression:
        r.metrics = expression_->finish();
        r.primary = "accuracy";
        break;
      case TaskKind::parsing:
        r.metrics = parsing_->finish();
        r.primary = "mean_f1";
        break;
      case TaskKind::landmarks:
        r.metrics = landmarks_->finish();
        r.primary = landmarks_->protocol().primary;
        r.metrics["nme"] = r.metrics.at(r.primary);  // the headline NME under one name for every dataset
        r.higher_is_better = false;
        break;
      case TaskKind::recognition: break;
    }
    return r;
  }

 private:
  const TaskSpec& spec_;
  AgeMetrics age_;
  std::unique_ptr<ParsingMetrics> parsing_;
  std::unique_ptr<LandmarkMetrics> landmarks_;
  std::unique_ptr<AttributeMetrics> attributes_;
  std::unique_ptr<ClassificationMetrics> expression_;
};

// x (B, 3, H, W) -> the same images mirrored left-right.
Tensor flip_width(const Tensor& x_in) {
  Tensor x = x_in.contiguous();
  Tensor out = Tensor::empty(x.shape());
  const int64_t rows = x.numel() / x.size(3), w = x.size(3);
  const float* src = x.data();
  float* dst = out.mutable_data();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < w; ++c) dst[r * w + c] = src[r * w + (w - 1 - c)];
  return out;
}

}  // namespace

EvalResult evaluate_task(const FaceModel& model, const std::string& task, const data::Dataset& test_set,
                         const EvalOptions& options) {
  const TaskSpec& spec = task_of(model, task, "evaluate_task");
  FC_CHECK(spec.kind != TaskKind::recognition, "evaluate_task: ", task,
           " is a recognition task: evaluate it on pairs (evaluate_verification)");
  FC_CHECK(options.batch_size > 0 && options.max_samples >= 0, "evaluate_task: batch size ", options.batch_size,
           ", max samples ", options.max_samples);
  size_t total = test_set.size();
  if (options.max_samples > 0) total = std::min(total, static_cast<size_t>(options.max_samples));
  FC_CHECK(total > 0, "evaluate_task: ", task, ": the test set is empty");
  NoGradGuard no_grad;
  TaskScorer scorer(spec);
  const data::InputNormalization normalization = data::normalization_for_input_size(spec.input_size);
  for (size_t begin = 0; begin < total; begin += options.batch_size) {
    size_t end = std::min(total, begin + static_cast<size_t>(options.batch_size));
    std::vector<data::Sample> samples = load_samples(test_set, begin, end);
    for (const data::Sample& s : samples)
      FC_CHECK(s.height() == spec.input_size && s.width() == spec.input_size, "evaluate_task: ", s.name, " is ",
               s.height(), "x", s.width(), " but ", task, " takes ", spec.input_size, "x", spec.input_size,
               " (apply the task's test transform)");
    data::Batch batch = data::make_batch(samples, normalization);
    PassResult out = model.run(batch.images, {task});
    scorer.add(out.tasks.at(task).raw, samples);
    report_progress(options, task, static_cast<int64_t>(end), static_cast<int64_t>(total));
  }
  EvalResult r = scorer.finish();
  r.samples = static_cast<int64_t>(total);
  return r;
}

// ref: recog_evaluator.py test(): flip-augmented embeddings, sklearn normalize, evaluate().
EvalResult evaluate_verification(const FaceModel& model, const std::string& task,
                                 const std::vector<data::FacePair>& all_pairs, const EvalOptions& options) {
  const TaskSpec& spec = task_of(model, task, "evaluate_verification");
  FC_CHECK(spec.kind == TaskKind::recognition, "evaluate_verification: ", task, " is a ", task_kind_name(spec.kind),
           " task, not recognition");
  FC_CHECK(options.batch_size > 0 && options.max_samples >= 0, "evaluate_verification: batch size ",
           options.batch_size, ", max samples ", options.max_samples);
  std::vector<data::FacePair> pairs = all_pairs;
  if (options.max_samples > 0 && pairs.size() > static_cast<size_t>(options.max_samples)) pairs.resize(options.max_samples);
  FC_CHECK(pairs.size() >= 10, "evaluate_verification: ", pairs.size(), " pairs; 10-fold verification needs at least 10");

  // Each image once, in first-seen order.
  std::map<std::string, size_t> index_of;
  std::vector<std::string> paths;
  for (const data::FacePair& p : pairs)
    for (const std::string* path : {&p.first, &p.second})
      if (index_of.emplace(*path, paths.size()).second) paths.push_back(*path);

  NoGradGuard no_grad;
  std::vector<std::vector<float>> embeddings(paths.size());
  for (size_t begin = 0; begin < paths.size(); begin += options.batch_size) {
    size_t end = std::min(paths.size(), begin + static_cast<size_t>(options.batch_size));
    const int64_t b = static_cast<int64_t>(end - begin), s = spec.input_size;
    Tensor inputs = Tensor::empty({2 * b, 3, s, s});
    std::vector<std::string> errors(b);
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < b; ++i) {
      try {
        Tensor x = attribute_input(load_image(paths[begin + i]), static_cast<int>(s));  // (1, 3, s, s)
        Tensor flipped = flip_width(x);
        std::copy(x.data(), x.data() + x.numel(), inputs.mutable_data() + i * x.numel());
        std::copy(flipped.data(), flipped.data() + x.numel(), inputs.mutable_data() + (b + i) * x.numel());
      } catch (const std::exception& e) {
        errors[i] = std::string(e.what()).find(paths[begin + i]) == std::string::npos
                        ? paths[begin + i] + ": " + e.what()
                        : e.what();
      }
    }
    for (const std::string& e : errors) FC_CHECK(e.empty(), "evaluate_verification: ", e);
    Tensor raw = model.run(inputs, {task}).tasks.at(task).raw.contiguous();  // (2B, E)
    const int64_t dim = raw.size(1);
    for (int64_t i = 0; i < b; ++i) {
      std::vector<float>& e = embeddings[begin + i];
      e.resize(dim);
      for (int64_t k = 0; k < dim; ++k) e[k] = raw.data()[i * dim + k] + raw.data()[(b + i) * dim + k];
    }
    report_progress(options, task, static_cast<int64_t>(end), static_cast<int64_t>(paths.size()));
  }

  std::vector<double> distances;
  std::vector<bool> same;
  for (const data::FacePair& p : pairs) {
    distances.push_back(normalized_squared_distance(embeddings[index_of.at(p.first)], embeddings[index_of.at(p.second)]));
    same.push_back(p.same);
  }
  VerificationResult v = verification_accuracy(distances, same);
  EvalResult r;
  r.task = task;
  r.samples = static_cast<int64_t>(pairs.size());
  r.metrics = {{"accuracy", v.accuracy}, {"accuracy_std", v.std}};
  double threshold_sum = 0;
  for (double t : v.fold_threshold) threshold_sum += t;
  r.metrics["threshold_mean"] = threshold_sum / v.fold_threshold.size();
  r.primary = "accuracy";
  return r;
}

}  // namespace fc::faceptor::eval
