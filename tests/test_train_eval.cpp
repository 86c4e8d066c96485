// Evaluation during training (train/train_eval.h): the eval log of a tiny run, the test_dataset
// config field; and fine-tuning a model file loaded zero-copy (mmap) without touching the file.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "faceptor/model_io.h"
#include "faceptor/train/train_eval.h"
#include "tests/support/temp_dir.h"
#include "tests/support/train_fixture.h"
#include "weights/safetensors.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::faceptor::train;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The tiny config's JSON with `test_dataset` added to the first task.
std::string with_test_dataset(std::string json, const std::string& test_dataset) {
  const size_t at = json.find("\"batch_size\"");
  REQUIRE(at != std::string::npos);
  return json.insert(at, "\"test_dataset\": " + test_dataset + ", ");
}

}  // namespace

TEST_CASE("train: evaluation every eval.interval steps and at the end, appended to eval.jsonl") {
  test::TempDir dir;
  TrainConfig c = test::tiny_train_config(
      dir.root(), {"recog_ms1mv3", "age_morph2", "align_300w"}, 3,
      str_cat(R"(, "eval": {"interval": 2, "batch_size": 3}, "checkpoint": {"dir": ")", dir.path("run"), R"("})"));
  // Recognition has no test set here: it is skipped.
  for (TrainTaskConfig& t : c.tasks)
    if (t.name != "recog_ms1mv3") t.test_dataset = t.dataset;
  auto datasets = test::synth_datasets(4);
  std::ostringstream log;
  EvalHook hook = make_eval_hook(c, log, datasets);
  REQUIRE(hook);
  std::vector<std::pair<int64_t, bool>> calls;  // step, model in training mode during the call
  TrainerOptions options{.datasets = datasets, .log = &log};
  options.evaluate = [&](const FaceModel& model, int64_t step) {
    calls.emplace_back(step, model.is_training());
    hook(model, step);
  };
  Trainer trainer(c, options);
  trainer.run();
  CHECK(trainer.model().is_training());
  REQUIRE(calls.size() == 2);
  CHECK(calls[0] == std::pair<int64_t, bool>{2, false});
  CHECK(calls[1] == std::pair<int64_t, bool>{3, false});
  CHECK(log.str().find("evaluation at step 2") != std::string::npos);
  CHECK(log.str().find("nme") != std::string::npos);

  std::ifstream in(dir.path("run/eval.jsonl"));
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  REQUIRE(lines.size() == 4);
  const std::vector<std::pair<int64_t, std::string>> expected = {
      {2, "age_morph2"}, {2, "align_300w"}, {3, "age_morph2"}, {3, "align_300w"}};
  for (size_t i = 0; i < lines.size(); ++i) {
    INFO(lines[i].dump());
    CHECK(lines[i]["step"] == expected[i].first);
    CHECK(lines[i]["task"] == expected[i].second);
    CHECK(lines[i]["samples"] == 4);
    const std::string primary = lines[i]["primary"];
    REQUIRE(lines[i]["metrics"].contains(primary));
    CHECK(lines[i]["metrics"][primary].is_number());
  }
  CHECK(lines[0]["primary"] == "mae");
  CHECK(lines[0]["higher_is_better"] == false);

  // No task with a test set: no hook.
  TrainConfig none = test::tiny_train_config(dir.root(), {"age_morph2"}, 1, R"(, "eval": {"interval": 1})");
  CHECK(!make_eval_hook(none, log, datasets));
}

