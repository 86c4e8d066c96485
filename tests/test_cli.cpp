// The `faceptor` tool end to end: the built binary (FC_FACEPTOR_BINARY) run through std::system
// on the tiny stage-1 fixture checkpoint and the example photos. Checks the converted model, the
// JSON fields, overlay and dumps, that a dumped input fed back with --input-npy reproduces the
// dumped head output, and that bad inputs fail with status 1 (2 for usage) and write nothing.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>

#include "faceptor/image.h"
#include "tests/support/check.h"
#include "tests/support/cli_run.h"
#include "tests/support/fixture.h"
#include "tests/support/temp_dir.h"
#include "weights/npy.h"

using namespace fc;
using namespace fc::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string example(const std::string& name) { return std::string(FC_SOURCE_DIR) + "/examples/" + name; }

// One converted tiny model for every test in this file.
struct Converted {
  TempDir dir;
  std::string model = dir.path("tiny.safetensors");
  CliRun convert;
  Converted() {
    convert = run_faceptor(dir, "convert '" + fixture_path("model/stage1.pth.tar") + "' '" + model +
                                "' --encoder-heads 3 --decoder-heads 2");
  }
};
const Converted& converted() {
  static Converted c;
  return c;
}

std::vector<std::string> files_under(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) out.push_back(fs::relative(e.path(), root).string());
  std::sort(out.begin(), out.end());
  return out;
}

double sum_values(const json& object) {
  double s = 0;
  for (const auto& [k, v] : object.items()) s += v.get<double>();
  return s;
}

}  // namespace

TEST_CASE("faceptor convert: the tiny checkpoint, with a progress bar and a report") {
  const Converted& c = converted();
  INFO(c.convert.err);
  REQUIRE(c.convert.status == 0);
  CHECK(fs::exists(c.model));
  CHECK(c.convert.out.find("source: faceptor checkpoint") != std::string::npos);
  CHECK(c.convert.out.find("written: ") != std::string::npos);
  CHECK(c.convert.out.find("tasks (7):") != std::string::npos);
  CHECK(c.convert.out.find("mask_map.1.ln.weight: alias") != std::string::npos);
  CHECK(c.convert.err.find("100% (") != std::string::npos);
}

TEST_CASE("faceptor info: architecture, tasks and parameter counts") {
  TempDir dir;
  CliRun r = run_faceptor(dir, "info '" + converted().model + "'");
  INFO(r.err);
  REQUIRE(r.status == 0);
  for (const char* s : {"encoder: FaRL ViT", "levels [", "tasks (7):", "recog_ms1mv3", "parsing_celebam", "align_300w",
                        "queries age_morph2", "interpreter map", "decoder (shared)", "total", "one more task costs"})
    CHECK_MESSAGE(r.out.find(s) != std::string::npos, s);
}

// Both photos analysed once with every output; the test cases below read the results. One
// thread: the tiny model gains nothing from more, and a busy machine makes OpenMP spin.
struct AnalyzedExamples {
  TempDir dir;
  CliRun run;
  AnalyzedExamples() {
    fs::create_directory(dir.path("json"));
    run = run_faceptor(dir, "analyze '" + example("astronaut.png") + "' '" + example("grace_hopper_512x512.jpg") +
                            "' --weights '" + converted().model + "' --json '" + dir.path("json") + "' --overlay '" +
                            dir.path("overlay.png") + "' --dump '" + dir.path("dump") + "' --threads 1");
  }
};
const AnalyzedExamples& analyzed() {
  static AnalyzedExamples a;
  return a;
}

