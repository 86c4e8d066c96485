// The bundled demo model (weights/faceptor_demo.safetensors, written by `make demo-model`) on a
// fresh synthetic set it never saw: training rendered seed 1, this test renders seed 20261128, so
// no image, identity or pair is shared. Each task must clear a floor.
//
// The floors are the metrics measured on this exact set (below and in README.md, "The demo
// model") loosened by a margin: the set and the model are fixed, so the metrics only move with
// floating-point summation order (thread count, SIMD path), which may flip a few borderline
// argmaxes; the margins are wider than that.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "faceptor/data/open_dataset.h"
#include "faceptor/eval/evaluate.h"
#include "faceptor/model_io.h"
#include "faceptor/synth/dataset_writer.h"
#include "tests/support/temp_dir.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::faceptor::data;
using namespace fc::faceptor::eval;

namespace {

const std::string kDemoModel = std::string(FC_SOURCE_DIR) + "/weights/faceptor_demo.safetensors";

EvalResult evaluate_on(const FaceptorModel& model, const std::string& task, const DatasetSpec& spec) {
  TransformedDataset test(open_dataset(spec), test_transform_for(*model.config.find_task(task), spec));
  return evaluate_task(model, task, test, {.batch_size = 16});
}

}  // namespace

TEST_CASE("demo model: clears its measured floors on a held-out synthetic set") {
  std::unique_ptr<FaceptorModel> model = load_model(kDemoModel);
  REQUIRE(model->config.tasks.size() == 6);

  test::TempDir dir;
  synth::SynthOptions options;
  options.out_dir = dir.path("synth");
  options.count = 40;  // 10 + 10 pairs; the same count under FC_TEST_SMALL: the floors hold for this set only
  options.seed = 20261128;
  options.image_size = 128;  // as the training set (scripts/demo_model/train.json)
  synth::write_synthetic_dataset(options);
  const std::string root = dir.path("synth") + "/";

  const EvalResult landmarks = evaluate_on(*model, "align_300w", {"300w", root + "300w", "all"});
  const EvalResult parsing = evaluate_on(*model, "parsing_celebam", {"celebamask_hq", root + "celebamask_hq", "all"});
  const EvalResult age = evaluate_on(*model, "age_utkface", {"utkface", root + "utkface", "all"});
  const EvalResult expression = evaluate_on(*model, "affect_rafdb", {"rafdb", root + "rafdb/basic", "train"});
  const EvalResult attributes = evaluate_on(*model, "biattr_celeba", {"celeba", root + "celeba", "all"});
  const EvalResult verification = evaluate_verification(*model, "recog_ms1mv3", read_lfw_pairs(root + "lfw/pairs.txt", root + "lfw"));

  MESSAGE("demo model on the held-out set: NME ", landmarks.metrics.at("nme"), ", parsing mean F1 ",
          parsing.metrics.at("mean_f1"), ", age MAE ", age.metrics.at("mae"), ", expression accuracy ",
          expression.metrics.at("accuracy"), "%, attribute accuracy ", attributes.metrics.at("mean_accuracy"),
          "%, verification accuracy ", verification.metrics.at("accuracy"));
  // Measured (40 images, seed 20261128; build/fc_tests -tc="demo model*" prints them): NME 0.129,
  // parsing mean F1 0.100, age MAE 18.7 years, expression 12.5%, attributes 83.9%, verification
  // 0.70 (10 + 10 pairs). Only landmarks and parsing are clearly learned; age is a little better
  // than a constant guess (~20 years on this data), attributes sit at the majority-label rate
  // (~82.5%), expression and verification at chance: those floors guard the pipeline (a broken
  // export or preprocessing lands far below them), not the model's skill. README.md, "The demo
  // model", has the same figures on 400 held-out faces.
  CHECK(landmarks.metrics.at("nme") < 0.16);
  CHECK(parsing.metrics.at("mean_f1") > 0.08);
  CHECK(age.metrics.at("mae") < 22.0);
  CHECK(expression.metrics.at("accuracy") > 5.0);
  CHECK(attributes.metrics.at("mean_accuracy") > 80.0);
  CHECK(verification.metrics.at("accuracy") > 0.55);
}
