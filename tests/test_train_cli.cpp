// `faceptor train` end to end: the built binary on a synthetic dataset written by `faceptor synth`.
#include <doctest/doctest.h>


#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "faceptor/model_io.h"
#include "faceptor/train/checkpoint.h"
#include "tests/support/cli_run.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;

namespace {

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("train CLI: usage, bad config, a two-step run that writes a model file") {
  fc::test::TempDir dir;
  CHECK(fc::test::run_faceptor(dir, "train --help").status == 0);
  CHECK(fc::test::run_faceptor(dir, "train").status == 2);
  CHECK(fc::test::run_faceptor(dir, "train a.json --max-iter zero").status == 2);
  fc::test::CliRun missing = fc::test::run_faceptor(dir, "train '" + dir.path("nope.json") + "'");
  CHECK(missing.status == 1);
  CHECK(missing.err.find("nope.json") != std::string::npos);

  REQUIRE(fc::test::run_faceptor(dir, "synth --count 8 --size 64 --out '" + dir.path("synth") + "'").status == 0);
  const std::string config = fc::str_cat(R"({
    "model": {"preset": "base", "encoder": {"width": 32, "layers": 2, "heads": 2, "pos_grid": 4},
              "decoder": {"hidden": 16, "heads": 2, "ffn": 32, "layers": 1, "levels": [1]},
              "tasks": [{"name": "biattr_celeba", "input_size": 32}, {"name": "align_300w", "input_size": 64}]},
    "tasks": [{"name": "biattr_celeba", "dataset": {"kind": "celeba", "root": ")", dir.path("synth/celeba"),
                                         R"(", "split": "all"}, "batch_size": 2},
              {"name": "align_300w", "dataset": {"kind": "300w", "root": ")", dir.path("synth/300w"),
                                         R"(", "split": "train"}, "batch_size": 2,
               "test_dataset": {"kind": "300w", "root": ")", dir.path("synth/300w"), R"(", "split": "train"}}],
    "schedule": {"base_lr": 1e-5, "warmup_lr": 1e-4},
    "max_iter": 10, "workers": 1, "seed": 1, "eval": {"interval": 1, "batch_size": 4}
  })");
  write_text(dir.path("train.json"), config);
  fc::test::CliRun run = fc::test::run_faceptor(dir, "train '" + dir.path("train.json") + "' --max-iter 2 --threads 1 --out '" +
                              dir.path("run") + "'");
  INFO(run.err);
  REQUIRE(run.status == 0);
  const std::string ckpt = dir.path("run/step_0000002.safetensors");
  CHECK(fs::exists(ckpt));
  CHECK(fc::faceptor::load_model(ckpt)->config.tasks.size() == 2);
  CHECK(fc::faceptor::train::read_train_state(ckpt).step == 2);
  // eval.interval 1: landmarks evaluated after step 1 and at the end, one JSON line each.
  std::ifstream eval_log(dir.path("run/eval.jsonl"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(eval_log, line);) lines.push_back(line);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find(R"("step":1,"task":"align_300w")") != std::string::npos);
  CHECK(lines[1].find(R"("nme_inter_ocular":)") != std::string::npos);
  CHECK(run.err.find("evaluation at step 2") != std::string::npos);
  // convert exports the model alone: no optimizer moments, no CosFace matrix.
  const std::string exported = dir.path("model.safetensors");
  fc::test::CliRun convert = fc::test::run_faceptor(dir, "convert '" + ckpt + "' '" + exported + "'");
  INFO(convert.err);
  REQUIRE(convert.status == 0);
  CHECK(fc::faceptor::load_model(exported)->config.tasks.size() == 2);
  CHECK(fs::file_size(exported) * 2 < fs::file_size(ckpt));

  write_text(dir.path("bad.json"), fc::str_cat(R"({"model": "base", "tasks": [], "schedule": {}, "max_iter": 1})"));
  fc::test::CliRun bad = fc::test::run_faceptor(dir, "train '" + dir.path("bad.json") + "'");
  CHECK(bad.status == 1);
  CHECK(bad.err.find("bad.json: tasks: expected a non-empty list of tasks") != std::string::npos);
}
