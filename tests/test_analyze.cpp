// faceptor/analyze.h on the tiny stage-1 fixture model (random weights, so only the plumbing is
// checked here: that each task's output is the documented rule applied to the head output of
// the documented input, in original-image coordinates; the numerics of the model and of each
// rule are checked against PyTorch in test_model.cpp and test_preprocess.cpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/autograd.h"
#include "core/error.h"
#include "faceptor/analyze.h"
#include "faceptor/convert.h"
#include "faceptor/outputs.h"
#include "faceptor/preprocess.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::test;

namespace {

// The tiny stage-1 fixture with its dense tasks at 64x64 (4x4 grid) to stay fast.
const FaceptorModel& tiny_model() {
  static std::unique_ptr<FaceptorModel> model = [] {
    ConvertOptions opts;
    opts.encoder_heads = 3;
    opts.decoder_heads = 2;
    ConvertedModel cm = convert_state(fixture_path("model/stage1.pth.tar"), opts);
    for (TaskSpec& t : cm.config.tasks)
      if (t.input_size == 512) t.input_size = 64;
    auto m = std::make_unique<FaceptorModel>(cm.config);
    REQUIRE(m->load_state(std::map<std::string, Tensor>(cm.tensors.begin(), cm.tensors.end())).ok());
    m->eval();
    return m;
  }();
  return *model;
}

// A non-square picture (so x/y mix-ups show) with some structure.
Image test_picture(int height = 45, int width = 70) {
  Image img(height, width);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      uint8_t* p = img.at(y, x);
      p[0] = static_cast<uint8_t>(3 * x + y);
      p[1] = static_cast<uint8_t>(5 * y);
      p[2] = static_cast<uint8_t>((x * y) % 251);
    }
  return img;
}

void check_same(const Tensor& a, const Tensor& b, const std::string& what) {
  CAPTURE(what);
  REQUIRE(a.shape() == b.shape());
  CHECK(a.to_vector() == b.to_vector());
}

}  // namespace

TEST_CASE("resolve_tasks takes kinds, exact names and 'all', in model order") {
  const ModelConfig& c = tiny_model().config;
  CHECK(resolve_tasks(c, {"expression"}) == std::vector<std::string>{"affect_affectnet", "affect_rafdb"});
  CHECK(resolve_tasks(c, {"landmarks", "age_morph2", "age"}) == std::vector<std::string>{"age_morph2", "align_300w"});
  CHECK(resolve_tasks(c, {"all"}).size() == c.tasks.size());
  CHECK_THROWS_WITH_AS(resolve_tasks(c, {"agee"}), doctest::Contains("unknown task 'agee'"), Error);
  CHECK_THROWS_WITH_AS(resolve_tasks(c, {"agee"}), doctest::Contains("parsing_celebam"), Error);
}

