// faceptor/eval/metrics: each official metric against the NumPy reference
// (tests/reference/make_metric_fixtures.py -> tests/fixtures/metrics.fxt) and on tiny cases
// worked out by hand.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "faceptor/eval/metrics.h"
#include "tests/support/fixture.h"

using namespace fc;
using namespace fc::faceptor::eval;

namespace {

const test::Fixture& fixture() {
  static const test::Fixture fx(test::fixture_path("metrics.fxt"));
  return fx;
}

std::vector<float> values(const std::string& name) {
  Tensor t = fixture().get(name).contiguous();
  return std::vector<float>(t.data(), t.data() + t.numel());
}

double scalar(const std::string& name) { return values(name).at(0); }

// Sample i's points from a (S, P, 2) tensor.
std::vector<Point2> points(const std::vector<float>& flat, int64_t sample, int64_t count) {
  std::vector<Point2> out(count);
  for (int64_t p = 0; p < count; ++p) out[p] = {flat[(sample * count + p) * 2], flat[(sample * count + p) * 2 + 1]};
  return out;
}

// The fixtures hold float32 references; the metrics are computed in double from the same inputs.
constexpr double kRel = 2e-6;

}  // namespace

TEST_CASE("metrics: landmark NME, AUC and failure rate match the NumPy reference per dataset protocol") {
  struct Case {
    const char* name;
    int points;
  };
  for (Case c : {Case{"nme_300w", 68}, Case{"nme_wflw", 98}, Case{"nme_cofw", 29}, Case{"nme_aflw", 19}}) {
    CAPTURE(c.name);
    std::string n = c.name;
    Tensor pred_t = fixture().get(n + "/pred");
    std::vector<float> pred = values(n + "/pred"), truth = values(n + "/truth");
    std::vector<float> boxes = fixture().has(n + "/box") ? values(n + "/box") : std::vector<float>{};
    LandmarkMetrics metrics(landmark_protocol(c.points));
    for (int64_t i = 0; i < pred_t.size(0); ++i) {
      Box box;
      if (!boxes.empty()) box = {boxes[i * 4], boxes[i * 4 + 1], boxes[i * 4 + 2], boxes[i * 4 + 3]};
      metrics.add(points(pred, i, c.points), points(truth, i, c.points), boxes.empty() ? nullptr : &box);
    }
    MetricMap m = metrics.finish();
    int checked = 0;
    for (const auto& [key, value] : m) {
      CAPTURE(key);
      REQUIRE(fixture().has(n + "/" + key));
      CHECK(value == doctest::Approx(scalar(n + "/" + key)).epsilon(kRel));
      ++checked;
    }
    int expected = 0;
    for (const std::string& f : fixture().names())
      if (f.rfind(n + "/nme_", 0) == 0 || f.rfind(n + "/auc_", 0) == 0 || f.rfind(n + "/fr_", 0) == 0) ++expected;
    CHECK(checked == expected);
    CHECK(m.count(landmark_protocol(c.points).primary) == 1);
  }
  CHECK(landmark_protocol(98).ced->threshold == 0.1);
  CHECK(landmark_protocol(19).ced->suffix == "box_7");
}

TEST_CASE("metrics: Simpson integral matches scipy (odd and even point counts, uneven spacing)") {
  for (const char* n : {"simpson_7", "simpson_8"}) {
    CAPTURE(n);
    std::vector<float> xf = values(std::string(n) + "/x"), yf = values(std::string(n) + "/y");
    std::vector<double> x(xf.begin(), xf.end()), y(yf.begin(), yf.end());
    CHECK(simpson_integral(y, x) == doctest::Approx(scalar(std::string(n) + "/out")).epsilon(1e-5));
  }
  // Simpson is exact for cubics: integral of x^2 over [0, 2] on 5 points.
  std::vector<double> x{0, 0.5, 1, 1.5, 2}, y;
  for (double v : x) y.push_back(v * v);
  CHECK(simpson_integral(y, x) == doctest::Approx(8.0 / 3.0));
}

