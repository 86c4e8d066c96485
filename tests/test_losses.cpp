// The six Faceptor task losses (nn/losses/) against our float64 PyTorch re-derivation of the
// official training code (tests/reference/make_loss_fixtures.py, tests/fixtures/losses.fxt): the
// loss, each logged term, and the gradient of the total with respect to every trainable input;
// then finite differences on the small cases.
//
// Tolerance: max |ours - ref| <= 1e-5 * max |ref| per tensor (check_close_scaled), our float32
// against a float64 reference; every case, CosFace's s = 64 included, meets it.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "nn/losses/age_dldl.h"
#include "nn/losses/classification.h"
#include "nn/losses/cosface.h"
#include "nn/losses/landmark.h"
#include "ops/elementwise.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"

using namespace fc;
using namespace fc::test;

namespace {

constexpr double kRel = 1e-5;

const Fixture& losses_fixture() {
  static const Fixture fixture(fixture_path("losses.fxt"));
  return fixture;
}

using Named = std::map<std::string, Tensor>;
// The named inputs, in the fixture's order, -> the loss terms by name ("total" first among them).
using LossFn = std::function<Named(const std::vector<Tensor>&)>;

struct LossCase {
  std::string name;
  std::vector<std::string> inputs;     // fixture names "<name>/<input>", passed in this order
  std::vector<std::string> trainable;  // subset of inputs that get gradients
  LossFn fn;
  double rel = kRel;
};

std::vector<Tensor> load_inputs(const LossCase& c) {
  std::vector<Tensor> xs;
  for (const auto& input : c.inputs) {
    Tensor x = losses_fixture().get(c.name + "/" + input);
    for (const auto& t : c.trainable)
      if (t == input) x.set_requires_grad(true);
    xs.push_back(x);
  }
  return xs;
}

void check_against_pytorch(const LossCase& c) {
  std::vector<Tensor> xs = load_inputs(c);
  Named terms = c.fn(xs);
  for (const auto& [term, value] : terms)
    check_close_scaled(value, losses_fixture().get(c.name + "/" + term), c.rel, c.name + " " + term);
  terms.at("total").backward();
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (!xs[i].requires_grad()) continue;
    REQUIRE(xs[i].grad().defined());
    check_close_scaled(xs[i].grad(), losses_fixture().get(c.name + "/grad_" + c.inputs[i]), c.rel,
                       c.name + " grad " + c.inputs[i]);
  }
}

void check_finite_differences(const LossCase& c, GradcheckOptions options = {}) {
  std::vector<Tensor> xs = load_inputs(c);
  std::vector<bool> differentiable;
  for (const Tensor& x : xs) differentiable.push_back(x.requires_grad());
  gradcheck(c.name, [&](const Inputs& x) { return c.fn(x).at("total"); }, xs, differentiable, options);
}

Named only_total(Tensor t) { return {{"total", t}}; }

const LossCase kCosfaceSmall{"cosface_small", {"features", "classifier", "labels"}, {"features", "classifier"},
                             [](const std::vector<Tensor>& x) { return only_total(cosface_loss(x[0], x[1], x[2])); }};
const LossCase kCosface512{"cosface_dim512", {"features", "classifier", "labels"}, {"features", "classifier"},
                           [](const std::vector<Tensor>& x) { return only_total(cosface_loss(x[0], x[1], x[2])); }};

Named age_terms(const std::vector<Tensor>& x) {
  AgeLossTerms l = age_dldl_loss(x[0], x[1]);
  return {{"total", l.total}, {"kl", l.kl}, {"l1", l.l1}, {"distribution", age_label_distribution(x[1])}};
}
const LossCase kAge{"age", {"logits", "ages"}, {"logits"}, age_terms};

const LossCase kAttributes{"attributes", {"logits", "labels"}, {"logits"},
                           [](const std::vector<Tensor>& x) { return only_total(attribute_loss(x[0], x[1])); }};
const LossCase kExpression{"expression", {"logits", "labels"}, {"logits"},
                           [](const std::vector<Tensor>& x) { return only_total(expression_loss(x[0], x[1])); }};
const LossCase kParsingResize{"parsing_resize", {"logits", "labels"}, {"logits"},
                              [](const std::vector<Tensor>& x) { return only_total(parsing_loss(x[0], x[1])); }};
