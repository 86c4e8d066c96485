// `faceptor explain` end to end: the built binary (FC_FACEPTOR_BINARY) on the tiny stage-2
// fixture checkpoint (three encoder levels in the memory) and the astronaut photo. Checks the JSON
// profile, that every PNG it names decodes (stb) at the size it states, the text summary, and that
// bad inputs fail with status 2 (usage) or 1 (naming the file) and write nothing.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "faceptor/image.h"
#include "tests/support/cli_run.h"
#include "tests/support/fixture.h"
#include "tests/support/temp_dir.h"

using namespace fc;
using namespace fc::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kPhoto = std::string(FC_SOURCE_DIR) + "/examples/astronaut.png";

// The stage-2 tiny model (levels [2] + new_levels [0, 1]) and one explain run, shared by the tests.
struct Explained {
  TempDir dir;
  std::string model = dir.path("stage2.safetensors");
  CliRun convert, run;
  Explained() {
    convert = run_faceptor(dir, "convert '" + fixture_path("model/stage2.pth.tar") + "' '" + model +
                                "' --encoder-heads 3 --decoder-heads 2 --new-levels 0,1");
    run = run_faceptor(dir, "explain '" + kPhoto + "' --weights '" + model + "' --task all --out '" + dir.path("out") +
                            "' --per-query --tile 32 --threads 1");
  }
};
const Explained& explained() {
  static Explained e;
  return e;
}

void check_png(const std::string& dir, const json& entry) {
  const std::string file = entry["file"];
  CAPTURE(file);
  REQUIRE(fs::exists(dir + "/" + file));
  Image img = load_image(dir + "/" + file);
  CHECK(img.width == entry["width"].get<int>());
  CHECK(img.height == entry["height"].get<int>());
}

}  // namespace

TEST_CASE("faceptor explain: JSON profile, PNGs and summary on the tiny stage-2 model") {
  const Explained& e = explained();
  INFO(e.convert.err, e.run.err);
  REQUIRE(e.convert.status == 0);
  REQUIRE(e.run.status == 0);
  const std::string out = e.dir.path("out");
  const json doc = json::parse(read_file(out + "/explain.json"));
  CHECK(doc["region"]["kind"] == "whole_image");
  CHECK(doc["decoder_layers"] == 2);
  CHECK(doc["shown_decoder_layer"] == 1);
  CHECK(doc["skipped"] == json::array({"recog_ms1mv3"}));
  check_png(out, doc["layer_attention_chart"]);
  REQUIRE(doc["passes"].size() == 2);
  for (const json& pass : doc["passes"]) {
    CHECK(pass["memory_levels"] == json::array({2, 0, 1}));
    check_png(out, pass["encoder_pca"]);
    // The input and three layers in one row of 32-pixel tiles.
    CHECK(pass["encoder_pca"]["width"].get<int>() >= 4 * 32);
  }
  const json& tasks = doc["tasks"];
  CHECK(tasks.size() == 6);
  for (const auto& [name, t] : tasks.items()) {
    CAPTURE(name);
    CHECK(t["levels"] == json::array({0, 1, 2}));
    REQUIRE(t["profile"].size() == 2);
    for (const json& layer : t["profile"]) {
      double sum = 0;
      for (const auto& [level, share] : layer["shares"].items()) sum += share.get<double>();
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
      CHECK(layer["mean_level"].get<double>() >= 0);
      CHECK(layer["mean_level"].get<double>() <= 2);
    }
    const int queries = t["queries"];
    CHECK(t["query_labels"].size() == static_cast<size_t>(queries));
    CHECK(t["query_shares"][1].size() == static_cast<size_t>(queries));
    check_png(out, t["layer_chart"]);
    check_png(out, t["attention_maps"]);
    // One 32-pixel tile per query in a near-square grid.
    const int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(queries))));
    CHECK(t["attention_maps"]["width"].get<int>() >= columns * 32);
    CHECK(t["attention_maps"]["height"].get<int>() >= (queries + columns - 1) / columns * 32);
  }
  CHECK(tasks["biattr_celeba"]["query_labels"][0] == "5_o_Clock_Shadow");
  CHECK(tasks["align_300w"]["query_labels"][67] == "point 67");
  CHECK(e.run.out.find("Layer-Attention at decoder layer 1 of 2") != std::string::npos);
  CHECK(e.run.out.find("align_300w: L0 ") != std::string::npos);
  CHECK(e.run.out.find("recog_ms1mv3: skipped") != std::string::npos);
  CHECK(e.run.out.find("15 PNG files") != std::string::npos);  // 1 chart, 2 PCA grids, 2 per task
}

TEST_CASE("faceptor explain: usage errors (status 2) and failures (status 1) write nothing") {
  const Explained& e = explained();
  REQUIRE(e.convert.status == 0);
  TempDir dir;
  const std::string model = "'" + e.model + "'";
  const std::string out = dir.path("out");
  struct Case {
    std::string args;
    int status;
    std::string message;
  };
  write_file(dir.path("file"), "x");
  write_file(dir.path("broken.png"), "not a png");
  const std::vector<Case> cases = {
      {"'" + kPhoto + "'", 2, "--weights W is required"},
      {"--weights " + model, 2, "no input picture given"},
      {"'" + kPhoto + "' --weights " + model + " --layer 2", 2, "--layer: 2 is outside the model's decoder layers 0..1"},
      {"'" + kPhoto + "' --weights " + model + " --task nose", 2, "unknown task 'nose'"},
      {"'" + kPhoto + "' --weights " + model + " --box 10,10,5,5", 2, "--box"},
      {"'" + kPhoto + "' --weights " + model + " --tile 4", 2, "--tile"},
      {"'" + kPhoto + "' --weights " + model + " --out '" + dir.path("file") + "'", 2, "is not a directory"},
      {"'" + kPhoto + "' --weights " + model + " --task recognition", 1, "no attention to show"},
      {"'" + dir.path("broken.png") + "' --weights " + model, 1, "broken.png"},
      {"'" + dir.path("missing.png") + "' --weights " + model, 1, "missing.png"},
      {"'" + kPhoto + "' --weights '" + dir.path("file") + "'", 1, "file"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    CliRun r = run_faceptor(dir, "explain " + c.args + (c.args.find("--out") == std::string::npos ? " --out '" + out + "'" : ""));
    CHECK(r.status == c.status);
    CHECK_MESSAGE(r.err.find(c.message) != std::string::npos, r.err);
    CHECK(!fs::exists(out));
  }
  CliRun help = run_faceptor(dir, "explain --help");
  CHECK(help.status == 0);
  CHECK(help.out.find("Layer-Attention profile") != std::string::npos);
  CHECK(help.out.find("--box x0,y0,x1,y1") != std::string::npos);
}
