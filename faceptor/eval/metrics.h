// The official Faceptor evaluation metrics (faceptor_project/core/evaluator/*.py), as pure
// functions plus accumulators that gather over a test set the way the official evaluators do.
// No model here: evaluate.h feeds these from model outputs.
//
//   LandmarkMetrics lm(landmark_protocol(68));          // 300W: inter-ocular and inter-pupil NME
//   lm.add(predicted_points, true_points);               // per sample, any coordinate frame
//   MetricMap m = lm.finish();                           // {"nme_inter_ocular": .., "nme_inter_pupil": ..}
//
//   ParsingMetrics pm(celebamask_hq_class_names());
//   pm.add(predicted_labels, true_labels);               // one image's H*W labels
//   pm.finish();                                         // {"f1/skin": .., ..., "mean_f1": ..}
//
// Units follow the official logs: NME, AUC, failure rate and verification accuracy as fractions;
// attribute and expression accuracies, age CS as percentages; age MAE in years.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "faceptor/warp.h"

namespace fc::faceptor::eval {

using MetricMap = std::map<std::string, double>;

// ---- Landmarks (align_evaluator.py: NME, AUC_FR, NormalizeByLandmarks / Box / BoxDiag) ----

// The distance one sample's errors are divided by.
struct NmeNormalization {
  enum class Kind { landmarks, box, box_diagonal };
  std::string name;               // "inter_ocular", ...; the metric is "nme_<name>"
  Kind kind = Kind::landmarks;
  std::vector<int> left, right;   // landmarks: |mean(truth[left]) - mean(truth[right])|
};
// Box kinds need the face box: sqrt(h * w) (box), sqrt(h^2 + w^2) (box_diagonal).

// The cumulative error distribution up to `threshold` of one normalisation, reported as
// "auc_<suffix>" and "fr_<suffix>".
struct CedSpec {
  std::string normalization;
  double threshold = 0.1;
  std::string suffix;
};

struct LandmarkProtocol {
  std::string dataset;                      // "300w", "wflw", "cofw", "aflw", or "generic"
  std::vector<NmeNormalization> normalizations;
  std::optional<CedSpec> ced;
  std::string primary;                      // headline metric key
};

// The official evaluator for each point count: 68 IBUG300WEvaluator (inter-ocular = outer eye
// corners 36/45, inter-pupil = eye-contour means 36-41/42-47), 98 WFLWEvaluator (60/72, 96/97;
// AUC/FR at 0.1 inter-ocular), 29 COFWEvaluator (8/9; AUC/FR at 0.1), 19 AFLWEvaluator (6/11,
// 7/10, box, diag; AUC/FR at 0.07 box). Other counts (not official): "box" normalisation by the
// true points' extent, sqrt(w * h).
LandmarkProtocol landmark_protocol(int num_points);

// One sample's NME: mean over points of |pred - truth| / unit distance. `box` (boundary
// coordinates of the same frame) is needed by the box normalisations, and for the generic
// protocol may be null (the truth points' extent is used).
double sample_nme(std::span<const Point2> pred, std::span<const Point2> truth, const NmeNormalization& norm,
                  const Box* box = nullptr);

struct CedResult {
  double auc = 0;           // integral of the CED over [0, threshold] / threshold
  double failure_rate = 0;  // fraction of samples with NME above the last grid point
};
// ref: AUC_FR.finalize_evaluation: grid numpy.arange(0, threshold + step, step) (so 0.07 with
// step 1e-4 ends at 0.0701, as numpy's arange does), CED(x) = fraction of NMEs <= x,
// AUC = Simpson integral / threshold.
CedResult ced_auc_failure_rate(std::vector<double> nmes, double threshold, double step = 1e-4);

// scipy.integrate.simps(y, x=x) of scipy < 1.11: composite Simpson over (possibly uneven) x; an
// even number of points averages "Simpson on the first N-1 + trapezoid on the last interval"
// and "trapezoid on the first + Simpson on the last N-1" (even='avg').
double simpson_integral(std::span<const double> y, std::span<const double> x);

class LandmarkMetrics {
 public:
  explicit LandmarkMetrics(LandmarkProtocol protocol);
  // pred, truth: one sample's points in the same frame (any similarity frame gives the same NME).
  void add(std::span<const Point2> pred, std::span<const Point2> truth, const Box* box = nullptr);
  int64_t count() const { return count_; }
  // "nme_<name>" per normalisation (mean over samples), "auc_<suffix>", "fr_<suffix>".
  MetricMap finish() const;
  const LandmarkProtocol& protocol() const { return protocol_; }