TEST_CASE("train config: test_dataset, lfw_pairs for recognition only") {
  test::TempDir dir;
  const std::string root = dir.root();
  std::ofstream(dir.path("pairs.txt")) << "1 1\nalice 1 2\nalice 1 bob 1\n";
  const std::string pairs = str_cat(R"({"kind": "lfw_pairs", "pairs": ")", dir.path("pairs.txt"), R"(", "root": ")",
                                    root, R"("})");
  TrainConfig recog = parse_train_config(
      with_test_dataset(test::tiny_train_json(root, {"recog_ms1mv3"}, 1), pairs), "t.json");
  REQUIRE(recog.tasks[0].test_dataset.has_value());
  CHECK(recog.tasks[0].test_dataset->kind == "lfw_pairs");
  CHECK(recog.tasks[0].test_dataset->pairs == dir.path("pairs.txt"));
  std::ostringstream log;
  CHECK_THROWS_WITH_AS(make_eval_hook(recog, log), doctest::Contains("2 pairs from"), fc::Error);

  const std::string celeba = str_cat(R"({"kind": "celeba", "root": ")", root, R"(", "split": "test"})");
  TrainConfig age = parse_train_config(with_test_dataset(test::tiny_train_json(root, {"age_morph2"}, 1), celeba),
                                       "t.json");
  CHECK(age.tasks[0].test_dataset->split == "test");

  CHECK_THROWS_WITH_AS(
      parse_train_config(with_test_dataset(test::tiny_train_json(root, {"recog_ms1mv3"}, 1), celeba), "t.json"),
      doctest::Contains("t.json: tasks[0].test_dataset: a recognition task is evaluated on verification pairs"),
      fc::Error);
  CHECK_THROWS_WITH_AS(
      parse_train_config(with_test_dataset(test::tiny_train_json(root, {"age_morph2"}, 1), pairs), "t.json"),
      doctest::Contains("tasks[0].test_dataset.kind: lfw_pairs is for recognition tasks"), fc::Error);
  const std::string missing = str_cat(R"({"kind": "lfw_pairs", "pairs": ")", dir.path("nope.txt"), R"(", "root": ")",
                                      root, R"("})");
  CHECK_THROWS_WITH_AS(
      parse_train_config(with_test_dataset(test::tiny_train_json(root, {"recog_ms1mv3"}, 1), missing), "t.json"),
      doctest::Contains("tasks[0].test_dataset.pairs: no such file"), fc::Error);
}

TEST_CASE("train: fine-tuning a model file loaded zero-copy; the file is never written") {
  test::TempDir dir;
  TrainConfig c = test::tiny_train_config(dir.root(), {"recog_ms1mv3", "age_morph2"}, 1);
  const std::string path = dir.path("model.safetensors");
  {
    FaceptorModel fresh(c.model);
    Rng rng(5);
    fresh.initialize(rng);
    save_model(fresh, path);
  }
  const std::string before = read_bytes(path);

  std::unique_ptr<FaceptorModel> model = load_model(path);
  bool mapped = false;
  for (Tensor* p : model->parameters()) mapped |= p->storage()->read_only();
  REQUIRE(mapped);  // the point of the test: the weights are views of the file
  model->train();
  // The recognition interpreter's BatchNorm statistics are the model's buffers.
  std::map<std::string, std::vector<float>> buffers_before;
  for (auto& [name, b] : model->named_buffers()) {
    CHECK(!b->storage()->read_only());
    buffers_before[name] = b->to_vector();
  }
  REQUIRE(!buffers_before.empty());

  MultiTaskObjective objective(c.model, {.recognition_classes = {{"recog_ms1mv3", 8}}});
  Rng rng(2);
  objective.initialize(rng);
  AdamW optimizer(training_param_groups(*model, objective, c.optimizer, {}), {.lr = 1e-3});
  auto factory = test::synth_datasets(4);
  std::vector<TaskBatch> batches;
  for (const char* task : {"recog_ms1mv3", "age_morph2"}) {
    auto ds = factory(*c.model.find_task(task), {});
    std::vector<data::Sample> samples{ds->get(0, rng), ds->get(1, rng), ds->get(2, rng)};
    batches.push_back({task, data::make_batch(samples, data::normalization_for_input_size(
                                                           c.model.find_task(task)->input_size))});
  }
  for (int i = 0; i < 2; ++i) {
    objective.forward(*model, batches).total.backward();
    optimizer.step();
    optimizer.zero_grad();
  }
  for (auto& [name, b] : model->named_buffers()) {
    INFO(name);
    CHECK(b->to_vector() != buffers_before.at(name));
  }
  std::unique_ptr<FaceptorModel> original = load_model(path);
  auto tuned = model->named_parameters(), saved = original->named_parameters();
  int changed = 0;
  for (size_t i = 0; i < tuned.size(); ++i) changed += tuned[i].second->to_vector() != saved[i].second->to_vector();
  CHECK(changed > static_cast<int>(tuned.size()) / 2);
  CHECK(read_bytes(path) == before);

  // A module already in training mode copies buffers on load instead of sharing the mapping.
  FaceptorModel training(c.model);
  std::map<std::string, Tensor> tensors;
  SafetensorsFile file = SafetensorsFile::open(path);
  for (const std::string& name : file.names()) tensors[name] = file.get(name);
  REQUIRE(training.load_state(tensors).ok());
  for (auto& [name, b] : training.named_buffers()) CHECK(!b->storage()->read_only());
}
