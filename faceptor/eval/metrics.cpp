#include "faceptor/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace fc::faceptor::eval {
namespace {

Point2 mean_of(std::span<const Point2> points, const std::vector<int>& ids) {
  Point2 m;
  for (int i : ids) {
    m.x += points[i].x;
    m.y += points[i].y;
  }
  return {m.x / ids.size(), m.y / ids.size()};
}

double distance(Point2 a, Point2 b) { return std::hypot(a.x - b.x, a.y - b.y); }

Box extent_of(std::span<const Point2> points) {
  Box b{points[0].x, points[0].y, points[0].x, points[0].y};
  for (const Point2& p : points) {
    b.x1 = std::min(b.x1, p.x);
    b.y1 = std::min(b.y1, p.y);
    b.x2 = std::max(b.x2, p.x);
    b.y2 = std::max(b.y2, p.y);
  }
  return b;
}

double percent(int64_t part, int64_t whole) { return whole == 0 ? 0.0 : 100.0 * part / whole; }

}  // namespace

// ref: align_evaluator.py, the normalize_infos of IBUG300WEvaluator, WFLWEvaluator, COFWEvaluator,
// AFLWEvaluator and their AUC_FR scorers.
LandmarkProtocol landmark_protocol(int num_points) {
  using K = NmeNormalization::Kind;
  std::vector<int> left_eye{36, 37, 38, 39, 40, 41}, right_eye{42, 43, 44, 45, 46, 47};
  switch (num_points) {
    case 68:
      return {"300w", {{"inter_ocular", K::landmarks, {36}, {45}}, {"inter_pupil", K::landmarks, left_eye, right_eye}},
              std::nullopt, "nme_inter_ocular"};
    case 98:
      return {"wflw",
              {{"inter_ocular", K::landmarks, {60}, {72}}, {"inter_pupil", K::landmarks, {96}, {97}}},
              CedSpec{"inter_ocular", 0.1, "inter_ocular_10"},
              "nme_inter_ocular"};
    case 29:
      return {"cofw", {{"inter_ocular", K::landmarks, {8}, {9}}}, CedSpec{"inter_ocular", 0.1, "inter_ocular_10"},
              "nme_inter_ocular"};
    case 19:
      return {"aflw",
              {{"inter_ocular", K::landmarks, {6}, {11}},
               {"inter_pupil", K::landmarks, {7}, {10}},
               {"box", K::box, {}, {}},
               {"diag", K::box_diagonal, {}, {}}},
              CedSpec{"box", 0.07, "box_7"},
              "nme_box"};
    default:
      FC_CHECK(num_points > 0, "landmark_protocol: ", num_points, " points");
      return {"generic", {{"box", K::box, {}, {}}}, std::nullopt, "nme_box"};
  }
}

double sample_nme(std::span<const Point2> pred, std::span<const Point2> truth, const NmeNormalization& norm,
                  const Box* box) {
  FC_CHECK(pred.size() == truth.size() && !truth.empty(), "sample_nme: ", pred.size(), " predicted vs ", truth.size(),
           " true points");
  double unit = 0;
  if (norm.kind == NmeNormalization::Kind::landmarks) {
    for (int i : norm.left) FC_CHECK(i >= 0 && i < static_cast<int>(truth.size()), "sample_nme: ", norm.name, " point ", i, " of ", truth.size());
    for (int i : norm.right) FC_CHECK(i >= 0 && i < static_cast<int>(truth.size()), "sample_nme: ", norm.name, " point ", i, " of ", truth.size());
    unit = distance(mean_of(truth, norm.left), mean_of(truth, norm.right));
  } else {
    Box b = box ? *box : extent_of(truth);
    double h = b.y2 - b.y1, w = b.x2 - b.x1;
    unit = norm.kind == NmeNormalization::Kind::box ? std::sqrt(h * w) : std::sqrt(h * h + w * w);
  }
  FC_CHECK(unit > 0 && std::isfinite(unit), "sample_nme: ", norm.name, " normalising distance is ", unit);
  double sum = 0;
  for (size_t i = 0; i < truth.size(); ++i) sum += distance(truth[i], pred[i]) / unit;
  return sum / truth.size();
}

