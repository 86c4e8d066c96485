// faceptor/data augmentations: labels move with the pixels (a landmark on a marked pixel stays
// on the warped mark), flips are involutions that swap left and right, masks keep label values.
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "core/error.h"
#include "faceptor/data/augment.h"
#include "faceptor/data/flip_tables.h"
#include "faceptor/data/transforms.h"
#include "faceptor/preprocess.h"
#include "faceptor/tasks.h"

using namespace fc;
using namespace fc::faceptor::data;

namespace {

// A dark image with one bright 3x3 square centred at (cx, cy), landmarks on it, and a parsing
// map with class `label` on the square.
Sample marked_sample(int h, int w, int cx, int cy, uint8_t label) {
  Sample s;
  s.name = "marked";
  s.image = Tensor::zeros({3, h, w});
  s.parsing = LabelMap(h, w, 0);
  float* p = s.image.mutable_data();
  for (int y = cy - 1; y <= cy + 1; ++y)
    for (int x = cx - 1; x <= cx + 1; ++x) {
      for (int c = 0; c < 3; ++c) p[(c * h + y) * w + x] = 1.f;
      s.parsing.at(y, x) = label;
    }
  s.landmarks = std::vector<Point2>(68, Point2{static_cast<double>(cx), static_cast<double>(cy)});
  return s;
}

// Intensity-weighted centre of the image's first channel.
Point2 bright_centre(const Tensor& image) {
  Tensor t = image.contiguous();
  int64_t h = t.size(1), w = t.size(2);
  double sx = 0, sy = 0, sum = 0;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      double v = t.data()[y * w + x];
      sx += v * x, sy += v * y, sum += v;
    }
  REQUIRE(sum > 0);
  return {sx / sum, sy / sum};
}

}  // namespace

TEST_CASE("data augment: flip permutations are involutions and map left to right") {
  for (int n : {68, 98, 29, 19, 106}) {
    std::vector<int> perm = landmark_flip_permutation(n);
    REQUIRE(static_cast<int>(perm.size()) == n);
    std::set<int> seen(perm.begin(), perm.end());
    CHECK(static_cast<int>(seen.size()) == n);
    for (int i = 0; i < n; ++i) CHECK(perm[perm[i]] == i);
  }
  std::vector<int> p68 = landmark_flip_permutation(68);
  CHECK(p68[0] == 16);   // jaw ends
  CHECK(p68[8] == 8);    // chin
  CHECK(p68[17] == 26);  // brow outer ends
  CHECK(p68[30] == 30);  // nose tip
  CHECK(p68[36] == 45);  // eye outer corners: left eye <-> right eye
  CHECK(p68[39] == 42);  // inner corners
  CHECK(p68[37] == 44);
  CHECK(p68[41] == 46);
  CHECK(p68[48] == 54);  // mouth corners
  CHECK(p68[51] == 51);
  CHECK(p68[60] == 64);
  CHECK(p68[65] == 67);
  std::vector<int> p98 = landmark_flip_permutation(98);
  CHECK(p98[96] == 97);  // pupils
  CHECK(p98[60] == 72);
  CHECK(p98[76] == 82);
  std::vector<int> p106 = landmark_flip_permutation(106);
  CHECK(p106[104] == 105);
  CHECK(p106[84] == 90);  // the mouth corners FaRL aligns with
  CHECK(p106[54] == 54);  // nose tip
  CHECK(landmark_flip_permutation(29)[16] == 17);
  CHECK(landmark_flip_permutation(19)[0] == 5);
  CHECK_THROWS_WITH_AS(landmark_flip_permutation(5), doctest::Contains("no flip permutation for 5 points"), Error);
}

TEST_CASE("data augment: parsing flip swaps left and right classes") {
  const auto& names = faceptor::celebamask_hq_class_names();
  std::vector<uint8_t> t = parsing_flip_classes(ParsingScheme::celebamask_hq);
  auto at = [&](const char* n) { return static_cast<size_t>(std::find(names.begin(), names.end(), n) - names.begin()); };
  CHECK(names[t[at("l_eye")]] == "r_eye");
  CHECK(names[t[at("r_brow")]] == "l_brow");
  CHECK(names[t[at("l_ear")]] == "r_ear");
  CHECK(names[t[at("nose")]] == "nose");
  std::vector<uint8_t> lapa = parsing_flip_classes(ParsingScheme::lapa);
  CHECK(lapa[2] == 3);
  CHECK(lapa[5] == 4);
  CHECK(lapa[10] == 10);
}

TEST_CASE("data augment: flipping twice is the identity, once mirrors everything") {
  Sample s = marked_sample(12, 16, 3, 5, 8);  // class 8 = l_eye
  s.landmarks[36] = {1.0, 2.0};
  s.has_box = true;
  s.box = {-0.5, 1.0, 6.5, 9.0};
  std::vector<uint8_t> classes = parsing_flip_classes(ParsingScheme::celebamask_hq);
  Sample once = s;
  flip_horizontal(once, classes);
  CHECK(once.parsing.at(5, 12) == 9);  // r_eye, at x = 15 - 3
  CHECK(once.image.contiguous().data()[5 * 16 + 12] == 1.f);
  CHECK(once.landmarks[45].x == doctest::Approx(14.0));  // point 36 became point 45
  CHECK(once.box.x1 == doctest::Approx(8.5));
  CHECK(once.box.x2 == doctest::Approx(15.5));
  Sample twice = once;
  flip_horizontal(twice, classes);
  CHECK(twice.parsing.labels == s.parsing.labels);
  CHECK(twice.image.to_vector() == s.image.to_vector());
  for (size_t i = 0; i < s.landmarks.size(); ++i) CHECK(twice.landmarks[i].x == s.landmarks[i].x);
  Sample no_table = s;
  CHECK_THROWS_WITH_AS(flip_horizontal(no_table), doctest::Contains("needs its class swap table"), Error);
}

