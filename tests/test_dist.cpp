// Multi-process runs under `mpirun -np 2` on this machine: dist/ collectives, the progress
// timeout on a hung or dead rank, and data-parallel training equal to one process with the same
// global batch. Skipped (with a message) in builds without MPI or where mpirun is missing.
//
// mpirun settings (see README "Running across machines"): --oversubscribe (2 ranks may exceed
// the cores), --mca btl self,vader (loopback: shared memory only, no network), and as root
// OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM)=1. Leak checking is off inside those runs (ASan build): Open
// MPI's own start-up allocations are never freed; our code's leaks are covered by the
// single-process tests.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "dist/communicator.h"
#include "faceptor/train/checkpoint.h"
#include "tests/support/fixture.h"
#include "tests/support/temp_dir.h"
#include "weights/safetensors.h"

namespace fs = std::filesystem;

namespace {

struct Run {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Run shell(const fc::test::TempDir& dir, const std::string& cmd) {
  const std::string out = dir.path(".stdout"), err = dir.path(".stderr");
  const int raw = std::system((cmd + " >'" + out + "' 2>'" + err + "'").c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
}

// `timeout` guards the test itself against the hang the timeout exists to prevent.
std::string mpirun(int ranks) {
  return fc::str_cat("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=detect_leaks=0 "
                     "timeout 120 mpirun -np ",
                     ranks, " --oversubscribe --mca btl self,vader ");
}

bool mpi_available() {
  if (!fc::dist::built_with_mpi()) {
    MESSAGE("skipped: this build has no MPI (install libopenmpi-dev: make deps, then rebuild)");
    return false;
  }
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: mpirun not found (install openmpi-bin: make deps)");
    return false;
  }
  return true;
}

std::string faceptor_binary() { return std::string("'") + FC_FACEPTOR_BINARY + "'"; }

}  // namespace

TEST_CASE("dist: MPI collectives on 2 ranks; a hung or dead rank stops the job with an error") {
  if (!mpi_available()) return;
  fc::test::TempDir dir;
  const std::string check = std::string("'") + FC_DIST_CHECK_BINARY + "'";
  Run ok = shell(dir, mpirun(2) + check + " collectives");
  INFO(ok.err);
  CHECK(ok.status == 0);
  CHECK(ok.out == "ok 2\n");

  Run stall = shell(dir, mpirun(2) + check + " stall 1");
  CHECK(stall.status != 0);
  CHECK(stall.status != 124);  // not killed by the guard: the progress timeout fired
  CHECK(stall.err.find("MPI all-reduce on rank 0 of 2 made no progress for 1 s: another rank has died or hangs") !=
        std::string::npos);

  Run die = shell(dir, mpirun(2) + check + " die 30");
  CHECK(die.status != 0);
  CHECK(die.status != 124);
}

// 1 process with batch 4 per task vs 2 processes with batch 2 each (the same global batch: rank
// r of 2 draws the sampler's global positions r, r + 2, ..., which together are exactly the
// single process's 4 samples per step). Every task loss is a batch mean and the per-task
// weights are the same on every rank, so the mean of the ranks' gradients is the global
// batch's gradient; the recognition head's BatchNorm1d uses SyncBN, so its statistics (and
// running statistics) are the global batch's too. Only float summation order differs (batch
// sums split in two, GEMM over 2 rows instead of 4, SyncBN's E[x^2] - mean^2 in double).
//
// Tolerance, per tensor: |a - b| <= 1e-4 |a| + 1e-6 S, S = the largest |value| among tensors of
// its kind (weights, Adam's exp_avg, exp_avg_sq). Measured: at most 0.23 of that. Why AdamW's
// eps is 1 here: several parameters have an exactly zero true gradient (the key part of an
// attention in_proj_bias: softmax ignores a shift; a bias feeding a BatchNorm), so theirs is
// rounding noise (~1e-9) that the default eps 1e-8 normalises to a +-lr step, different in
// every summation order. With eps 1 an update is ~lr * gradient, so weights compare tightly
// and a gradient off by any factor (a sum instead of a mean, a missing shard) fails; exp_avg
// (the averaged gradients themselves) is checked as well.
TEST_CASE("dist: data-parallel training on 2 ranks equals 1 process with the same global batch; resume on 2 ranks") {
  if (!mpi_available()) return;
  fc::test::TempDir dir;
  REQUIRE(shell(dir, faceptor_binary() + " synth --count 8 --size 64 --out '" + dir.path("synth") + "'").status == 0);
  auto config = [&](int batch) {
    return fc::str_cat(R"({
      "model": {"preset": "base", "encoder": {"width": 32, "layers": 2, "heads": 2, "pos_grid": 4},
                "decoder": {"hidden": 16, "heads": 2, "ffn": 32, "layers": 1, "levels": [1]},
                "tasks": [{"name": "recog_ms1mv3", "input_size": 32}, {"name": "biattr_celeba", "input_size": 32},
                          {"name": "align_300w", "input_size": 64}]},
      "tasks": [{"name": "recog_ms1mv3", "dataset": {"kind": "identity_folders", "root": ")", dir.path("synth/lfw"),
                                         R"(", "split": "all"}, "batch_size": )", batch, R"(, "classes": 64},
                {"name": "biattr_celeba", "dataset": {"kind": "celeba", "root": ")", dir.path("synth/celeba"),
                                         R"(", "split": "all"}, "batch_size": )", batch, R"(},
                {"name": "align_300w", "dataset": {"kind": "300w", "root": ")", dir.path("synth/300w"),
                                         R"(", "split": "train"}, "batch_size": )", batch, R"(}],
      "schedule": {"base_lr": 1e-3, "warmup_lr": 1e-2, "warmup_steps": 2}, "optimizer": {"eps": 1.0},
      "max_iter": 3, "workers": 1, "seed": 5, "threads": 1, "checkpoint": {"dir": "unused", "interval": 2}
    })");
  };
  std::ofstream(dir.path("one.json")) << config(4);
  std::ofstream(dir.path("two.json")) << config(2);
  const std::string one = dir.path("one"), two = dir.path("two"), resumed = dir.path("resumed");

