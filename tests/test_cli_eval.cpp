// `faceptor eval` end to end: the built binary (FC_FACEPTOR_BINARY) on the tiny converted
// stage-1 model and a small synthetic dataset: the table, the JSON file, and clear errors.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "faceptor/synth/dataset_writer.h"
#include "tests/support/cli_run.h"
#include "tests/support/fixture.h"
#include "tests/support/temp_dir.h"

using namespace fc;
using namespace fc::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct EvalSetup {
  TempDir dir;
  std::string model = dir.path("tiny.safetensors");
  std::string data = dir.path("synth");
  EvalSetup() {
    CliRun c = run_faceptor(dir, "convert '" + fixture_path("model/stage1.pth.tar") + "' '" + model +
                              "' --encoder-heads 3 --decoder-heads 2");
    REQUIRE(c.status == 0);
    faceptor::synth::SynthOptions o;
    o.out_dir = data;
    o.count = 20;
    o.seed = 4;
    o.image_size = 48;
    o.images_per_identity = 2;
    faceptor::synth::write_synthetic_dataset(o);
  }
  std::string base(const std::string& task) const { return "eval --weights '" + model + "' --task " + task + " "; }
};
const EvalSetup& setup() {
  static EvalSetup s;
  return s;
}

}  // namespace

TEST_CASE("faceptor eval: landmarks on synthetic 300W, table and JSON") {
  const EvalSetup& s = setup();
  const std::string out = s.dir.path("align.json");
  CliRun r = run_faceptor(s.dir, s.base("align_300w") + "--dataset 300w --root '" + s.data + "/300w' --split test --batch 2 --json '" +
                              out + "' --threads 2");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("task align_300w (landmarks), 4 samples") != std::string::npos);
  CHECK(r.out.find("nme_inter_ocular") != std::string::npos);
  CHECK(r.out.find("* (lower is better)") != std::string::npos);
  json j = json::parse(read_file(out));
  CHECK(j["task"] == "align_300w");
  CHECK(j["samples"] == 4);
  CHECK(j["primary"] == "nme_inter_ocular");
  CHECK(j["higher_is_better"] == false);
  CHECK(j["dataset"]["kind"] == "300w");
  CHECK(j["dataset"]["split"] == "test");
  CHECK(j["metrics"]["nme_inter_ocular"].get<double>() > 0);
  CHECK(j["metrics"].contains("nme_inter_pupil"));
}

TEST_CASE("faceptor eval: attributes with --max-samples, and recognition on pairs") {
  const EvalSetup& s = setup();
  const std::string out = s.dir.path("attr.json");
  CliRun r = run_faceptor(s.dir, s.base("biattr_celeba") + "--dataset celeba --root '" + s.data +
                              "/celeba' --split all --max-samples 3 --json '" + out + "'");
  INFO(r.err);
  REQUIRE(r.status == 0);
  json j = json::parse(read_file(out));
  CHECK(j["samples"] == 3);
  CHECK(j["metrics"]["mean_accuracy"].get<double>() <= 100.0);
  CHECK(j["metrics"].size() == 41);

  CliRun v = run_faceptor(s.dir, s.base("recog_ms1mv3") + "--pairs '" + s.data + "/lfw/pairs.txt' --root '" + s.data +
                              "/lfw' --json '" + s.dir.path("recog.json") + "'");
  INFO(v.err);
  REQUIRE(v.status == 0);
  json rj = json::parse(read_file(s.dir.path("recog.json")));
  CHECK(rj["primary"] == "accuracy");
  CHECK(rj["samples"].get<int>() >= 10);
  CHECK(rj["metrics"]["accuracy"].get<double>() <= 1.0);
}

TEST_CASE("faceptor eval: usage errors exit 2, failures exit 1 naming the file, nothing written") {
  const EvalSetup& s = setup();
  const std::string out = s.dir.path("never.json");
  CliRun help = run_faceptor(s.dir, "eval --help");
  CHECK(help.status == 0);
  CHECK(help.out.find("--pairs") != std::string::npos);

  CliRun no_weights = run_faceptor(s.dir, "eval --task align_300w --dataset 300w --root x");
  CHECK(no_weights.status == 2);
  CHECK(no_weights.err.find("--weights is required") != std::string::npos);

  CliRun kind = run_faceptor(s.dir, s.base("align_300w") + "--dataset ibug --root x");
  CHECK(kind.status == 2);
  CHECK(kind.err.find("unknown dataset kind 'ibug' (known: celeba") != std::string::npos);

  CliRun task = run_faceptor(s.dir, s.base("align_cofw") + "--dataset 300w --root '" + s.data + "/300w' --json '" + out + "'");
  CHECK(task.status == 2);
  CHECK(task.err.find("has no task 'align_cofw' (its tasks: recog_ms1mv3") != std::string::npos);

  CliRun root = run_faceptor(s.dir, s.base("align_300w") + "--dataset 300w --root '" + s.dir.path("missing") + "' --json '" +
                                 out + "'");
  CHECK(root.status == 1);
  CHECK(root.err.find("root '" + s.dir.path("missing") + "' is not a directory") != std::string::npos);

  CliRun pairs = run_faceptor(s.dir, s.base("align_300w") + "--pairs p.txt --root x");
  CHECK(pairs.status == 2);
  CHECK(pairs.err.find("needs --dataset") != std::string::npos);

  CliRun batch = run_faceptor(s.dir, s.base("align_300w") + "--dataset 300w --root x --batch 0");
  CHECK(batch.status == 2);

  CHECK_FALSE(fs::exists(out));
  for (const auto& e : fs::directory_iterator(s.dir.root())) CHECK(e.path().string().find(".tmp-") == std::string::npos);
}