TEST_CASE("faceptor analyze: table, JSON and overlay for two photos") {
  const AnalyzedExamples& a = analyzed();
  const TempDir& dir = a.dir;
  const CliRun& r = a.run;
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("astronaut.png (512x512)") != std::string::npos);
  CHECK(r.out.find("years") != std::string::npos);
  CHECK(r.err.empty());
  CHECK(files_under(dir.path("json")) == std::vector<std::string>{"astronaut.json", "grace_hopper_512x512.json"});
  for (const std::string& f : files_under(dir.root())) CHECK_MESSAGE(f.find("staged") == std::string::npos, f);
  for (const char* stem : {"astronaut", "grace_hopper_512x512"}) {
    CAPTURE(stem);
    const json doc = json::parse(read_file(dir.path("json/") + stem + ".json"));
    const int w = doc["frame"]["width"], h = doc["frame"]["height"];
    CHECK(doc["region"]["kind"] == "whole_image");
    const json& tasks = doc["tasks"];
    CHECK(tasks.size() == 7);
    CHECK(tasks["recog_ms1mv3"]["embedding"].size() == tasks["recog_ms1mv3"]["normalized"].size());
    std::vector<double> unit = tasks["recog_ms1mv3"]["normalized"];
    CHECK(std::inner_product(unit.begin(), unit.end(), unit.begin(), 0.0) == doctest::Approx(1.0).epsilon(1e-5));
    std::vector<double> dist = tasks["age_morph2"]["distribution"];
    CHECK(dist.size() == 101);
    CHECK(std::accumulate(dist.begin(), dist.end(), 0.0) == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(tasks["age_morph2"]["age"].get<double>() >= 0);
    CHECK(tasks["age_morph2"]["age"].get<double>() <= 100);
    const json& attrs = tasks["biattr_celeba"]["probabilities"];
    CHECK(attrs.size() == 40);
    CHECK(attrs.contains("Smiling"));
    for (const auto& [name, p] : attrs.items()) CHECK((p.get<double>() >= 0 && p.get<double>() <= 1));
    for (const char* t : {"affect_affectnet", "affect_rafdb"}) {
      const json& e = tasks[t];
      CHECK(e["probabilities"].size() == 7);
      CHECK(sum_values(e["probabilities"]) == doctest::Approx(1.0).epsilon(1e-5));
      CHECK(e["probabilities"][e["top"].get<std::string>()] == e["top_probability"]);
    }
    const json& parsing = tasks["parsing_celebam"];
    CHECK(parsing["classes"].size() == 19);
    CHECK(parsing["classes"][0] == "background");
    REQUIRE(parsing["labels"].size() == static_cast<size_t>(h));
    CHECK(parsing["labels"][0].size() == static_cast<size_t>(w));
    CHECK(sum_values(parsing["class_pixels"]) == w * h);
    const json& points = tasks["align_300w"]["points"];
    CHECK(points.size() == 68);
    for (const json& p : points) {
      CHECK((p[0].get<double>() > -0.5 && p[0].get<double>() < w - 0.5));
      CHECK((p[1].get<double>() > -0.5 && p[1].get<double>() < h - 0.5));
    }
    Image overlay = load_image(dir.path(std::string("overlay.") + stem + ".png"));
    CHECK(overlay.width == w);
    CHECK(overlay.height == h);
  }
}

TEST_CASE("faceptor analyze --dump: inputs, encoder maps, heads; --input-npy reproduces the heads") {
  const AnalyzedExamples& a = analyzed();
  REQUIRE(a.run.status == 0);
  const std::string dump = a.dir.path("dump/astronaut/");
  CHECK(npy_load(dump + "input_112.npy").shape() == Shape({1, 3, 112, 112}));
  CHECK(npy_load(dump + "input_512.npy").shape() == Shape({1, 3, 512, 512}));
  Tensor layer = npy_load(dump + "encoder_112_layer00.npy");
  CHECK(layer.ndim() == 4);
  CHECK(layer.size(2) == 7);
  CHECK(npy_load(dump + "encoder_512_layer00.npy").size(2) == 32);
  CHECK(npy_load(dump + "head_parsing_celebam.npy").shape() == Shape({1, 19, 128, 128}));
  CHECK(npy_load(dump + "parsing_celebam_probabilities.npy").shape() == Shape({19, 512, 512}));
  CHECK(npy_load(dump + "parsing_celebam_labels.npy").shape() == Shape({512, 512}));
  CHECK(npy_load(dump + "align_300w_points.npy").shape() == Shape({68, 2}));
  CHECK(npy_load(dump + "head_recog_ms1mv3.npy").size(0) == 1);

  TempDir dir;
  const std::string model = converted().model;
  CliRun again = run_faceptor(dir, "analyze --input-npy '" + dump + "input_512.npy' --weights '" + model + "' --dump '" +
                                dir.path("dump2") + "' --json '" + dir.path("crop.json") + "' --threads 1");
  INFO(again.err);
  REQUIRE(again.status == 0);
  for (const char* head : {"head_parsing_celebam.npy", "head_align_300w.npy"})
    check_close_scaled(npy_load(dir.path("dump2/input_512/") + head), npy_load(dump + head), 1e-5, head);
  CHECK(!fs::exists(dir.path("dump2/input_512/head_age_morph2.npy")));  // only the 512 tasks
  const json doc = json::parse(read_file(dir.path("crop.json")));
  CHECK(doc["frame"]["kind"] == "input_tensor");
  CHECK(doc["tasks"].size() == 2);
}

TEST_CASE("faceptor analyze: a box and five points; tasks by kind and by name") {
  TempDir dir;
  const std::string model = converted().model;
  CliRun boxed = run_faceptor(dir, "analyze '" + example("grace_hopper_512x512.jpg") + "' --weights '" + model +
                                "' --tasks age,align_300w --box 100,60,420,460 --threads 1 --json '" +
                                dir.path("box.json") + "'");
  INFO(boxed.err);
  REQUIRE(boxed.status == 0);
  const json doc = json::parse(read_file(dir.path("box.json")));
  CHECK(doc["tasks"].size() == 2);
  CHECK(doc["region"]["box"][0] == -0.5 + 100);
  for (const json& p : doc["tasks"]["align_300w"]["points"])
    CHECK((p[0].get<double>() > 99 && p[0].get<double>() < 420 && p[1].get<double>() > 59 && p[1].get<double>() < 460));
  CliRun pts = run_faceptor(dir, "analyze '" + example("grace_hopper_512x512.jpg") + "' --weights '" + model +
                              "' --tasks expression --threads 2 --points 200,220,300,220,250,280,210,330,290,330");
  INFO(pts.err);
  CHECK(pts.status == 0);
  CHECK(pts.out.find("affect_rafdb") != std::string::npos);
}