  Run single = shell(dir, faceptor_binary() + " train '" + dir.path("one.json") + "' --out '" + one + "'");
  INFO(single.err);
  REQUIRE(single.status == 0);
  Run parallel = shell(dir, mpirun(2) + faceptor_binary() + " train '" + dir.path("two.json") + "' --out '" + two + "'");
  INFO(parallel.err);
  REQUIRE(parallel.status == 0);
  CHECK(parallel.err.find("on 2 MPI ranks") != std::string::npos);
  CHECK(std::count(parallel.err.begin(), parallel.err.end(), '\n') < 12);  // rank 0 alone logs

  // Resume: 2 ranks continue from the parallel run's step-2 checkpoint; step 3 must be bit-exact.
  const std::string step2 = two + "/step_0000002.safetensors";
  REQUIRE(fs::exists(step2));
  Run resume = shell(dir, mpirun(2) + faceptor_binary() + " train '" + dir.path("two.json") + "' --resume '" + step2 +
                              "' --out '" + resumed + "'");
  INFO(resume.err);
  REQUIRE(resume.status == 0);
  CHECK(fc::test::read_file(resumed + "/step_0000003.safetensors") == fc::test::read_file(two + "/step_0000003.safetensors"));

  fc::SafetensorsFile a = fc::SafetensorsFile::open(one + "/step_0000003.safetensors");
  fc::SafetensorsFile b = fc::SafetensorsFile::open(two + "/step_0000003.safetensors");
  REQUIRE(a.names() == b.names());
  auto kind = [](const std::string& name) {
    return name.ends_with("exp_avg_sq") ? 2 : name.ends_with("exp_avg") ? 1 : 0;
  };
  std::map<std::string, std::vector<float>> one_values, two_values;
  double largest[3] = {0, 0, 0};
  for (const std::string& name : a.names()) {
    if (a.entry(name).dtype != fc::ElementType::f32) continue;
    one_values[name] = a.get(name).to_vector();
    two_values[name] = b.get(name).to_vector();
    for (float v : one_values[name]) largest[kind(name)] = std::max(largest[kind(name)], double(std::abs(v)));
  }
  double worst = 0;
  std::string worst_name;
  for (const auto& [name, x] : one_values) {
    const std::vector<float>& y = two_values[name];
    REQUIRE(x.size() == y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      const double ratio = std::abs(double(x[i]) - y[i]) / (1e-4 * std::abs(x[i]) + 1e-6 * largest[kind(name)]);
      if (ratio > worst) {
        worst = ratio;
        worst_name = fc::str_cat(name, "[", i, "] ", x[i], " vs ", y[i]);
      }
    }
  }
  INFO("worst (error / tolerance): ", worst, " at ", worst_name);
  CHECK(one_values.size() > 100);
  CHECK(worst <= 1);
  CHECK(fc::faceptor::train::read_train_state(two + "/step_0000003.safetensors").samplers.at("biattr_celeba").world_size == 2);
}