const LossCase kParsingSame{"parsing_same_size", {"logits", "labels"}, {"logits"},
                            [](const std::vector<Tensor>& x) { return only_total(parsing_loss(x[0], x[1])); }};

// The fixtures' small landmark setting: labels in a 64-pixel image, 16 x 16 target heatmaps.
const LandmarkLossOptions kSmallLandmarks{.input_size = 64, .heatmap_size = 16, .heatmap_radius = 5.0};

Named landmark_terms(const Tensor& logits, const Tensor& points, const LandmarkLossOptions& options) {
  LandmarkLossTerms l = landmark_loss(logits, points, options);
  return {{"total", l.total}, {"coord", l.coord}, {"heatmap", l.heatmap}};
}
Named small_landmark_terms(const std::vector<Tensor>& x) {
  Named terms = landmark_terms(x[0], x[1], kSmallLandmarks);
  terms["target"] = landmark_target_heatmaps(normalize_landmarks(x[1], 64), 16, 16, 5.0);
  return terms;
}
const LossCase kLandmarkSmall{"landmark_small", {"logits", "points"}, {"logits"}, small_landmark_terms};
const LossCase kLandmarkResize{"landmark_resize", {"logits", "points"}, {"logits"}, small_landmark_terms};

}  // namespace

TEST_CASE("losses: CosFace matches PyTorch and finite differences") {
  check_against_pytorch(kCosfaceSmall);
  check_against_pytorch(kCosface512);
  // At s = 64 the loss is tens, so its float32 rounding (~4e-6) over the step 2e-3 is ~2e-3 of
  // noise, the whole tolerance, and a wider step meets the curvature instead. The gradient's
  // composition does not depend on s, so finite differences run at s = 16.
  LossCase scaled_down = kCosfaceSmall;
  scaled_down.fn = [](const std::vector<Tensor>& x) { return only_total(cosface_loss(x[0], x[1], x[2], 16.f)); };
  check_finite_differences(scaled_down);
}

TEST_CASE("losses: CosFaceLoss holds the classifier under the official name and layout") {
  const Tensor classifier = losses_fixture().get("cosface_small/classifier");  // (5, 8)
  CosFaceLoss loss(5, 8);
  auto params = loss.named_parameters();
  REQUIRE(params.size() == 1);
  CHECK(params[0].first == "classifier");
  CHECK(params[0].second->shape() == Shape{5, 8});
  REQUIRE(loss.load_state({{"classifier", classifier}}).ok());
  Tensor features = losses_fixture().get("cosface_small/features");
  Tensor out = loss.forward(features, losses_fixture().get("cosface_small/labels"));
  check_close_scaled(out, losses_fixture().get("cosface_small/total"), kRel, "CosFaceLoss forward");

  Rng rng(7);
  loss.initialize(rng);
  const float bound = 1.f / std::sqrt(8.f);
  for (float v : loss.classifier.to_vector()) CHECK(std::abs(v) <= bound);
}

TEST_CASE("losses: age DLDL-v2 matches PyTorch and finite differences") {
  check_against_pytorch(kAge);
  // The L1 term is tens of years, so as for CosFace a wider step keeps float32 rounding out.
  check_finite_differences(kAge, {.eps = 1e-2});
  Tensor q = age_label_distribution(Tensor::from_vector({37.f}, {1}));
  CHECK(q.at({0, 37}) == doctest::Approx(0.19947).epsilon(1e-4));  // 1 / sum_k exp(-k^2 / 8)
  CHECK(q.at({0, 35}) == doctest::Approx(q.at({0, 39})));
}

TEST_CASE("losses: attributes, expression and parsing match PyTorch and finite differences") {
  for (const LossCase* c : {&kAttributes, &kExpression, &kParsingResize, &kParsingSame}) {
    CAPTURE(c->name);
    check_against_pytorch(*c);
    check_finite_differences(*c);
  }
}

TEST_CASE("losses: an unknown attribute label adds nothing") {
  Tensor logits = Tensor::from_vector({2.f, -1.f, 0.5f}, {1, 3}).set_requires_grad(true);
  Tensor with_unknown = attribute_loss(logits, Tensor::from_vector({1.f, -1.f, 0.f}, {1, 3}));
  with_unknown.backward();
  CHECK(logits.grad().at({0, 1}) == 0.f);
  Tensor known_only = attribute_loss(logits.narrow(1, 0, 1), Tensor::from_vector({1.f}, {1, 1})) +
                      attribute_loss(logits.narrow(1, 2, 1), Tensor::from_vector({0.f}, {1, 1}));
  CHECK(with_unknown.item() == doctest::Approx(known_only.item()));
}