TEST_CASE("metrics: landmark NME and CED by hand") {
  // Two points 10 apart at ids 0 / 1 (the 29-point COFW rule uses 8 / 9): error 1 on every point.
  std::vector<Point2> truth(29), pred(29);
  for (int i = 0; i < 29; ++i) {
    truth[i] = {double(i), 0};
    pred[i] = {double(i), 1};
  }
  truth[8] = {0, 0};
  truth[9] = {10, 0};
  pred[8] = {0, 1};
  pred[9] = {10, 1};
  CHECK(sample_nme(pred, truth, landmark_protocol(29).normalizations[0]) == doctest::Approx(0.1));
  // Half the samples at 0 error, half above the threshold: CED is 0.5 on [0, 0.1]: AUC 0.5, FR 0.5.
  CedResult r = ced_auc_failure_rate({0.0, 0.0, 0.5, 0.7}, 0.1);
  CHECK(r.auc == doctest::Approx(0.5));
  CHECK(r.failure_rate == doctest::Approx(0.5));
  CHECK_THROWS_WITH_AS(sample_nme(pred, std::vector<Point2>(3), landmark_protocol(29).normalizations[0]),
                       doctest::Contains("sample_nme: 29 predicted vs 3 true points"), Error);
  LandmarkMetrics aflw(landmark_protocol(19));
  CHECK_THROWS_WITH_AS(aflw.add(std::vector<Point2>(19), std::vector<Point2>(19)), doctest::Contains("needs the face box"),
                       Error);
}

TEST_CASE("metrics: parsing F1 over the accumulated confusion matrix") {
  Tensor truth_t = fixture().get("parsing/truth");
  std::vector<float> truth = values("parsing/truth"), pred = values("parsing/pred"), f1 = values("parsing/f1");
  const int64_t images = truth_t.size(0), plane = truth_t.size(1) * truth_t.size(2);
  ParsingMetrics metrics({"background", "a", "b", "c", "d"});
  for (int64_t i = 0; i < images; ++i) {
    std::vector<int32_t> p(plane);
    std::vector<uint8_t> t(plane);
    for (int64_t k = 0; k < plane; ++k) {
      p[k] = static_cast<int32_t>(pred[i * plane + k]);
      t[k] = static_cast<uint8_t>(truth[i * plane + k]);
    }
    metrics.add(p, t);
  }
  MetricMap m = metrics.finish();
  const char* names[] = {"background", "a", "b", "c", "d"};
  for (int c = 0; c < 5; ++c) CHECK(m.at(std::string("f1/") + names[c]) == doctest::Approx(f1[c]).epsilon(kRel));
  CHECK(m.at("mean_f1") == doctest::Approx(scalar("parsing/mean_f1")).epsilon(kRel));

  // By hand: truth 0 0 1 1, pred 0 1 1 1 -> F1(0) = 2*1/(2+1), F1(1) = 2*2/(2+3); class 2 never
  // occurs and is left out; the mean skips the background.
  ParsingMetrics tiny({"background", "skin", "hair"});
  tiny.add(std::vector<int32_t>{0, 1, 1, 1}, std::vector<uint8_t>{0, 0, 1, 1});
  MetricMap t = tiny.finish();
  CHECK(t.at("f1/background") == doctest::Approx(2.0 / 3.0));
  CHECK(t.at("f1/skin") == doctest::Approx(0.8));
  CHECK(t.count("f1/hair") == 0);
  CHECK(t.at("mean_f1") == doctest::Approx(0.8));
  CHECK_THROWS_WITH_AS(tiny.add(std::vector<int32_t>{0}, std::vector<uint8_t>{3}),
                       doctest::Contains("label 3 / prediction 0 outside the 3 classes"), Error);
}

TEST_CASE("metrics: age MAE, CS and eps-error") {
  std::vector<float> pred = values("age/pred"), truth = values("age/truth"), expected = values("age/metrics");
  AgeMetrics metrics;
  for (size_t i = 0; i < pred.size(); ++i) metrics.add(pred[i], truth[i]);
  MetricMap m = metrics.finish();
  CHECK(m.at("mae") == doctest::Approx(expected[0]).epsilon(kRel));
  CHECK(m.at("cs5") == doctest::Approx(expected[1]).epsilon(kRel));
  CHECK(m.at("eps_error") == doctest::Approx(expected[2]).epsilon(kRel));

  AgeMetrics tiny;
  tiny.add(30, 20);  // |e| 10
  tiny.add(20, 25);  // |e| 5: inside CS(5)
  CHECK(tiny.finish().at("mae") == doctest::Approx(7.5));
  CHECK(tiny.finish().at("cs5") == doctest::Approx(50.0));
  CHECK_THROWS_WITH_AS(AgeMetrics().finish(), doctest::Contains("AgeMetrics: no samples"), Error);
}

