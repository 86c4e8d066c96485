// The trainer on a tiny Naive Faceptor and synthetic faces: falling losses, bit-exact resume with
// the heads' dropout on (the trainer's Rng is in the checkpoint), the naive recipe's parameter
// groups, and `faceptor train` / `eval` / `analyze` on a naive config and its checkpoint.
#include <doctest/doctest.h>
#include <omp.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "faceptor/model_io.h"
#include "faceptor/naive/model.h"
#include "faceptor/train/trainer.h"
#include "tests/support/cli_run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/train_fixture.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::faceptor::train;

namespace {

// One OpenMP thread for the scope: the tiny model's ops are too small to split, and on a busy
// machine OpenMP's waits on every op made these tests several times slower.
struct SingleThread {
  int threads = omp_get_max_threads();
  SingleThread() { omp_set_num_threads(1); }
  ~SingleThread() { omp_set_num_threads(threads); }
};

bool small() { return std::getenv("FC_TEST_SMALL") != nullptr; }

// Two heads serving two tasks each would double the cost; one task per kind covers every head type.
const std::vector<std::string> kTasks = {"recog_ms1mv3", "age_morph2", "affect_rafdb", "parsing_celebam",
                                         "align_300w"};

std::map<std::string, std::vector<float>> snapshot(Trainer& t) {
  std::map<std::string, std::vector<float>> out;
  for (auto& [name, p] : t.model().named_parameters()) out["model." + name] = p->to_vector();
  for (auto& [name, b] : t.model().named_buffers()) out["buffer." + name] = b->to_vector();
  for (auto& [name, p] : t.objective().named_parameters()) out["losses." + name] = p->to_vector();
  for (auto& [name, s] : t.optimizer().state_tensors()) out["optimizer." + name] = s.to_vector();
  return out;
}

}  // namespace