TEST_CASE("losses: landmarks match PyTorch and finite differences") {
  check_against_pytorch(kLandmarkSmall);
  check_against_pytorch(kLandmarkResize);
  check_finite_differences(kLandmarkSmall);
  check_finite_differences(kLandmarkResize);
}

TEST_CASE("losses: landmarks at the released sizes (512 input, 128 heatmap, radius 5)") {
  // The logits repeat the fixture script's logits_formula, so the fixture need not store them.
  std::vector<float> values(128 * 128);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(3 * std::sin(0.37 * i) - 2);
  Tensor logits = Tensor::from_vector(values, {1, 1, 128, 128}).set_requires_grad(true);
  Tensor points = losses_fixture().get("landmark_real/points");
  LandmarkLossTerms l = landmark_loss(logits, points);
  check_close_scaled(l.total, losses_fixture().get("landmark_real/total"), kRel, "landmark_real total");
  check_close_scaled(l.coord, losses_fixture().get("landmark_real/coord"), kRel, "landmark_real coord");
  check_close_scaled(l.heatmap, losses_fixture().get("landmark_real/heatmap"), kRel, "landmark_real heatmap");
  l.total.backward();
  check_close_scaled(logits.grad(), losses_fixture().get("landmark_real/grad_logits"), kRel, "landmark_real grad");
}

TEST_CASE("losses: the target heatmap is a clipped Gaussian disc of radius 5") {
  // A point on pixel (10, 20) of a 128 map: normalised (10.5 / 128, 20.5 / 128).
  Tensor target = landmark_target_heatmaps(Tensor::from_vector({10.5f / 128, 20.5f / 128}, {1, 1, 2}), 128, 128, 5.0);
  CHECK(target.at({0, 0, 20, 10}) == doctest::Approx(1.0));
  CHECK(target.at({0, 0, 20, 15}) == doctest::Approx(std::exp(-8.0)));       // r = 5, on the rim
  CHECK(target.at({0, 0, 24, 13}) == doctest::Approx(std::exp(-8.0)));       // r = 5 again (3, 4)
  CHECK(target.at({0, 0, 20, 16}) == 0.f);                                  // r = 6, outside
  CHECK(target.at({0, 0, 21, 11}) == doctest::Approx(std::exp(-8.0 * 2 / 25)));
}

TEST_CASE("losses: bad inputs name the loss and the shapes") {
  Tensor features = Tensor::zeros({2, 4}), classifier = Tensor::ones({3, 4});
  CHECK_THROWS_WITH_AS(cosface_loss(features, classifier, Tensor::from_vector({0.f, 3.f}, {2})),
                       "cosface_loss: labels (2) with 3 classes: label 3 at 1 is not a class index", Error);
  CHECK_THROWS_WITH_AS(cosface_loss(features, Tensor::ones({3, 5}), Tensor::zeros({2})),
                       "cosface_loss: features (2,4), classifier (3,5): expected (B, D) and (C, D)", Error);
  CHECK_THROWS_WITH_AS(age_dldl_loss(Tensor::zeros({2, 101}), Tensor::zeros({3})),
                       "age_dldl_loss: logits (2,101), ages (3): expected (B, bins) and (B)", Error);
  CHECK_THROWS_WITH_AS(attribute_loss(Tensor::zeros({2, 40}), Tensor::zeros({2, 39})),
                       "attribute_loss: logits (2,40), labels (2,39): expected equal shapes (B, K)", Error);
  CHECK_THROWS_WITH_AS(parsing_loss(Tensor::zeros({2, 5, 8, 8}), Tensor::zeros({2, 8})),
                       "parsing_loss: logits (2,5,8,8), labels (2,8): expected (B, K, h, w) and (B, H, W)", Error);
  CHECK_THROWS_WITH_AS(landmark_loss(Tensor::zeros({1, 68, 16, 16}), Tensor::zeros({1, 5, 2})),
                       "landmark_loss: heatmap_logits (1,68,16,16), landmarks (1,5,2): expected (B, P, H, W) and "
                       "(B, P, 2)",
                       Error);
}
