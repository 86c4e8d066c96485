// faceptor/eval/evaluate: the tiny random-weight stage-1 model (tests/fixtures/model, dense
// input 64 to stay fast) on a small synthetic dataset, every task kind through its metric.
// The metrics themselves are checked in test_metrics.cpp; here: outputs reach the right metric,
// results do not depend on the batch size, and misuse fails clearly.
#include <doctest/doctest.h>

#include <algorithm>

#include <cmath>

#include "core/error.h"
#include "faceptor/convert.h"
#include "faceptor/data/open_dataset.h"
#include "faceptor/eval/evaluate.h"
#include "faceptor/synth/dataset_writer.h"
#include "tests/support/fixture.h"
#include "tests/support/tiny_model.h"
#include "tests/support/temp_dir.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::faceptor::data;
using namespace fc::faceptor::eval;

namespace {

struct Setup {
  test::TempDir dir;
  std::string root = dir.path("synth") + "/";
  std::unique_ptr<FaceptorModel> model = test::tiny_model();
  Setup() {
    synth::SynthOptions o;
    o.out_dir = dir.path("synth");
    o.count = 20;
    o.seed = 9;
    o.image_size = 48;
    o.images_per_identity = 2;
    synth::write_synthetic_dataset(o);
  }
};
Setup& setup() {
  static Setup s;
  return s;
}

EvalResult run(const std::string& task, const DatasetSpec& spec, int batch, int max_samples = 0) {
  Setup& s = setup();
  TransformedDataset test(open_dataset(spec), test_transform_for(*s.model->config.find_task(task), spec));
  EvalOptions options;
  options.batch_size = batch;
  options.max_samples = max_samples;
  return evaluate_task(*s.model, task, test, options);
}

void check_same(const EvalResult& a, const EvalResult& b) {
  REQUIRE(a.metrics.size() == b.metrics.size());
  for (const auto& [k, v] : a.metrics) {
    CAPTURE(k);
    CHECK(b.metrics.at(k) == doctest::Approx(v).epsilon(1e-5));
  }
}

}  // namespace

TEST_CASE("evaluate: each task kind reaches its metric, independent of the batch size") {
  Setup& s = setup();
  struct Case {
    const char* task;
    DatasetSpec spec;
    const char* primary;
    bool higher;
    int64_t samples;
  };
  const int max = std::getenv("FC_TEST_SMALL") ? 3 : 5;
  const std::vector<Case> cases = {
      {"biattr_celeba", {"celeba", s.root + "celeba", "all"}, "mean_accuracy", true, max},
      {"age_morph2", {"utkface", s.root + "utkface", "all"}, "mae", false, max},
      {"affect_rafdb", {"rafdb", s.root + "rafdb/basic", "train"}, "accuracy", true, max},
      {"parsing_celebam", {"celebamask_hq", s.root + "celebamask_hq", "all"}, "mean_f1", true, max},
      {"align_300w", {"300w", s.root + "300w", "test"}, "nme_inter_ocular", false, std::min<int64_t>(4, max)},  // the test split holds 4
  };
  for (const Case& c : cases) {
    CAPTURE(c.task);
    EvalResult one = run(c.task, c.spec, 1, max);
    CHECK(one.task == c.task);
    CHECK(one.samples == c.samples);
    CHECK(one.primary == c.primary);
    CHECK(one.higher_is_better == c.higher);
    REQUIRE(one.metrics.count(c.primary) == 1);
    for (const auto& [k, v] : one.metrics) {
      CAPTURE(k);
      CHECK(std::isfinite(v));
      CHECK(v >= 0);
    }
    check_same(one, run(c.task, c.spec, 3, max));
  }
  EvalResult attributes = run("biattr_celeba", cases[0].spec, 4, max);
  CHECK(attributes.metrics.size() == 41);  // mean + 40 attributes
  CHECK(attributes.metrics.at("mean_accuracy") <= 100.0);
  EvalResult parsing = run("parsing_celebam", cases[3].spec, 4, 2);
  CHECK(parsing.metrics.at("mean_f1") <= 1.0);
  CHECK(parsing.metrics.count("f1/background") == 1);
  EvalResult landmarks = run("align_300w", cases[4].spec, 2);
  CHECK(landmarks.metrics.at("nme") == landmarks.metrics.at("nme_inter_ocular"));
  CHECK(landmarks.metrics.count("nme_inter_pupil") == 1);
}

TEST_CASE("evaluate: verification on the synthetic LFW pairs") {
  Setup& s = setup();
  std::vector<FacePair> pairs = read_lfw_pairs(s.root + "lfw/pairs.txt", s.root + "lfw");
  REQUIRE(pairs.size() >= 10);
  EvalOptions options;
  options.batch_size = 7;
  EvalResult r = evaluate_verification(*s.model, "recog_ms1mv3", pairs, options);
  CHECK(r.samples == static_cast<int64_t>(pairs.size()));
  CHECK(r.primary == "accuracy");
  CHECK(r.metrics.at("accuracy") >= 0.0);
  CHECK(r.metrics.at("accuracy") <= 1.0);
  options.batch_size = 64;
  check_same(r, evaluate_verification(*s.model, "recog_ms1mv3", pairs, options));

  std::vector<FacePair> few(pairs.begin(), pairs.begin() + 4);
  CHECK_THROWS_WITH_AS(evaluate_verification(*s.model, "recog_ms1mv3", few), doctest::Contains("4 pairs"), Error);
  std::vector<FacePair> missing = pairs;
  missing[0].first = s.root + "lfw/nobody.png";
  CHECK_THROWS_WITH_AS(evaluate_verification(*s.model, "recog_ms1mv3", missing), doctest::Contains("nobody.png"), Error);
}

TEST_CASE("evaluate: misuse fails naming the task, the sample or the mode") {
  Setup& s = setup();
  DatasetSpec celeba{"celeba", s.root + "celeba", "all"};
  TransformedDataset test(open_dataset(celeba), test_transform_for(*find_official_task("biattr_celeba"), celeba));
  CHECK_THROWS_WITH_AS(evaluate_task(*s.model, "biattr_lfw", test),
                       doctest::Contains("the model has no task 'biattr_lfw' (its tasks: recog_ms1mv3"), Error);
  CHECK_THROWS_WITH_AS(evaluate_task(*s.model, "recog_ms1mv3", test), doctest::Contains("evaluate_verification"), Error);
  // The 112 attribute crop fed to a 64 dense task.
  CHECK_THROWS_WITH_AS(evaluate_task(*s.model, "align_300w", test), doctest::Contains("takes 64x64"), Error);
  // Age labels missing: the attribute set through the age task.
  CHECK_THROWS_WITH_AS(evaluate_task(*s.model, "age_morph2", test), doctest::Contains("no age label"), Error);
  {
    EvalModeGuard guard(*s.model);
    CHECK_FALSE(s.model->is_training());
  }
  s.model->train();
  CHECK_THROWS_WITH_AS(evaluate_task(*s.model, "biattr_celeba", test), doctest::Contains("training mode"), Error);
  {
    EvalModeGuard guard(*s.model);
    CHECK(evaluate_task(*s.model, "biattr_celeba", test, {.batch_size = 4, .max_samples = 2}).samples == 2);
  }
  CHECK(s.model->is_training());
  s.model->eval();
}