TEST_CASE("naive train: the config builds a Naive Faceptor with the naive recipe's groups") {
  SingleThread one_thread;
  test::TempDir dir;
  TrainConfig c = test::tiny_naive_train_config(dir.root(), kTasks, 2);
  CHECK(c.model.is_naive());
  CHECK(c.model.naive.heads.size() == kTasks.size());
  CHECK(c.optimizer.backbone_multiplier == 0.1);
  CHECK(c.optimizer.heads_multiplier == 1.0);
  CHECK(c.optimizer.losses_multiplier == 1.0);
  Trainer trainer(c, {.datasets = test::synth_datasets(4)});
  CHECK(dynamic_cast<naive::NaiveFaceptorModel*>(&trainer.model()) != nullptr);

  // Explicit multipliers still win; a decoder section is an error for the naive preset.
  TrainConfig m = test::tiny_naive_train_config(dir.root(), {"age_morph2"}, 2,
                                                R"(, "optimizer": {"multipliers": {"heads": 3}})");
  CHECK(m.optimizer.heads_multiplier == 3.0);
  CHECK(m.optimizer.backbone_multiplier == 0.1);
  std::string bad = test::tiny_naive_train_json(dir.root(), {"age_morph2"}, 2);
  bad.replace(bad.find("\"naive\""), 7, "\"decoder\"");
  CHECK_THROWS_WITH_AS(parse_train_config(bad, "bad.json"), doctest::Contains("no decoder"), Error);

  // The README's example recipe (the released naive yaml) parses once its dataset roots exist.
  std::ifstream in(std::string(FC_SOURCE_DIR) + "/scripts/naive_faceptor/train_base.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(!text.empty());
  text = std::regex_replace(text, std::regex(R"("root": "data/[^"]*")"), "\"root\": \"" + dir.root() + "\"");
  TrainConfig recipe = parse_train_config(text, "train_base.json");
  CHECK(recipe.model.is_naive());
  CHECK(recipe.model.naive.heads.size() == 6);  // recog, age, biattr, affect (2 tasks), parsing, align
  CHECK(recipe.optimizer.backbone_multiplier == 0.1);
  CHECK(recipe.task_weights().at("affect_rafdb") == doctest::Approx(0.2));  // 8 / (32 + 8) x 1
}

TEST_CASE("naive train: resume is bit-exact with the heads' dropout on; a checkpoint is a naive model file") {
  SingleThread one_thread;
  test::TempDir dir;
  const int64_t n = small() ? 4 : 6;
  TrainConfig c = test::tiny_naive_train_config(dir.root(), kTasks, n);
  REQUIRE(c.model.naive.attribute_dropout > 0);
  REQUIRE(c.model.naive.dense_dropout > 0);
  TrainerOptions options{.datasets = test::synth_datasets(8)};

  Trainer straight(c, options);
  std::vector<double> losses;
  for (int64_t i = 0; i < n; ++i) losses.push_back(straight.step().total);

  Trainer first(c, options);
  for (int64_t i = 0; i < n / 2; ++i) CHECK(first.step().total == losses[i]);
  const std::string ckpt = dir.path("half.safetensors");
  first.save_checkpoint(ckpt);
  TrainerOptions resume = options;
  resume.resume = ckpt;
  Trainer second(c, resume);
  REQUIRE(second.current_step() == n / 2);
  for (int64_t i = n / 2; i < n; ++i) CHECK(second.step().total == losses[i]);
  auto a = snapshot(straight), b = snapshot(second);
  REQUIRE(a.size() == b.size());
  for (auto& [name, values] : a) {
    INFO(name);
    REQUIRE(b.count(name) == 1);
    CHECK(values == b.at(name));
  }

  // A checkpoint is a naive model file.
  std::unique_ptr<FaceModel> loaded = load_face_model(ckpt);
  CHECK(loaded->config.is_naive());
  CHECK_THROWS_WITH_AS(load_model(ckpt), doctest::Contains("load_face_model"), Error);
}

TEST_CASE("naive train: init from a naive model with fewer tasks starts only the new heads fresh") {
  SingleThread one_thread;
  test::TempDir dir;
  TrainConfig small_config = test::tiny_naive_train_config(dir.root(), {"age_morph2", "affect_rafdb"}, 1);
  Trainer first(small_config, {.datasets = test::synth_datasets(4)});
  first.step();
  const std::string old_model = dir.path("old.safetensors");
  first.save_checkpoint(old_model);

  // affect_affectnet joins the existing affect head (its own fcs Linear); align_300w brings a new head.
  TrainConfig grown = test::tiny_naive_train_config(
      dir.root(), {"age_morph2", "affect_rafdb", "affect_affectnet", "align_300w"}, 1,
      str_cat(R"(, "init": ")", old_model, R"(")"));
  std::ostringstream log;
  Trainer second(grown, {.datasets = test::synth_datasets(4), .log = &log});
  CHECK(log.str().find("heads.affect.fcs.affect_affectnet.weight") != std::string::npos);
  CHECK(log.str().find("heads.align.") != std::string::npos);
  CHECK(log.str().find("heads.age.") == std::string::npos);
  std::map<std::string, Tensor*> grown_params;
  for (auto& [name, p] : second.model().named_parameters()) grown_params[name] = p;
  for (auto& [name, p] : first.model().named_parameters()) {
    INFO(name);
    REQUIRE(grown_params.count(name) == 1);
    CHECK(grown_params.at(name)->to_vector() == p->to_vector());
  }

  // A Faceptor file cannot start a naive run.
  TrainConfig faceptor_config = test::tiny_train_config(dir.root(), {"age_morph2"}, 1);
  Trainer faceptor_trainer(faceptor_config, {.datasets = test::synth_datasets(4)});
  const std::string faceptor_model = dir.path("faceptor.safetensors");
  faceptor_trainer.save_checkpoint(faceptor_model);
  CHECK_THROWS_WITH_AS(Trainer(test::tiny_naive_train_config(dir.root(), {"age_morph2"}, 1,
                                                             str_cat(R"(, "init": ")", faceptor_model, R"(")")),
                               {.datasets = test::synth_datasets(4)}),
                       doctest::Contains("holds a faceptor model"), Error);
}

TEST_CASE("naive train: losses fall over steps on one repeated batch of synthetic faces") {
  SingleThread one_thread;
  test::TempDir dir;
  const int64_t n = 16;  // also under FC_TEST_SMALL: 8 steps fell only 6% (measured under ASan)
  // Two samples and batch size 2: every step sees the same faces (in shuffled order), so the
  // losses must fall unless the gradients or the update are wrong.
  TrainConfig c = test::tiny_naive_train_config(dir.root(), {"age_morph2", "parsing_celebam"}, n,
                                                R"(, "optimizer": {"multipliers": {"heads": 5}})");
  Trainer trainer(c, {.datasets = test::synth_datasets(2)});
  std::vector<double> totals;
  for (int64_t i = 0; i < n; ++i) totals.push_back(trainer.step().total);
  double first = (totals[0] + totals[1]) / 2, last = (totals[n - 1] + totals[n - 2]) / 2;
  MESSAGE("naive tiny training: loss ", first, " -> ", last, " in ", n, " steps");
  CHECK(last < 0.9 * first);
}

TEST_CASE("naive train CLI: a two-step run writes a checkpoint that eval and analyze open") {
  SingleThread one_thread;
  test::TempDir dir;
  REQUIRE(test::run_faceptor(dir, "synth --count 6 --size 64 --out '" + dir.path("synth") + "'").status == 0);
  const std::string config = str_cat(R"({
    "model": {"preset": "naive_base", "encoder": {"width": 32, "layers": 2, "heads": 2, "pos_grid": 4},
              "naive": {"attribute_channels": 16, "gate_reduction": 4, "dense_channels": 8, "pool_scales": [1, 2]},
              "tasks": [{"name": "biattr_celeba", "input_size": 32}, {"name": "align_300w", "input_size": 64}]},
    "tasks": [{"name": "biattr_celeba", "dataset": {"kind": "celeba", "root": ")", dir.path("synth/celeba"),
                                     R"(", "split": "all"}, "batch_size": 2},
              {"name": "align_300w", "dataset": {"kind": "300w", "root": ")", dir.path("synth/300w"),
                                     R"(", "split": "train"}, "batch_size": 2}],
    "schedule": {"base_lr": 1e-5, "warmup_lr": 1e-4},
    "max_iter": 10, "workers": 1, "seed": 1
  })");
  std::ofstream(dir.path("naive.json")) << config;
  test::CliRun run = test::run_faceptor(dir, "train '" + dir.path("naive.json") + "' --max-iter 2 --threads 1 --out '" +
                                                 dir.path("run") + "'");
  INFO(run.err);
  REQUIRE(run.status == 0);
  const std::string ckpt = dir.path("run/step_0000002.safetensors");
  REQUIRE(std::filesystem::exists(ckpt));
  CHECK(read_train_state(ckpt).step == 2);
  CHECK(read_model_config(ckpt).is_naive());

  test::CliRun eval = test::run_faceptor(dir, "eval --weights '" + ckpt + "' --task align_300w --dataset 300w --root '" +
                                                  dir.path("synth/300w") + "' --split train --threads 1");
  INFO(eval.err);
  CHECK(eval.status == 0);
  CHECK(eval.out.find("nme_inter_ocular") != std::string::npos);

  const std::string image = dir.path("synth/300w/train/synth_000001.png");
  REQUIRE(std::filesystem::exists(image));
  test::CliRun analyze = test::run_faceptor(dir, "analyze --weights '" + ckpt + "' '" + image + "' --threads 1");
  INFO(analyze.err);
  CHECK(analyze.status == 0);
}