TEST_CASE("data augment: random affine moves image, landmarks and mask together") {
  Rng rng(11);
  for (int trial = 0; trial < 6; ++trial) {
    Sample s = marked_sample(64, 64, 24 + trial * 3, 30, 5);
    CropWarp crop{dense_crop_whole_image(64, 64, 64).matrix.then(random_affine(landmark_affine_jitter(), 64, 64, rng)), 64, 64,
                  trial % 2 ? 0.8 : 0.0};
    Sample out = warp_sample(s, crop);
    Point2 mark = bright_centre(out.image);
    CHECK(std::abs(out.landmarks[0].x - mark.x) < 0.6);
    CHECK(std::abs(out.landmarks[0].y - mark.y) < 0.6);
    int lx = static_cast<int>(std::lround(out.landmarks[0].x)), ly = static_cast<int>(std::lround(out.landmarks[0].y));
    CHECK(out.parsing.at(ly, lx) == 5);
    for (uint8_t v : out.parsing.labels) CHECK((v == 0 || v == 5));
  }
}

TEST_CASE("data augment: photometric operations") {
  Rng rng(3);
  Tensor img = Tensor::rand({3, 9, 7}, rng);
  Tensor grey = to_grey(img);
  std::vector<float> g = grey.to_vector();
  CHECK(g[0] == g[63]);
  CHECK(g[5] == g[63 + 5]);
  std::vector<float> sq = apply_gamma(img, 2.0).to_vector(), v = img.to_vector();
  CHECK(sq[4] == doctest::Approx(v[4] * v[4]));
  Tensor flat = Tensor::full({3, 6, 6}, 0.25f);
  for (float x : box_blur(flat, 3).to_vector()) CHECK(x == doctest::Approx(0.25f));
  for (float x : gaussian_blur(flat, 1.2).to_vector()) CHECK(x == doctest::Approx(0.25f));
  Tensor impulse = Tensor::zeros({3, 11, 11});  // sigma 1: radius 3, clear of the borders
  impulse.mutable_data()[5 * 11 + 5] = 1.f;
  std::vector<float> blurred = gaussian_blur(impulse, 1.0).to_vector();
  double total = 0;
  for (int i = 0; i < 121; ++i) total += blurred[i];
  CHECK(total == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(blurred[5 * 11 + 4] == doctest::Approx(blurred[5 * 11 + 6]));
  CHECK(blurred[5 * 11 + 4] / blurred[5 * 11 + 5] == doctest::Approx(std::exp(-0.5)));
  CHECK(adjust_brightness(flat, 2.0).to_vector()[0] == doctest::Approx(0.5f));
  // torchvision's grey weights sum to 0.9999, so a flat image moves by 2.5e-5 only.
  CHECK(adjust_contrast(flat, 3.0).to_vector()[0] == doctest::Approx(0.25f).epsilon(1e-3));
  std::vector<float> desaturated = adjust_saturation(grey, 0.3).to_vector();
  for (size_t i = 0; i < g.size(); ++i) CHECK(desaturated[i] == doctest::Approx(g[i]).epsilon(1e-3));
  Tensor jittered = color_jitter(img, ColorJitter{}, rng);
  for (float x : jittered.to_vector()) CHECK((x >= 0.f && x <= 1.f));
  Rng a(5), b(5);
  CHECK(color_jitter(img, ColorJitter{}, a).to_vector() == color_jitter(img, ColorJitter{}, b).to_vector());
  CHECK_THROWS_WITH_AS(apply_gamma(img, -1.0), doctest::Contains("apply_gamma: gamma must be positive"), Error);
}

TEST_CASE("data augment: dense train transforms keep labels consistent") {
  Rng rng(21);
  Sample s = marked_sample(40, 40, 20, 18, 2);
  s.has_box = true;
  s.box = {4.5, 2.5, 35.5, 33.5};
  for (DenseRecipe recipe : {DenseRecipe::celebamask_hq, DenseRecipe::landmarks}) {
    Sample out = dense_train_transform({recipe, 64, 1.0})(s, rng);
    CHECK(out.image.shape() == Shape{3, 64, 64});
    CHECK(out.parsing.height == 64);
    int lx = static_cast<int>(std::lround(out.landmarks[0].x)), ly = static_cast<int>(std::lround(out.landmarks[0].y));
    CHECK(out.parsing.at(ly, lx) == 2);  // skin under the point, flip and warp included
  }
  Sample small = dense_test_transform(DenseRecipe::celebamask_hq, 20)(s, rng);
  CHECK(small.landmarks[0].x == doctest::Approx(9.75));  // (20 + 0.5) / 2 - 0.5
}