TEST_CASE("faceptor: bad inputs fail clearly and leave no output behind") {
  TempDir dir;
  const std::string model = converted().model;
  std::string good = "'";
  good.append(example("grace_hopper_512x512.jpg")).append("'");
  write_file(dir.path("corrupt.png"), "\x89PNG\r\n\x1a\n this is not a picture");
  fs::create_directory(dir.path("out"));
  const std::string outputs = " --json '" + dir.path("out") + "' --overlay '" + dir.path("out") + "' --dump '" +
                              dir.path("out/dump") + "'";
  auto expect = [&](const std::string& args, int status, const std::string& message) {
    CAPTURE(args);
    CliRun r = run_faceptor(dir, args);
    CHECK(r.status == status);
    CHECK_MESSAGE(r.err.find(message) != std::string::npos, r.err);
    CHECK(files_under(dir.path("out")).empty());
  };
  expect("analyze " + good + " '" + dir.path("missing.jpg") + "' --weights '" + model + "'" + outputs, 1,
         "missing.jpg");
  expect("analyze " + good + " '" + dir.path("corrupt.png") + "' --weights '" + model + "'" + outputs, 1,
         "corrupt.png");
  expect("analyze " + good + " --weights '" + model + "' --frobnicate" + outputs, 2, "--frobnicate");
  expect("analyze " + good + outputs + " --weights", 2, "--weights");
  expect("analyze " + good + outputs, 2, "--weights W is required");
  expect("analyze " + good + " --weights '" + model + "' --tasks agee" + outputs, 2, "unknown task 'agee'");
  expect("analyze " + good + " --weights '" + model + "' --box 1,2,3" + outputs, 2, "--box");
  expect("analyze " + good + " --weights '" + model + "' --threads zero" + outputs, 2, "--threads");
  expect("analyze " + good + " --weights '" + dir.path("none.safetensors") + "'" + outputs, 1, "none.safetensors");
  expect("analyze " + good + " --weights '" + model + "' --json '" + dir.path("no/such/dir/x.json") + "'", 1,
         "does not exist");

  const std::string bytes = read_file(model);
  write_file(dir.path("truncated.safetensors"), bytes.substr(0, bytes.size() / 2));
  expect("analyze " + good + " --weights '" + dir.path("truncated.safetensors") + "'" + outputs, 1,
         "truncated.safetensors");
  expect("info '" + dir.path("truncated.safetensors") + "'", 1, "truncated.safetensors");

  const std::string ckpt = read_file(fixture_path("model/stage1.pth.tar"));
  write_file(dir.path("truncated.pth.tar"), ckpt.substr(0, ckpt.size() / 2));
  expect("convert '" + dir.path("truncated.pth.tar") + "' '" + dir.path("out/m.safetensors") +
             "' --encoder-heads 3 --decoder-heads 2",
         1, "truncated.pth.tar");
  expect("convert '" + fixture_path("model/stage1.pth.tar") + "' '" + dir.path("out/m.safetensors") +
             "' --encoder-heads x",
         2, "--encoder-heads");
  expect("convert onlyone", 2, "expected IN and OUT");
  expect("frobnicate", 2, "unknown command 'frobnicate'");
  expect("", 2, "usage: faceptor");

  for (const char* cmd : {"--help", "analyze --help", "convert --help", "info --help"}) {
    CliRun r = run_faceptor(dir, cmd);
    CHECK_MESSAGE(r.status == 0, cmd);
    CHECK_MESSAGE(r.out.find("usage: faceptor") != std::string::npos, cmd);
  }
}

TEST_CASE("faceptor convert / info / analyze with a Naive Faceptor checkpoint") {
  TempDir dir;
  const std::string model = dir.path("naive.safetensors");
  CliRun c = run_faceptor(dir, "convert '" + fixture_path("model/naive.pth.tar") + "' '" + model + "'");
  INFO(c.err);
  REQUIRE(c.status == 0);
  CliRun info = run_faceptor(dir, "info '" + model + "'");
  INFO(info.err);
  REQUIRE(info.status == 0);
  for (const char* s : {"architecture: Naive Faceptor", "head affect: attribute", "storage, Naive Faceptor (this model)",
                        "storage, Faceptor (same encoder and tasks)", "shared by every task (encoder)",
                        "a new kind of task needs its own head"})
    CHECK_MESSAGE(info.out.find(s) != std::string::npos, s);
  CliRun a = run_faceptor(dir, "analyze '" + example("grace_hopper_512x512.jpg") + "' --weights '" + model +
                            "' --tasks age,expression --json '" + dir.path("json") + "'");
  INFO(a.err);
  CHECK(a.status == 0);
  CHECK(a.out.find("age") != std::string::npos);
}