// ref: scipy.integrate.simps (scipy 1.10 _basic_simpson with x, even='avg').
double simpson_integral(std::span<const double> y, std::span<const double> x) {
  FC_CHECK(y.size() == x.size() && y.size() >= 2, "simpson_integral: ", y.size(), " values, ", x.size(), " positions");
  const size_t n = y.size();
  auto basic = [&](size_t start, size_t stop) {  // i = start, start + 2, ... < stop over (i, i+1, i+2)
    double total = 0;
    for (size_t i = start; i < stop; i += 2) {
      double h0 = x[i + 1] - x[i], h1 = x[i + 2] - x[i + 1];
      double hsum = h0 + h1, hprod = h0 * h1, ratio = h0 / h1;
      total += hsum / 6.0 * (y[i] * (2 - 1.0 / ratio) + y[i + 1] * (hsum * hsum / hprod) + y[i + 2] * (2 - ratio));
    }
    return total;
  };
  if (n % 2 == 1) return basic(0, n - 2);
  double last = 0.5 * (x[n - 1] - x[n - 2]) * (y[n - 1] + y[n - 2]);
  double first = 0.5 * (x[1] - x[0]) * (y[1] + y[0]);
  double simpson = n >= 4 ? basic(0, n - 3) + basic(1, n - 2) : 0.0;
  if (n == 2) return first;
  return (simpson + last + first) / 2.0;
}

CedResult ced_auc_failure_rate(std::vector<double> nmes, double threshold, double step) {
  FC_CHECK(!nmes.empty() && threshold > 0 && step > 0, "ced_auc_failure_rate: ", nmes.size(), " NMEs, threshold ",
           threshold, ", step ", step);
  std::sort(nmes.begin(), nmes.end());
  // numpy.arange(0, threshold + step, step): length ceil(stop / step), values k * step.
  const double stop = threshold + step;
  const size_t n = static_cast<size_t>(std::ceil(stop / step));
  std::vector<double> x(n), ced(n);
  for (size_t k = 0; k < n; ++k) {
    x[k] = static_cast<double>(k) * step;
    size_t below = std::upper_bound(nmes.begin(), nmes.end(), x[k]) - nmes.begin();
    ced[k] = static_cast<double>(below) / nmes.size();
  }
  return {simpson_integral(ced, x) / threshold, 1.0 - ced.back()};
}

LandmarkMetrics::LandmarkMetrics(LandmarkProtocol protocol)
    : protocol_(std::move(protocol)), nme_sum_(protocol_.normalizations.size(), 0.0) {
  if (protocol_.ced) {
    bool found = false;
    for (const auto& n : protocol_.normalizations) found = found || n.name == protocol_.ced->normalization;
    FC_CHECK(found, "LandmarkMetrics: CED normalisation '", protocol_.ced->normalization, "' is not in the protocol");
  }
}

void LandmarkMetrics::add(std::span<const Point2> pred, std::span<const Point2> truth, const Box* box) {
  for (const NmeNormalization& norm : protocol_.normalizations)
    FC_CHECK(norm.kind == NmeNormalization::Kind::landmarks || box || protocol_.dataset == "generic",
             "LandmarkMetrics: ", protocol_.dataset, " normalisation '", norm.name, "' needs the face box");
  for (size_t i = 0; i < protocol_.normalizations.size(); ++i) {
    const NmeNormalization& norm = protocol_.normalizations[i];
    double nme = sample_nme(pred, truth, norm, box);
    nme_sum_[i] += nme;
    if (protocol_.ced && protocol_.ced->normalization == norm.name) ced_nmes_.push_back(nme);
  }
  ++count_;
}