TEST_CASE("analyze: every task's output is its rule applied to the head output, in image coordinates") {
  const FaceptorModel& model = tiny_model();
  const Image img = test_picture();
  AnalyzeOptions opts;
  opts.parsing_probabilities = true;
  opts.keep_encoder_layers = true;
  Analysis a = analyze(model, img, opts);
  REQUIRE(a.tasks.size() == model.config.tasks.size());
  REQUIRE(a.passes.size() == 2);
  CHECK(a.passes[0].input_size == 64);
  CHECK(a.passes[1].input_size == 112);
  CHECK(a.frame_height == 45);
  CHECK(a.frame_width == 70);

  // Inputs are exactly the documented preprocessing, and heads what the model gives for them.
  check_same(a.passes[1].input, attribute_input(img), "112 input");
  const CropWarp crop = dense_crop_whole_image(45, 70, 64);
  check_same(a.passes[0].input, dense_input(img, crop), "dense input");
  NoGradGuard no_grad;
  PassResult small = model.run(attribute_input(img), {}, {.keep_encoder_layers = true});
  PassResult dense = model.run(dense_input(img, crop), {});
  for (const TaskAnalysis& t : a.tasks) {
    const PassResult& ref = t.spec->input_size == 112 ? small : dense;
    check_same(t.raw, ref.tasks.at(t.spec->name).raw, t.spec->name + " head");
  }
  // One shared encoder pass per size: the dumped feature maps are that pass's.
  check_same(a.passes[1].encoder.feature_map(2), small.encoder.feature_map(2), "encoder layer 2");
  // Without keep_encoder_layers only the layers the heads read are kept; the heads are unchanged.
  PassResult lean = model.run(attribute_input(img), {});
  const std::vector<int> read = model.encoder_layers_read();
  for (int l = 0; l < model.config.encoder.layers; ++l)
    CHECK(lean.encoder.tokens.at(l).defined() == std::binary_search(read.begin(), read.end(), l));
  for (const auto& [name, task] : lean.tasks) check_same(task.raw, small.tasks.at(name).raw, name + " head, lean pass");
  if (read.size() < static_cast<size_t>(model.config.encoder.layers)) {
    int missing = 0;
    while (std::binary_search(read.begin(), read.end(), missing)) ++missing;
    CHECK_THROWS_WITH_AS(lean.encoder.feature_map(missing), doctest::Contains("keep_encoder_layers"), Error);
  }

  const auto& rec = std::get<RecognitionOutput>(a.find("recog_ms1mv3")->output);
  CHECK(rec.embedding.size() == static_cast<size_t>(tiny_model().config.embedding_dim));
  double sq = 0;
  for (float v : rec.normalized) sq += v * v;
  CHECK(sq == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(rec.norm > 0);

  const auto& age = std::get<AgeOutput>(a.find("age_morph2")->output);
  AgeEstimate ref_age = age_from_logits(small.tasks.at("age_morph2").raw);
  CHECK(age.age == doctest::Approx(ref_age.age.item()));
  CHECK(age.distribution.size() == 101);
  CHECK(std::accumulate(age.distribution.begin(), age.distribution.end(), 0.0) == doctest::Approx(1.0).epsilon(1e-5));

  const auto& attr = std::get<AttributesOutput>(a.find("biattr_celeba")->output);
  CHECK(attr.names == celeba_attribute_names());
  CHECK(attr.probabilities == attribute_probabilities(small.tasks.at("biattr_celeba").raw).to_vector());

  const auto& expr = std::get<ExpressionOutput>(a.find("affect_rafdb")->output);
  CHECK(expr.names == expression_names());
  CHECK(std::accumulate(expr.probabilities.begin(), expr.probabilities.end(), 0.0) ==
        doctest::Approx(1.0).epsilon(1e-5));
  CHECK(expr.top_label == expr.names[expr.top]);
  CHECK(*std::max_element(expr.probabilities.begin(), expr.probabilities.end()) == expr.probabilities[expr.top]);

  const auto& parsing = std::get<ParsingOutput>(a.find("parsing_celebam")->output);
  CHECK(parsing.names == celebamask_hq_class_names());
  REQUIRE(parsing.labels.size() == size_t{45 * 70});
  Tensor crop_logits = parsing_logits_resized(dense.tasks.at("parsing_celebam").raw, 64, 64).select(0, 0);
  CHECK(parsing.labels == parsing_labels_in_image(crop_logits, crop, 45, 70));
  REQUIRE(parsing.probabilities.shape() == Shape({19, 45, 70}));
  std::vector<float> probs = parsing.probabilities.to_vector();
  for (int64_t pixel : {int64_t{0}, int64_t{1234}, int64_t{45 * 70 - 1}}) {
    double sum = 0;
    int best = 0;
    for (int k = 0; k < 19; ++k) {
      sum += probs[k * 45 * 70 + pixel];
      if (probs[k * 45 * 70 + pixel] > probs[best * 45 * 70 + pixel]) best = k;
    }
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(best == parsing.labels[pixel]);
  }

  // Whole-image crop: normalised n -> crop pixel n*64 - 0.5 -> image pixel n*W - 0.5.
  const auto& marks = std::get<LandmarksOutput>(a.find("align_300w")->output);
  std::vector<float> n = landmarks_from_heatmaps(dense.tasks.at("align_300w").raw).to_vector();
  REQUIRE(marks.points.size() == 68);
  for (size_t i = 0; i < marks.points.size(); ++i) {
    CHECK(marks.points[i].x == doctest::Approx(n[2 * i] * 70 - 0.5).epsilon(1e-6));
    CHECK(marks.points[i].y == doctest::Approx(n[2 * i + 1] * 45 - 0.5).epsilon(1e-6));
  }
}

TEST_CASE("analyze: only the requested tasks run, one pass per needed size") {
  AnalyzeOptions opts;
  opts.tasks = {"affect_affectnet"};
  Analysis a = analyze(tiny_model(), test_picture(), opts);
  CHECK(a.passes.size() == 1);
  REQUIRE(a.tasks.size() == 1);
  CHECK(a.tasks[0].spec->name == "affect_affectnet");
  AnalyzeOptions unknown;
  unknown.tasks = {"nope"};
  CHECK_THROWS_WITH_AS(analyze(tiny_model(), test_picture(), unknown), doctest::Contains("nope"), Error);
}

TEST_CASE("analyze: a box covering the whole picture is the same as no box") {
  const Image img = test_picture();
  AnalyzeOptions whole, boxed;
  whole.tasks = boxed.tasks = {"age_morph2", "align_300w"};
  boxed.region.box = Box{-0.5, -0.5, 69.5, 44.5};
  Analysis a = analyze(tiny_model(), img, whole), b = analyze(tiny_model(), img, boxed);
  for (size_t i = 0; i < a.tasks.size(); ++i) check_same(a.tasks[i].raw, b.tasks[i].raw, a.tasks[i].spec->name);

  // A box inside the picture: the 112 input is that region resized; landmarks stay in image pixels.
  boxed.region.box = Box{9.5, 4.5, 49.5, 39.5};
  Analysis c = analyze(tiny_model(), img, boxed);
  Image region(35, 40);
  for (int y = 0; y < 35; ++y)
    for (int x = 0; x < 40; ++x) std::copy_n(img.at(y + 5, x + 10), 3, region.at(y, x));
  check_same(c.passes[1].input, attribute_input(region), "box 112 input");
  const CropWarp crop = dense_crop_from_box(*boxed.region.box, 64);
  check_same(c.passes[0].input, dense_input(img, crop), "box dense input");
  for (const Point2& p : std::get<LandmarksOutput>(c.find("align_300w")->output).points) {
    CHECK(p.x > 9.5 - 1e-9);
    CHECK(p.x < 49.5 + 1e-9);
    CHECK(p.y > 4.5 - 1e-9);
    CHECK(p.y < 39.5 + 1e-9);
  }
  boxed.region.box = Box{10, 10, 5, 20};
  CHECK_THROWS_WITH_AS(analyze(tiny_model(), img, boxed), doctest::Contains("face box"), Error);
}

TEST_CASE("analyze: five points align the 112 input to the ArcFace template and the dense one to FaRL's") {
  const Image img = test_picture(80, 90);
  // Points that are an exact similarity of the ArcFace 112 template: scale 0.5, shift (20, 15).
  std::array<Point2, 5> points;
  const std::array<Point2, 5> arc = arcface_five_point_template(112);
  for (int i = 0; i < 5; ++i) points[i] = {0.5 * arc[i].x + 20, 0.5 * arc[i].y + 15};
  AnalyzeOptions opts;
  opts.tasks = {"age_morph2", "align_300w"};
  opts.region.points = points;
  Analysis a = analyze(tiny_model(), img, opts);
  for (int i = 0; i < 5; ++i) {
    Point2 q = a.passes[1].crop.matrix.apply(points[i]);
    CHECK(q.x == doctest::Approx(arc[i].x).epsilon(1e-6));
    CHECK(q.y == doctest::Approx(arc[i].y).epsilon(1e-6));
  }
  const CropWarp dense_crop = dense_crop_from_five_points(points, farl_five_point_template(64), 64);
  check_same(a.passes[0].input, dense_input(img, dense_crop), "five-point dense input");
}

TEST_CASE("analyze_input: a preprocessed tensor gives the same heads, coordinates in its own frame") {
  const FaceptorModel& model = tiny_model();
  AnalyzeOptions opts;
  Analysis a = analyze(model, test_picture(), opts);
  for (const AnalysisPass& pass : a.passes) {
    Analysis b = analyze_input(model, pass.input, opts);
    CHECK(b.frame_height == pass.input_size);
    for (const TaskAnalysis& t : b.tasks) check_same(t.raw, a.find(t.spec->name)->raw, t.spec->name);
    if (pass.input_size == 64) {
      const auto& marks = std::get<LandmarksOutput>(b.find("align_300w")->output);
      std::vector<float> n = landmarks_from_heatmaps(b.find("align_300w")->raw).to_vector();
      CHECK(marks.points[3].x == doctest::Approx(n[6] * 64 - 0.5));
      CHECK(std::get<ParsingOutput>(b.find("parsing_celebam")->output).labels.size() == 64 * 64);
    }
  }
  AnalyzeOptions bad;
  bad.tasks = {"age_morph2"};
  CHECK_THROWS_WITH_AS(analyze_input(model, a.passes[0].input, bad), doctest::Contains("takes 112x112"), Error);
  bad.tasks = {};
  bad.region.box = Box{0, 0, 10, 10};
  CHECK_THROWS_WITH_AS(analyze_input(model, a.passes[1].input, bad), doctest::Contains("preprocessed"), Error);
  CHECK_THROWS_WITH_AS(analyze_input(model, Tensor::zeros({2, 3, 112, 112}), {}), doctest::Contains("(1, 3, S, S)"),
                       Error);
}