TEST_CASE("metrics: expression top-1 accuracy and attribute mean accuracy") {
  Tensor logits_t = fixture().get("expression/logits");
  std::vector<float> logits = values("expression/logits"), labels = values("expression/labels");
  ClassificationMetrics expression({"neutral", "happy", "sad", "surprise", "fear", "disgust", "anger"});
  for (int64_t i = 0; i < logits_t.size(0); ++i)
    expression.add(argmax(std::span<const float>(logits.data() + i * 7, 7)), static_cast<int>(labels[i]));
  CHECK(expression.finish().at("accuracy") == doctest::Approx(scalar("expression/accuracy")).epsilon(kRel));

  Tensor att_t = fixture().get("attributes/logits");
  std::vector<float> att = values("attributes/logits"), att_labels = values("attributes/labels");
  std::vector<float> per = values("attributes/per_attribute");
  std::vector<std::string> names;
  for (int a = 0; a < 40; ++a) names.push_back("a" + std::to_string(a));
  AttributeMetrics attributes(names);
  for (int64_t i = 0; i < att_t.size(0); ++i) {
    std::vector<int8_t> l(40);
    for (int a = 0; a < 40; ++a) l[a] = static_cast<int8_t>(att_labels[i * 40 + a]);
    attributes.add(std::span<const float>(att.data() + i * 40, 40), l);
  }
  MetricMap m = attributes.finish();
  CHECK(m.at("mean_accuracy") == doctest::Approx(scalar("attributes/mean_accuracy")).epsilon(kRel));
  for (int a = 0; a < 40; ++a) CHECK(m.at("accuracy/a" + std::to_string(a)) == doctest::Approx(per[a]).epsilon(kRel));

  // By hand: logit 0 -> sigmoid 0.5 -> round to 0; an unknown label is skipped.
  AttributeMetrics tiny({"x", "y"});
  tiny.add(std::vector<float>{0.f, 2.f}, std::vector<int8_t>{0, -1});
  tiny.add(std::vector<float>{1.f, -2.f}, std::vector<int8_t>{0, 0});
  MetricMap t = tiny.finish();
  CHECK(t.at("accuracy/x") == doctest::Approx(50.0));
  CHECK(t.at("accuracy/y") == doctest::Approx(100.0));
  CHECK(t.at("mean_accuracy") == doctest::Approx(75.0));
  ClassificationMetrics three({"a", "b", "c"});
  three.add(argmax(std::vector<float>{1, 3, 3}), 1);  // ties: the first wins
  three.add(2, 0);
  CHECK(three.finish().at("accuracy") == doctest::Approx(50.0));
  CHECK(three.finish().at("recall/a") == doctest::Approx(0.0));
  CHECK(three.finish().count("recall/c") == 0);
}

TEST_CASE("metrics: verification 10-fold accuracy as the official calculate_roc") {
  Tensor e1_t = fixture().get("verification/e1");
  const int64_t pairs = e1_t.size(0), dim = e1_t.size(1);
  std::vector<float> e1 = values("verification/e1"), e2 = values("verification/e2"), same_f = values("verification/same");
  std::vector<float> dist_ref = values("verification/distance"), folds_ref = values("verification/fold_accuracy");
  std::vector<double> dist;
  std::vector<bool> same;
  for (int64_t i = 0; i < pairs; ++i) {
    dist.push_back(normalized_squared_distance(std::span<const float>(e1.data() + i * dim, dim),
                                               std::span<const float>(e2.data() + i * dim, dim)));
    CHECK(dist.back() == doctest::Approx(dist_ref[i]).epsilon(1e-5));
    same.push_back(same_f[i] > 0.5f);
  }
  VerificationResult r = verification_accuracy(dist, same);
  REQUIRE(r.fold_accuracy.size() == 10);
  for (int f = 0; f < 10; ++f) CHECK(r.fold_accuracy[f] == doctest::Approx(folds_ref[f]).epsilon(kRel));
  std::vector<float> acc_std = values("verification/accuracy_std");
  CHECK(r.accuracy == doctest::Approx(acc_std[0]).epsilon(kRel));
  CHECK(r.std == doctest::Approx(acc_std[1]).epsilon(1e-5));

  // By hand: separable distances -> every fold perfect.
  std::vector<double> d;
  std::vector<bool> s;
  for (int i = 0; i < 20; ++i) {
    s.push_back(i % 2 == 0);
    d.push_back(i % 2 == 0 ? 0.5 : 1.5);
  }
  VerificationResult perfect = verification_accuracy(d, s);
  CHECK(perfect.accuracy == 1.0);
  CHECK(perfect.std == 0.0);
  CHECK(perfect.fold_threshold[0] == doctest::Approx(0.51));  // the first threshold above 0.5
  CHECK_THROWS_WITH_AS(verification_accuracy(std::vector<double>(5, 1.0), std::vector<bool>(5, true)),
                       doctest::Contains("5 pairs cannot make 10 folds"), Error);
}
