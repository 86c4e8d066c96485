// A new task is configuration, not code: a head-pose task (the synthetic renderer's yaw in 5
// bins) is a TaskSpec {kind expression: softmax over the queries, 5 queries, value interpreter,
// cross-entropy}. Grown onto a trained tiny model (add_task, or a training config with "init"),
// only its queries train; the old tasks' outputs stay bit-identical.
#include <doctest/doctest.h>

#include <cstdlib>
#include <sstream>

#include "core/error.h"
#include "faceptor/image.h"
#include "faceptor/data/open_dataset.h"
#include "faceptor/data/readers_synth.h"
#include "faceptor/model_io.h"
#include "faceptor/synth/dataset_writer.h"
#include "faceptor/synth/labels.h"
#include "faceptor/train/trainer.h"
#include "tests/support/temp_dir.h"
#include "tests/support/train_fixture.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::faceptor::train;

namespace {

const char* kHeadPose = "headpose_synth";

TaskSpec head_pose_task(int input_size) {
  TaskSpec t{kHeadPose, TaskKind::expression, 5, InterpreterKind::value, input_size, synth::yaw_bin_names(5),
             LossKind::cross_entropy};
  return t;
}

// Synthetic faces with every label; for the head-pose task the class label is the yaw bin.
class SynthPoseDataset : public data::Dataset {
 public:
  SynthPoseDataset(int count, int size, bool head_pose) {
    synth::SynthOptions options;
    options.count = count;
    options.seed = 11;
    options.image_size = size;
    options.supersample = 1;
    for (int i = 0; i < count; ++i) {
      synth::SynthSample s = synth::generate_sample(options, i);
      data::Sample d;
      d.name = str_cat("pose_", i);
      d.image = image_to_tensor01(s.image);
      d.age = static_cast<float>(s.age);
      d.expression = head_pose ? synth::yaw_bin(s.yaw) : s.expression;
      samples_.push_back(std::move(d));
    }
  }
  size_t size() const override { return samples_.size(); }
  data::Sample get(size_t index, Rng&) const override { return samples_.at(index); }
  std::string describe(size_t index) const override { return samples_.at(index).name; }

 private:
  std::vector<data::Sample> samples_;
};

DatasetFactory pose_datasets(int count) {
  return [count](const TaskSpec& task, const DatasetRef&) -> std::shared_ptr<const data::Dataset> {
    return std::make_shared<SynthPoseDataset>(count, task.input_size, task.name == kHeadPose);
  };
}

// The old tasks' raw outputs, exactly.
std::map<std::string, std::vector<float>> old_outputs(const FaceModel& model, const Tensor& x) {
  PassResult r = model.run(x, {"age_morph2", "affect_rafdb"});
  std::map<std::string, std::vector<float>> out;
  for (const auto& [name, task] : r.tasks) out[name] = task.raw.to_vector();
  return out;
}

}  // namespace

TEST_CASE("task config: the loss is configuration, defaulting to the kind's") {
  ModelConfig c = ModelConfig::faceptor_base();
  CHECK(c.to_json().find("\"loss\"") == std::string::npos);  // files of official tasks are unchanged
  CHECK(c.find_task("age_morph2")->training_loss() == LossKind::age_dldl);
  CHECK(c.find_task("parsing_celebam")->training_loss() == LossKind::pixel_cross_entropy);
  c.tasks.push_back(head_pose_task(112));
  const ModelConfig back = ModelConfig::from_json(c.to_json(), "grown.json");
  REQUIRE(back.find_task(kHeadPose) != nullptr);
  CHECK(back.find_task(kHeadPose)->loss == LossKind::cross_entropy);
  CHECK(back.find_task(kHeadPose)->labels == synth::yaw_bin_names(5));
  for (LossKind l : {LossKind::cosface, LossKind::age_dldl, LossKind::binary_cross_entropy, LossKind::cross_entropy,
                     LossKind::pixel_cross_entropy, LossKind::landmark})
    CHECK(parse_loss(loss_name(l)) == l);
  c.tasks.back().loss = LossKind::landmark;
  CHECK_THROWS_WITH_AS(c.validate("grown.json"), doctest::Contains("headpose_synth has loss landmark"), Error);
}