MetricMap LandmarkMetrics::finish() const {
  FC_CHECK(count_ > 0, "LandmarkMetrics: no samples");
  MetricMap m;
  for (size_t i = 0; i < nme_sum_.size(); ++i) m["nme_" + protocol_.normalizations[i].name] = nme_sum_[i] / count_;
  if (protocol_.ced) {
    CedResult r = ced_auc_failure_rate(ced_nmes_, protocol_.ced->threshold);
    m["auc_" + protocol_.ced->suffix] = r.auc;
    m["fr_" + protocol_.ced->suffix] = r.failure_rate;
  }
  return m;
}

ParsingMetrics::ParsingMetrics(std::vector<std::string> class_names, std::string background)
    : names_(std::move(class_names)), background_(std::move(background)), confusion_(names_.size() * names_.size(), 0) {
  FC_CHECK(!names_.empty(), "ParsingMetrics: no classes");
}

void ParsingMetrics::add(std::span<const int32_t> pred, std::span<const uint8_t> truth) {
  FC_CHECK(pred.size() == truth.size(), "ParsingMetrics: ", pred.size(), " predicted vs ", truth.size(), " true labels");
  const int64_t k = static_cast<int64_t>(names_.size());
  for (size_t i = 0; i < pred.size(); ++i) {
    FC_CHECK(pred[i] >= 0 && pred[i] < k && truth[i] < k, "ParsingMetrics: label ", int(truth[i]), " / prediction ",
             pred[i], " outside the ", k, " classes");
    ++confusion_[truth[i] * k + pred[i]];
  }
  ++images_;
}

MetricMap ParsingMetrics::finish() const {
  const size_t k = names_.size();
  MetricMap m;
  double fg_sum = 0;
  int fg_count = 0;
  for (size_t c = 0; c < k; ++c) {
    int64_t as_truth = 0, as_pred = 0;
    for (size_t j = 0; j < k; ++j) {
      as_truth += confusion_[c * k + j];
      as_pred += confusion_[j * k + c];
    }
    if (as_truth + as_pred == 0) continue;
    double f1 = 2.0 * confusion_[c * k + c] / static_cast<double>(as_truth + as_pred);
    m["f1/" + names_[c]] = f1;
    if (names_[c] != background_) {
      fg_sum += f1;
      ++fg_count;
    }
  }
  FC_CHECK(fg_count > 0, "ParsingMetrics: no foreground class in ", images_, " images");
  m["mean_f1"] = fg_sum / fg_count;
  return m;
}

void AgeMetrics::add(double pred, double truth) {
  double e = pred - truth;
  abs_sum_ += std::abs(e);
  within5_ += std::abs(e) <= 5 ? 1 : 0;
  gauss_sum_ += std::exp(-(e * e) / (2 * 3.0 * 3.0));
  ++count_;
}

MetricMap AgeMetrics::finish() const {
  FC_CHECK(count_ > 0, "AgeMetrics: no samples");
  return {{"mae", abs_sum_ / count_}, {"cs5", 100.0 * within5_ / count_}, {"eps_error", 1.0 - gauss_sum_ / count_}};
}