// --input-list on 1 process and on 2 ranks: the same per-picture JSON files, and an index that
// lists every picture in order, the missing and the broken one as failed (with the reason).
TEST_CASE("dist: analyze --input-list splits pictures over ranks; failures are reported and indexed") {
  fc::test::TempDir dir;
  const std::string model = dir.path("tiny.safetensors");
  REQUIRE(shell(dir, faceptor_binary() + " convert '" + fc::test::fixture_path("model/stage1.pth.tar") + "' '" + model +
                         "' --encoder-heads 3 --decoder-heads 2")
              .status == 0);
  fc::test::write_file(dir.path("broken.png"), "not a png");
  const std::string examples = std::string(FC_SOURCE_DIR) + "/examples/";
  std::ofstream(dir.path("list.txt")) << "# pictures\n"
                                      << examples << "astronaut.png\n"
                                      << dir.path("missing.jpg") << "\n\n"
                                      << examples << "synth_face_128.png\n"
                                      << dir.path("broken.png") << "\n"
                                      << examples << "grace_hopper_512x512.jpg\n";
  const std::string args = " analyze --input-list '" + dir.path("list.txt") + "' --weights '" + model +
                           "' --tasks age,landmarks --threads 1 --json-dir ";
  auto check_index = [&](const std::string& out, int ranks) {
    const nlohmann::json index = nlohmann::json::parse(slurp(out + "/index.json"));
    CHECK(index["ranks"] == ranks);
    CHECK(index["inputs"] == 5);
    CHECK(index["failed"] == 2);
    const auto& results = index["results"];
    REQUIRE(results.size() == 5);
    const std::vector<std::string> status = {"ok", "failed", "ok", "failed", "ok"};
    for (size_t i = 0; i < 5; ++i) {
      CHECK(results[i]["status"] == status[i]);
      CHECK(results[i]["rank"] == static_cast<int>(i) % ranks);
    }
    CHECK(results[1]["error"].get<std::string>().find("missing.jpg") != std::string::npos);
    CHECK(results[2]["json"] == "synth_face_128.json");
    CHECK(fs::exists(out + "/astronaut.json"));
    CHECK(fs::exists(out + "/grace_hopper_512x512.json"));
  };
  Run single = shell(dir, faceptor_binary() + args + "'" + dir.path("one") + "'");
  INFO(single.err);
  CHECK(single.status == 1);  // some pictures failed; the rest are written
  CHECK(single.err.find("missing.jpg: skipped") != std::string::npos);
  CHECK(single.err.find("analyzed 3 of 5 pictures on 1 process, 2 failed") != std::string::npos);
  check_index(dir.path("one"), 1);

  if (!mpi_available()) return;
  Run parallel = shell(dir, mpirun(2) + faceptor_binary() + args + "'" + dir.path("two") + "'");
  INFO(parallel.err);
  CHECK(parallel.status != 0);
  CHECK(parallel.err.find("analyzed 3 of 5 pictures on 2 ranks, 2 failed") != std::string::npos);
  check_index(dir.path("two"), 2);
  // Same pictures, same model: each rank's JSON equals the single process's.
  for (const char* name : {"astronaut.json", "synth_face_128.json", "grace_hopper_512x512.json"})
    CHECK(slurp(dir.path("one/") + name) == slurp(dir.path("two/") + name));
}