TEST_CASE("task config: synthetic yaw bins") {
  CHECK(synth::yaw_bin(-synth::kMaxYaw) == 0);
  CHECK(synth::yaw_bin(0.0) == 2);
  CHECK(synth::yaw_bin(0.39) == 4);
  CHECK(synth::yaw_bin(2.0) == 4);
  CHECK(synth::yaw_bin(-2.0) == 0);
  CHECK(synth::yaw_bin_names(5).front() == "yaw -0.40..-0.24");
  synth::SynthOptions options;
  options.image_size = 32;
  options.supersample = 1;
  const synth::SynthSample s = synth::generate_sample(options, 3);
  CHECK(std::abs(s.yaw) <= synth::kMaxYaw);
  CHECK(s.yaw != 0.0);
}

TEST_CASE("task config: the synth_headpose dataset reads the yaw bins of `faceptor synth`") {
  test::TempDir dir;
  synth::SynthOptions options;
  options.out_dir = dir.path("synth");
  options.count = 4;
  options.image_size = 32;
  options.supersample = 1;
  synth::write_synthetic_dataset(options);
  auto dataset = data::open_dataset({"synth_headpose", options.out_dir, "all"});
  REQUIRE(dataset->size() == 4);
  Rng rng(1);
  for (int i = 0; i < 4; ++i) {
    const data::Sample s = dataset->get(static_cast<size_t>(i), rng);
    CHECK(s.expression == synth::yaw_bin(synth::generate_sample(options, i).yaw));
    CHECK(s.image.shape() == Shape{3, 32, 32});
  }
  CHECK_THROWS_WITH_AS(data::SynthHeadPose(options.out_dir, "dev"), doctest::Contains("unknown split 'dev'"), Error);
  test::write_file(dir.path("synth/annotations.jsonl"), "{\"celeba_file\": \"000001.png\"}\n");
  CHECK_THROWS_WITH_AS(data::SynthHeadPose(options.out_dir, "all"), doctest::Contains("annotations.jsonl:1"), Error);
}