int argmax(std::span<const float> logits) {
  FC_CHECK(!logits.empty(), "argmax: no values");
  return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

ClassificationMetrics::ClassificationMetrics(std::vector<std::string> class_names)
    : names_(std::move(class_names)), correct_(names_.size(), 0), total_(names_.size(), 0) {}

void ClassificationMetrics::add(int pred, int truth) {
  const int k = static_cast<int>(names_.size());
  FC_CHECK(truth >= 0 && truth < k && pred >= 0 && pred < k, "ClassificationMetrics: label ", truth, " / prediction ",
           pred, " outside the ", k, " classes");
  ++total_[truth];
  ++count_;
  if (pred == truth) {
    ++correct_[truth];
    ++hits_;
  }
}

MetricMap ClassificationMetrics::finish() const {
  FC_CHECK(count_ > 0, "ClassificationMetrics: no samples");
  MetricMap m{{"accuracy", percent(hits_, count_)}};
  for (size_t c = 0; c < names_.size(); ++c)
    if (total_[c] > 0) m["recall/" + names_[c]] = percent(correct_[c], total_[c]);
  return m;
}

AttributeMetrics::AttributeMetrics(std::vector<std::string> names)
    : names_(std::move(names)), correct_(names_.size(), 0), known_(names_.size(), 0) {}

void AttributeMetrics::add(std::span<const float> logits, std::span<const int8_t> labels) {
  FC_CHECK(logits.size() == names_.size() && labels.size() == names_.size(), "AttributeMetrics: ", logits.size(),
           " logits and ", labels.size(), " labels for ", names_.size(), " attributes");
  for (size_t a = 0; a < names_.size(); ++a) {
    if (labels[a] < 0) continue;
    float p = 1.f / (1.f + std::exp(-logits[a]));
    int pred = p > 0.5f ? 1 : 0;  // torch.round: 0.5 -> 0 (half to even)
    ++known_[a];
    correct_[a] += pred == labels[a] ? 1 : 0;
  }
  ++count_;
}

MetricMap AttributeMetrics::finish() const {
  FC_CHECK(count_ > 0, "AttributeMetrics: no samples");
  MetricMap m;
  double sum = 0;
  for (size_t a = 0; a < names_.size(); ++a) {
    double acc = percent(correct_[a], known_[a]);
    m["accuracy/" + names_[a]] = acc;
    sum += acc;
  }
  m["mean_accuracy"] = sum / names_.size();
  return m;
}

double normalized_squared_distance(std::span<const float> a, std::span<const float> b) {
  FC_CHECK(a.size() == b.size() && !a.empty(), "normalized_squared_distance: sizes ", a.size(), " and ", b.size());
  double na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  // sklearn.preprocessing.normalize leaves an all-zero row as is.
  na = na > 0 ? std::sqrt(na) : 1.0;
  nb = nb > 0 ? std::sqrt(nb) : 1.0;
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double e = a[i] / na - b[i] / nb;
    d += e * e;
  }
  return d;
}

VerificationResult verification_accuracy(std::span<const double> squared_distances, const std::vector<bool>& same,
                                         int folds) {
  const size_t n = squared_distances.size();
  FC_CHECK(same.size() == n, "verification_accuracy: ", n, " distances but ", same.size(), " labels");
  FC_CHECK(folds >= 2 && n >= static_cast<size_t>(folds), "verification_accuracy: ", n, " pairs cannot make ", folds,
           " folds");
  // numpy.arange(0, 4, 0.01): 400 thresholds k * 0.01.
  std::vector<double> thresholds(static_cast<size_t>(std::ceil(4.0 / 0.01)));
  for (size_t k = 0; k < thresholds.size(); ++k) thresholds[k] = static_cast<double>(k) * 0.01;
  auto correct_in = [&](double threshold, size_t begin, size_t end) {
    int64_t c = 0;
    for (size_t i = begin; i < end; ++i) c += (squared_distances[i] < threshold) == same[i] ? 1 : 0;
    return c;
  };
  VerificationResult r;
  size_t begin = 0;
  for (int f = 0; f < folds; ++f) {
    size_t size = n / folds + (static_cast<size_t>(f) < n % folds ? 1 : 0);
    size_t end = begin + size;
    size_t best = 0;
    int64_t best_correct = -1;
    for (size_t t = 0; t < thresholds.size(); ++t) {
      int64_t c = correct_in(thresholds[t], 0, begin) + correct_in(thresholds[t], end, n);
      if (c > best_correct) {
        best_correct = c;
        best = t;
      }
    }
    r.fold_threshold.push_back(thresholds[best]);
    r.fold_accuracy.push_back(static_cast<double>(correct_in(thresholds[best], begin, end)) / size);
    begin = end;
  }
  r.accuracy = std::accumulate(r.fold_accuracy.begin(), r.fold_accuracy.end(), 0.0) / folds;
  double var = 0;
  for (double a : r.fold_accuracy) var += (a - r.accuracy) * (a - r.accuracy);
  r.std = std::sqrt(var / folds);
  return r;
}

}  // namespace fc::faceptor::eval
