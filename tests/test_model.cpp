// The whole Faceptor model against our PyTorch reference (tests/reference/faceptor_reference.py):
// tiny random-weight checkpoints saved by torch.save with the official names, converted by our
// converter, run on the same inputs. Tolerance: max |diff| <= 1e-4 * max |ref| per tensor (the
// references are float64 results; PyTorch's own float32 run is within 2e-6 of them).
#include <doctest/doctest.h>

#include <filesystem>

#include "core/autograd.h"
#include "core/error.h"

#include "faceptor/convert.h"
#include "faceptor/model.h"
#include "faceptor/model_io.h"
#include "faceptor/outputs.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"
#include "tests/support/tiny_model.h"
#include "tests/support/temp_dir.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::test;

namespace {

constexpr double kRel = 1e-4;

const Fixture& model_fixture(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Fixture>> cache;
  auto& slot = cache[name];
  if (!slot) slot = std::make_unique<Fixture>(fixture_path("model/" + name + ".fxt"));
  return *slot;
}

std::vector<int> ints(const Tensor& t) {
  std::vector<int> out;
  for (float v : t.to_vector()) out.push_back(static_cast<int>(v));
  return out;
}

void check_variant(const std::string& variant) {
  CAPTURE(variant);
  const Fixture& fx = model_fixture(variant);
  const Fixture& inputs = model_fixture("inputs");
  auto model = tiny_model(variant);
  NoGradGuard no_grad;

  PassResult small = model->run(inputs.get("input/112"), {}, {.keep_attention = true, .keep_encoder_layers = true});
  PassResult dense = model->run(inputs.get("input/64"), {}, {.keep_encoder_layers = true});
  CHECK(small.tasks.size() == 5);
  CHECK(dense.tasks.size() == 2);
  for (const auto* pass : {&small, &dense}) {
    for (const auto& [name, r] : pass->tasks) {
      if (fx.has(name + "/decoder_output"))
        check_close_scaled(r.decoder_output, fx.get(name + "/decoder_output"), kRel, name + " decoder output");
      if (fx.has(name + "/head")) check_close_scaled(r.raw, fx.get(name + "/head"), kRel, name + " head");
    }
  }
  check_close_scaled(small.tasks.at("recog_ms1mv3").raw, fx.get("recog_ms1mv3/embedding"), kRel, "embedding");
  AgeEstimate age = age_from_logits(small.tasks.at("age_morph2").raw);
  check_close_scaled(age.distribution, fx.get("age_morph2/probs"), kRel, "age distribution");
  check_close_scaled(age.age, fx.get("age_morph2/age"), kRel, "expected age");
  check_close_scaled(attribute_probabilities(small.tasks.at("biattr_celeba").raw), fx.get("biattr_celeba/probs"), kRel,
                     "attribute probabilities");
  for (const char* t : {"affect_affectnet", "affect_rafdb"})
    check_close_scaled(expression_probabilities(small.tasks.at(t).raw), fx.get(std::string(t) + "/probs"), kRel,
                       std::string(t) + " probabilities");
  check_close_scaled(landmarks_from_heatmaps(dense.tasks.at("align_300w").raw), fx.get("align_300w/landmarks"), kRel,
                     "landmarks");
  check_close_scaled(small.tasks.at("biattr_celeba").cross_attention.back(), fx.get("biattr_celeba/cross_attn_last"),
                     kRel, "last-layer cross-attention");
  if (fx.has("encoder/112/0")) {
    for (int layer = 0; layer < 3; ++layer) {
      check_close_scaled(small.encoder.feature_map(layer), fx.get("encoder/112/" + std::to_string(layer)), kRel,
                         "encoder layer " + std::to_string(layer) + " at 112");
      check_close_scaled(dense.encoder.feature_map(layer), fx.get("encoder/64/" + std::to_string(layer)), kRel,
                         "encoder layer " + std::to_string(layer) + " at 64");
    }
    check_close_scaled(model->decoder->anchor_position(7), fx.get("pos/112"), kRel, "anchor positions 7x7");
  }
}

}  // namespace

