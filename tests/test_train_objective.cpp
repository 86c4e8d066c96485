// The multi-task objective: the official task reweighting, and the weighted total over a tiny model.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "faceptor/train/objective.h"
#include "tests/support/temp_dir.h"
#include "tests/support/train_fixture.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::faceptor::train;

TEST_CASE("train: reweight_tasks reproduces the official stage-1 weights") {
  // stage_1/train_recog_age_biattr_affect_parsing_align.yaml loss_weight and task_weight.
  auto w = reweight_tasks({{"recog_ms1mv3", 128},
                           {"age_morph2", 32},
                           {"biattr_celeba", 32},
                           {"affect_affectnet", 32},
                           {"affect_rafdb", 8},
                           {"parsing_celebam", 2},
                           {"align_300w", 2}},
                          {{"recog", 5}, {"age", 6}, {"biattr", 2}, {"affect", 5}, {"parsing", 100}, {"align", 1000}});
  CHECK(w.at("recog_ms1mv3") == doctest::Approx(5));
  CHECK(w.at("age_morph2") == doctest::Approx(6));
  CHECK(w.at("biattr_celeba") == doctest::Approx(2));
  CHECK(w.at("affect_affectnet") == doctest::Approx(4));
  CHECK(w.at("affect_rafdb") == doctest::Approx(1));
  CHECK(w.at("parsing_celebam") == doctest::Approx(100));
  CHECK(w.at("align_300w") == doctest::Approx(1000));
  // A type without a type weight keeps its loss weight.
  CHECK(reweight_tasks({{"age_utk", 3}}, {{"recog", 5}}).at("age_utk") == 3);
  CHECK(task_type("affect_rafdb") == "affect");
}

TEST_CASE("train: objective total is the weighted mean of the task losses, one encoder pass per size") {
  test::TempDir dir;
  TrainConfig c = test::tiny_train_config(dir.root(), {"recog_ms1mv3", "age_morph2", "align_300w"}, 1);
  FaceptorModel model(c.model);
  Rng rng(1);
  model.initialize(rng);
  MultiTaskObjective objective(c.model, {.task_weights = {{"recog_ms1mv3", 2.0}, {"age_morph2", 3.0}},
                                         .recognition_classes = {{"recog_ms1mv3", 8}}});
  objective.initialize(rng);
  auto named = objective.named_parameters();
  REQUIRE(named.size() == 1);
  CHECK(named[0].first == "recog_ms1mv3.classifier");

  auto factory = test::synth_datasets(4);
  std::vector<TaskBatch> batches;
  for (const char* task : {"recog_ms1mv3", "age_morph2", "align_300w"}) {
    auto ds = factory(*c.model.find_task(task), {});
    std::vector<data::Sample> samples;
    for (size_t i = 0; i < 2; ++i) samples.push_back(ds->get(i, rng));
    batches.push_back({task, data::make_batch(samples, data::normalization_for_input_size(
                                                           c.model.find_task(task)->input_size))});
  }
  ObjectiveResult r = objective.forward(model, batches);
  double expected = 0;
  for (auto& [task, w] : std::map<std::string, double>{{"recog_ms1mv3", 2}, {"age_morph2", 3}, {"align_300w", 1}})
    expected += w * r.task_loss.at(task).item();
  CHECK(r.total.item() == doctest::Approx(expected / 6).epsilon(1e-5));
  CHECK(r.terms.at("age_morph2").count("kl") == 1);
  CHECK(r.terms.at("align_300w").count("heatmap") == 1);
  CHECK(r.terms.count("recog_ms1mv3") == 0);

  // The sliced pass gives each task the same head output as running the model on its images alone.
  model.eval();
  ObjectiveResult a = objective.forward(model, batches);
  ObjectiveResult b = objective.forward(model, {batches[1]});
  CHECK(a.task_loss.at("age_morph2").item() == doctest::Approx(b.task_loss.at("age_morph2").item()).epsilon(1e-5));

  CHECK_THROWS_WITH_AS(objective.forward(model, {batches[1], batches[1]}), doctest::Contains("appears twice"),
                       fc::Error);
  TaskBatch unknown{"parsing_lapa", batches[2].batch};
  CHECK_THROWS_WITH_AS(objective.forward(model, {unknown}), doctest::Contains("no task 'parsing_lapa'"), fc::Error);
  CHECK_THROWS_WITH_AS(MultiTaskObjective(c.model, {}), doctest::Contains("recog_ms1mv3 needs its number"),
                       fc::Error);
}