 private:
  LandmarkProtocol protocol_;
  std::vector<double> nme_sum_;   // per normalisation
  std::vector<double> ced_nmes_;  // per sample, for the CED
  int64_t count_ = 0;
};

// ---- Parsing (parsing_evaluator.py F1Score) ----

// Confusion matrix accumulated over every pixel of the test set (rows truth, columns
// prediction); F1_c = 2 * hist[c][c] / (row_c + column_c). "mean_f1" averages the classes whose
// name is not `background` (the official fg_mean). A class that neither truth nor prediction
// ever contains has no F1 (0/0): the official code then reports NaN for it and for the mean; we
// leave it out of both (the official test sets contain every class, so they agree there).
class ParsingMetrics {
 public:
  explicit ParsingMetrics(std::vector<std::string> class_names, std::string background = "background");
  // pred, truth: one image's labels (same length); every value must be a class index.
  void add(std::span<const int32_t> pred, std::span<const uint8_t> truth);
  const std::vector<int64_t>& confusion() const { return confusion_; }  // (K, K) row-major
  int64_t images() const { return images_; }
  MetricMap finish() const;  // "f1/<class>" for each class present, "mean_f1"

 private:
  std::vector<std::string> names_;
  std::string background_;
  std::vector<int64_t> confusion_;
  int64_t images_ = 0;
};

// ---- Age (age_evaluator.py AgeEvaluator_V2) ----

// MAE = mean |pred - truth|; CS = percentage with |pred - truth| <= 5; eps-error =
// 1 - mean(exp(-(pred - truth)^2 / (2 * 3^2))) (std 3, as the official code fixes it). The
// official per-batch means weighted by batch size equal these means over all samples.
class AgeMetrics {
 public:
  void add(double pred, double truth);
  int64_t count() const { return count_; }
  MetricMap finish() const;  // "mae", "cs5", "eps_error"

 private:
  double abs_sum_ = 0, within5_ = 0, gauss_sum_ = 0;
  int64_t count_ = 0;
};

// ---- Expression (affect_evaluator.py SingferEvaluator: timm accuracy top-1) ----

// Index of the largest logit (the first on ties). logits (K)
int argmax(std::span<const float> logits);

class ClassificationMetrics {
 public:
  explicit ClassificationMetrics(std::vector<std::string> class_names);
  void add(int pred, int truth);
  int64_t count() const { return count_; }
  // "accuracy" (percent, official); "recall/<class>" per class with samples (percent; not in
  // the official evaluator, reported because RAF-DB results are often given per class).
  MetricMap finish() const;

 private:
  std::vector<std::string> names_;
  std::vector<int64_t> correct_, total_;
  int64_t count_ = 0, hits_ = 0;
};

// ---- Attributes (biattr_evaluator.py BiAttrEvaluator, core/utils.py binary_accuracy) ----

// Prediction = round(sigmoid(logit)) (float32 sigmoid, 0.5 rounds to 0 as torch.round does);
// per attribute accuracy in percent; "mean_accuracy" = plain mean of the per-attribute
// accuracies (not label-based mA). Unknown labels (-1) are skipped (the official code would
// count them as errors; CelebA's test split has none).
class AttributeMetrics {
 public:
  explicit AttributeMetrics(std::vector<std::string> names);
  // logits (A), labels (A) with 1 / 0 / -1
  void add(std::span<const float> logits, std::span<const int8_t> labels);
  int64_t count() const { return count_; }
  MetricMap finish() const;  // "mean_accuracy", "accuracy/<name>"

 private:
  std::vector<std::string> names_;
  std::vector<int64_t> correct_, known_;
  int64_t count_ = 0;
};

// ---- Verification (recog_evaluator.py: test, evaluate, calculate_roc, calculate_accuracy) ----

// Squared L2 distance between the L2-normalised embeddings a and b (the official compares
// sklearn-normalised (embedding + flipped embedding) with sum((e1 - e2)^2)).
double normalized_squared_distance(std::span<const float> a, std::span<const float> b);

struct VerificationResult {
  double accuracy = 0;  // mean over folds (fraction)
  double std = 0;       // population std over folds (numpy.std)
  std::vector<double> fold_accuracy;
  std::vector<double> fold_threshold;
};
// LFW protocol as the official calculate_roc: pairs split in `folds` consecutive folds in the
// given order (sklearn KFold without shuffle: the first n % folds folds get one extra pair);
// for each fold, the threshold in arange(0, 4, 0.01) with the best accuracy on the other folds
// (the first best) predicts "same" when distance < threshold on this fold.
VerificationResult verification_accuracy(std::span<const double> squared_distances, const std::vector<bool>& same,
                                         int folds = 10);

}  // namespace fc::faceptor::eval
