// The trainer on a tiny model and synthetic faces: bit-exact resume, falling losses, stage-2
// freezing, NaN handling, checkpoints that are model files.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "faceptor/model_io.h"
#include "faceptor/train/trainer.h"
#include "tests/support/temp_dir.h"
#include "tests/support/train_fixture.h"
#include "weights/safetensors.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::faceptor::train;

namespace {

const std::vector<std::string> kAllTasks = {"recog_ms1mv3", "age_morph2",      "biattr_celeba", "affect_rafdb",
                                            "parsing_celebam", "align_300w"};

bool small() { return std::getenv("FC_TEST_SMALL") != nullptr; }

std::map<std::string, std::vector<float>> snapshot(Trainer& t) {
  std::map<std::string, std::vector<float>> out;
  for (auto& [name, p] : t.model().named_parameters()) out["model." + name] = p->to_vector();
  for (auto& [name, b] : t.model().named_buffers()) out["buffer." + name] = b->to_vector();
  for (auto& [name, p] : t.objective().named_parameters()) out["losses." + name] = p->to_vector();
  for (auto& [name, s] : t.optimizer().state_tensors()) out["optimizer." + name] = s.to_vector();
  return out;
}

}  // namespace

TEST_CASE("train: resume from a checkpoint continues bit-exactly") {
  test::TempDir dir;
  const int64_t n = small() ? 4 : 6;
  TrainConfig c = test::tiny_train_config(dir.root(), kAllTasks, n);
  TrainerOptions options{.datasets = test::synth_datasets(8)};

  Trainer straight(c, options);
  std::vector<double> straight_losses;
  for (int64_t i = 0; i < n; ++i) straight_losses.push_back(straight.step().total);

  Trainer first(c, options);
  for (int64_t i = 0; i < n / 2; ++i) first.step();
  const std::string ckpt = dir.path("half.safetensors");
  first.save_checkpoint(ckpt);

  TrainerOptions resume = options;
  resume.resume = ckpt;
  Trainer second(c, resume);
  CHECK(second.current_step() == n / 2);
  for (int64_t i = n / 2; i < n; ++i) CHECK(second.step().total == straight_losses[i]);

  auto a = snapshot(straight), b = snapshot(second);
  REQUIRE(a.size() == b.size());
  for (auto& [name, values] : a) {
    INFO(name);
    REQUIRE(b.count(name) == 1);
    CHECK(values == b.at(name));
  }
  CHECK(read_train_state(ckpt).step == n / 2);
}

TEST_CASE("train: a checkpoint is a model file; NaN stops without a checkpoint") {
  test::TempDir dir;
  TrainConfig c = test::tiny_train_config(dir.root(), {"age_morph2", "align_300w"}, 2,
                                          str_cat(R"(, "checkpoint": {"dir": ")", dir.path("run"), R"(", "keep_last": 1})"));
  std::ostringstream log;
  Trainer trainer(c, {.datasets = test::synth_datasets(4), .log = &log});
  trainer.run();
  const std::string ckpt = trainer.checkpoint_path(2);
  auto model = load_model(ckpt);
  CHECK(model->config.tasks.size() == 2);
  SafetensorsFile file = SafetensorsFile::open(ckpt);
  bool has_optimizer = false;
  for (const std::string& name : file.names()) has_optimizer |= name.rfind("optimizer.", 0) == 0;
  CHECK(has_optimizer);
  CHECK(log.str().find("step 2/2") != std::string::npos);

  // NaN images make every loss NaN: the run stops naming the step and task, and writes nothing.
  test::TempDir nan_dir;
  TrainConfig nc = test::tiny_train_config(nan_dir.root(), {"age_morph2"}, 3,
                                           str_cat(R"(, "checkpoint": {"dir": ")", nan_dir.path("run"), R"("})"));
  auto base = test::synth_datasets(4);
  struct NanDataset : data::Dataset {
    std::shared_ptr<const data::Dataset> base;
    size_t size() const override { return base->size(); }
    data::Sample get(size_t i, Rng& rng) const override {
      data::Sample s = base->get(i, rng);
      s.image = Tensor::full(s.image.shape(), NAN);
      return s;
    }
    std::string describe(size_t i) const override { return base->describe(i); }
  };
  TrainerOptions nan_options{.datasets = [&](const TaskSpec& t, const DatasetRef& r) {
                               auto d = std::make_shared<NanDataset>();
                               d->base = base(t, r);
                               return std::shared_ptr<const data::Dataset>(d);
                             },
                             .log = &log};
  Trainer bad(nc, nan_options);
  CHECK_THROWS_WITH_AS(bad.run(), doctest::Contains("step 1: the loss of task age_morph2 is nan"), fc::Error);
  CHECK(!std::filesystem::exists(nan_dir.path("run")));
}

TEST_CASE("train: stage-2 trainable substrings freeze everything else") {
  test::TempDir dir;
  TrainConfig c = test::tiny_train_config(dir.root(), {"age_morph2", "biattr_celeba"}, 3,
                                          R"(, "trainable": ["level_embed", "input_proj"])");
  Trainer trainer(c, {.datasets = test::synth_datasets(4)});
  auto before = snapshot(trainer);
  for (int i = 0; i < 3; ++i) trainer.step();
  auto after = snapshot(trainer);
  int changed = 0;
  for (auto& [name, values] : before) {
    if (name.rfind("optimizer.", 0) == 0 || name.rfind("buffer.", 0) == 0) continue;
    const bool trainable = name.find("level_embed") != std::string::npos || name.find("input_proj") != std::string::npos;
    INFO(name);
    if (trainable)
      changed += values != after.at(name);
    else
      CHECK(values == after.at(name));
  }
  CHECK(changed > 0);
}

TEST_CASE("train: every task's loss falls on synthetic faces") {
  // One thread: the tiny model's ops are too small to split, and on a busy machine a second
  // thread made this test ~10x slower (OpenMP waits on every op) without being any more meaningful.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  struct RestoreThreads {
    int n;
    ~RestoreThreads() { omp_set_num_threads(n); }
  } restore{threads};
  test::TempDir dir;
  const int64_t steps = small() ? 40 : 60;
  TrainConfig c = test::tiny_train_config(dir.root(), kAllTasks, steps);
  c.schedule.warmup_lr = 3e-3;
  Trainer trainer(c, {.datasets = test::synth_datasets(8)});
  std::map<std::string, std::vector<double>> history;
  for (int64_t i = 0; i < steps; ++i)
    for (auto& [task, loss] : trainer.step().task_loss) history[task].push_back(loss);
  const size_t window = 15;
  for (auto& [task, losses] : history) {
    double first = 0, last = 0;
    for (size_t i = 0; i < window; ++i) {
      first += losses[i] / window;
      last += losses[losses.size() - 1 - i] / window;
    }
    INFO(task, ": mean of the first ", window, " steps ", first, ", of the last ", last);
    CHECK(last < first);
  }
}