TEST_CASE("Faceptor stage-1 (levels [last]) matches the PyTorch reference") { check_variant("stage1"); }
TEST_CASE("Faceptor stage-2 Layer-Attention (levels [last] + new_levels) matches the PyTorch reference") {
  check_variant("stage2");
}
TEST_CASE("Faceptor with all levels matches the PyTorch reference") { check_variant("all_levels"); }

TEST_CASE("FaRL encoder-only checkpoint converts and matches") {
  const Fixture& fx = model_fixture("farl");
  const Fixture& inputs = model_fixture("inputs");
  ConvertOptions opts;
  opts.encoder_heads = 2;
  ConvertedModel cm = convert_state(fixture_path("model/farl.pth"), opts);
  CHECK(cm.source_kind == "farl");
  CHECK(cm.config.tasks.empty());
  FaceptorModel model(cm.config);
  REQUIRE(model.load_state(std::map<std::string, Tensor>(cm.tensors.begin(), cm.tensors.end())).ok());
  NoGradGuard no_grad;
  for (const char* size : {"112", "64"}) {
    EncoderOutput out = model.encoder.forward(inputs.get(std::string("input/") + size));
    for (int layer = 0; layer < 2; ++layer)
      check_close_scaled(out.feature_map(layer), fx.get(std::string("encoder/") + size + "/" + std::to_string(layer)),
                         kRel, std::string("FaRL layer ") + std::to_string(layer) + " at " + size);
  }
}

TEST_CASE("convert_checkpoint writes a model file that loads back (zero-copy) with the same outputs") {
  TempDir dir;
  const std::string out = dir.path("stage2.safetensors");
  ConvertOptions opts;
  opts.encoder_heads = 3;
  opts.decoder_heads = 2;
  opts.new_levels = ints(model_fixture("stage2").get("config/new_levels"));
  size_t calls = 0;
  opts.progress = [&](size_t done, size_t total) { calls = done == total ? calls + 1 : calls; };
  ConversionReport r = convert_checkpoint(fixture_path("model/stage2.pth.tar"), out, opts);
  CHECK(calls == 1);
  CHECK(r.source_kind == "faceptor");
  CHECK(r.config.decoder.new_levels == std::vector<int>{0, 1});
  bool dropped_alias = false;
  for (const auto& d : r.dropped) dropped_alias |= d.find("mask_map.1.ln.weight") != std::string::npos;
  CHECK(dropped_alias);
  auto model = load_model(out);
  CHECK(model->config.tasks.size() == 7);
  CHECK(model->encoder.conv1_weight.storage()->read_only());  // a view of the mapped file
  NoGradGuard no_grad;
  PassResult p = model->run(model_fixture("inputs").get("input/112"), {"age_morph2"});
  check_close_scaled(p.tasks.at("age_morph2").raw, model_fixture("stage2").get("age_morph2/head"), kRel, "age head");
}

TEST_CASE("converter errors name the file and the problem") {
  TempDir dir;
  CHECK_THROWS_WITH_AS(convert_state(dir.path("missing.pth"), {}), doctest::Contains("missing.pth"), Error);
  // A stage-2 checkpoint whose new levels cannot be guessed (2 over 3 layers) asks for --new-levels.
  ConvertOptions opts;
  opts.encoder_heads = 3;
  opts.decoder_heads = 2;
  CHECK_THROWS_WITH_AS(convert_state(fixture_path("model/stage2.pth.tar"), opts), doctest::Contains("--new-levels"),
                       Error);
  // Loading a file that is not a model.
  CHECK_THROWS_WITH_AS(load_model(fixture_path("model/inputs.fxt")), doctest::Contains("inputs.fxt"), Error);
}