TEST_CASE("task config: a task added to a trained model trains its queries; other outputs stay bit-identical") {
  test::TempDir dir;
  const int count = std::getenv("FC_TEST_SMALL") != nullptr ? 6 : 8;
  // 1. A "trained" model: a few steps of the tiny recipe on two existing tasks.
  const std::string old_path = dir.path("old.safetensors");
  {
    Trainer trainer(test::tiny_train_config(dir.root(), {"age_morph2", "affect_rafdb"}, 3),
                    {.datasets = pose_datasets(count)});
    for (int i = 0; i < 3; ++i) trainer.step();
    save_model(trainer.model(), old_path);
  }
  std::unique_ptr<FaceptorModel> old = load_model(old_path);
  Rng input_rng(3);
  const Tensor x = Tensor::randn({2, 3, 32, 32}, input_rng);
  const auto before = old_outputs(*old, x);

  SUBCASE("add_task keeps every tensor and adds exactly the new query tables") {
    Rng rng(5);
    std::vector<std::string> fresh;
    std::unique_ptr<FaceptorModel> grown = add_task(*old, head_pose_task(32), rng, &fresh);
    CHECK(fresh == std::vector<std::string>{"decoder.query_embed.headpose_synth.weight",
                                            "decoder.query_feat.headpose_synth.weight"});
    CHECK(old_outputs(*grown, x) == before);
    const Tensor pose = grown->run(x, {kHeadPose}).tasks.at(kHeadPose).raw;
    CHECK(pose.shape() == Shape{2, 5});
    CHECK_THROWS_WITH_AS(add_task(*grown, head_pose_task(32), rng), doctest::Contains("already has a task"), Error);
  }

  SUBCASE("a training config adds the task, loads the old weights and fine-tunes only its queries") {
    std::string labels;
    for (const std::string& l : synth::yaw_bin_names(5)) labels += (labels.empty() ? "\"" : ", \"") + l + "\"";
    const std::string json = str_cat(R"({
      "model": {"preset": "base", "encoder": {"width": 32, "layers": 2, "heads": 2, "pos_grid": 4},
                "decoder": {"hidden": 16, "heads": 2, "ffn": 32, "layers": 1, "levels": [1]},
                "embedding_dim": 16,
                "tasks": [{"name": "age_morph2", "input_size": 32}, {"name": "affect_rafdb", "input_size": 32},
                          {"name": "headpose_synth", "kind": "expression", "queries": 5, "interpreter": "value",
                           "input_size": 32, "loss": "cross_entropy", "labels": [)", labels, R"(]}]},
      "init": ")", old_path, R"(",
      "tasks": [{"name": "headpose_synth", "dataset": {"kind": "celeba", "root": ")", dir.root(), R"("},
                 "batch_size": )", count, R"(}],
      "trainable": ["query_feat.headpose_synth", "query_embed.headpose_synth"],
      "schedule": {"base_lr": 0.05, "warmup_lr": 0.05, "warmup_steps": 0, "eta_min": 0.05},
      "max_iter": 40, "clip_grad_norm": 0, "seed": 7, "workers": 0, "log_interval": 1000
    })");
    std::ostringstream log;
    Trainer trainer(parse_train_config(json, "headpose.json"), {.datasets = pose_datasets(count), .log = &log});
    CHECK(log.str().find("2 tensors of tasks it lacks start fresh: decoder.query_embed.headpose_synth.weight "
                         "decoder.query_feat.headpose_synth.weight") != std::string::npos);
    std::vector<double> losses;
    for (int i = 0; i < 40; ++i) losses.push_back(trainer.step().task_loss.at(kHeadPose));
    double last = 0;
    for (int i = 35; i < 40; ++i) last += losses[i] / 5;
    MESSAGE("head-pose loss: first ", losses.front(), ", mean of the last 5 ", last);
    CHECK(last < 0.8 * losses.front());

    trainer.model().eval();
    CHECK(old_outputs(trainer.model(), x) == before);
    // Every tensor the old model had is untouched, not just the outputs that read it.
    std::map<std::string, std::vector<float>> old_tensors;
    for (auto& [name, p] : old->named_parameters()) old_tensors[name] = p->to_vector();
    int compared = 0;
    for (auto& [name, p] : trainer.model().named_parameters()) {
      auto it = old_tensors.find(name);
      if (it == old_tensors.end()) continue;
      CHECK_MESSAGE(p->to_vector() == it->second, name);
      ++compared;
    }
    CHECK(compared == static_cast<int>(old_tensors.size()));
  }

  SUBCASE("an init file missing a tensor of an existing task is still an error") {
    std::map<std::string, Tensor> tensors;
    for (auto& [name, p] : old->named_parameters())
      if (name != "decoder.query_feat.age_morph2.weight") tensors[name] = *p;
    for (auto& [name, b] : old->named_buffers()) tensors[name] = *b;
    std::vector<std::pair<std::string, Tensor>> list(tensors.begin(), tensors.end());
    const std::string broken = dir.path("broken.safetensors");
    write_model_file(broken, old->config, list, {});
    Rng rng(5);
    std::unique_ptr<FaceptorModel> grown = add_task(*old, head_pose_task(32), rng);
    CHECK_THROWS_WITH_AS(load_initial_weights(broken, *grown, nullptr),
                         doctest::Contains("decoder.query_feat.age_morph2.weight"), Error);
  }
}
