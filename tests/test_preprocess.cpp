// faceptor/resize.h, warp.h, preprocess.h against PIL and cv2.remap fixtures
// (tests/reference/make_image_fixtures.py) and exact geometric identities.
#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "faceptor/preprocess.h"
#include "faceptor/resize.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"
#include "weights/npy.h"

using namespace fc;

namespace {

Tensor fixture(const std::string& name) { return npy_load(test::fixture_path("image/" + name)); }

Image image_from_hwc(const Tensor& t) {
  Image img(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)));
  std::vector<float> v = t.to_vector();
  for (size_t i = 0; i < v.size(); ++i) img.pixels[i] = static_cast<uint8_t>(v[i]);
  return img;
}

Image source() { return image_from_hwc(fixture("synthetic_47x61.npy")); }

// (H, W, C) as NumPy/OpenCV hold it -> (C, H, W).
Tensor chw(const Tensor& hwc) { return hwc.permute({2, 0, 1}).contiguous(); }

Affine2D affine_from_npy(const std::string& name) {
  std::vector<float> m = fixture(name).to_vector();  // 3x3 float32, last row (0, 0, 1)
  return {{m[0], m[1], m[2], m[3], m[4], m[5]}};
}

}  // namespace

TEST_CASE("resize_like_pil_bilinear: byte-for-byte PIL Image.resize(BILINEAR)") {
  Image src = source();
  for (auto [h, w] : std::vector<std::pair<int, int>>{{112, 112}, {15, 20}, {47, 30}, {80, 100}, {5, 7}, {30, 61}}) {
    Image expected = image_from_hwc(fixture("pil_bilinear_" + std::to_string(h) + "x" + std::to_string(w) + ".npy"));
    Image ours = resize_like_pil_bilinear(src, h, w);
    int differing = 0, worst = 0;
    for (size_t i = 0; i < ours.pixels.size(); ++i) {
      int d = std::abs(ours.pixels[i] - expected.pixels[i]);
      differing += d != 0;
      worst = std::max(worst, d);
    }
    INFO(h, "x", w, ": ", differing, " bytes differ, worst by ", worst);
    CHECK(differing == 0);
  }
  CHECK(resize_like_pil_bilinear(src, 47, 61).pixels == src.pixels);
  CHECK_THROWS_WITH_AS(resize_like_pil_bilinear(src, 0, 5), doctest::Contains("output size must be positive"), Error);
}

TEST_CASE("attribute_input: PIL resize, x / 255, (x - 0.5) / 0.5 like torchvision") {
  Tensor x = attribute_input(source());
  CHECK(x.shape() == Shape{1, 3, 112, 112});
  Tensor pil = chw(fixture("pil_bilinear_112x112.npy"));
  std::vector<float> expected = pil.to_vector();
  for (float& v : expected) v = (v / 255.f - 0.5f) / 0.5f;
  CHECK(x.to_vector() == expected);
}

TEST_CASE("warp_to_crop: matches cv2.remap on the official crop and on a rotation") {
  Tensor src01 = image_to_tensor01(source());
  CropWarp crop{affine_from_npy("warp_crop_matrix.npy"), 32, 32, 0.0};
  test::check_close(warp_to_crop(src01, crop), chw(fixture("warp_crop_out.npy")), {1e-6, 0}, "box crop vs cv2.remap");
  CropWarp rot{affine_from_npy("warp_rot_matrix.npy"), 36, 40, 0.0};
  test::check_close(warp_to_crop(src01, rot), chw(fixture("warp_rot_out.npy")), {1e-6, 0}, "rotation vs cv2.remap");
}

TEST_CASE("warp_to_crop: the tanh warp samples where the official map says") {
  CropWarp crop{affine_from_npy("warp_rot_matrix.npy"), 36, 40, 0.8};
  Tensor map = fixture("warp_tanh_map.npy");  // (36, 40, 2): x, y per crop pixel
  double worst = 0;
  for (int y = 0; y < 36; ++y)
    for (int x = 0; x < 40; ++x) {
      Point2 p = crop.crop_to_image({static_cast<double>(x), static_cast<double>(y)});
      worst = std::max({worst, std::fabs(p.x - map.at({y, x, 0})), std::fabs(p.y - map.at({y, x, 1}))});
    }
  INFO("max position difference ", worst, " px");
  CHECK(worst < 2e-3);  // the official map is float32 arctanh; ours is double
  // Our map is double arctanh rounded to float32, the official one float32 throughout: positions
  // differ by < 2e-4 px, below the 1/32 px quantisation on these fixtures (measured max 1.2e-7).
  test::check_close(warp_to_crop(image_to_tensor01(source()), crop), chw(fixture("warp_tanh_out.npy")), {1e-5, 0},
                    "tanh warp vs cv2.remap");
  // The forward and inverse warps are inverses.
  Point2 a{30.25, 3.5};
  Point2 b = crop.image_to_crop(crop.crop_to_image(a));
  CHECK(b.x == doctest::Approx(a.x).epsilon(1e-9));
  CHECK(b.y == doctest::Approx(a.y).epsilon(1e-9));
}

TEST_CASE("warp_from_crop: parsing logits back to the image match cv2.remap, then argmax") {
  CropWarp crop{affine_from_npy("unwarp_matrix.npy"), 32, 32, 0.0};
  Tensor logits = chw(fixture("unwarp_logits_in.npy"));  // (5, 32, 32)
  Tensor back = warp_from_crop(logits, crop, 24, 30);
  test::check_close(back, chw(fixture("unwarp_logits_out.npy")), {1e-6, 0}, "logits back vs cv2.remap");
  std::vector<float> expected_labels = fixture("unwarp_labels.npy").to_vector();
  std::vector<int32_t> labels = parsing_labels_in_image(logits, crop, 24, 30);
  REQUIRE(labels.size() == expected_labels.size());
  int differing = 0;
  for (size_t i = 0; i < labels.size(); ++i) differing += labels[i] != static_cast<int32_t>(expected_labels[i]);
  CHECK(differing == 0);
  CHECK_THROWS_WITH_AS(warp_from_crop(Tensor::zeros({5, 16, 16}), crop, 24, 30), doctest::Contains("expected maps (C, 32, 32)"),
                       Error);
}

TEST_CASE("dense_input: the whole image as the crop; identity geometry gives pure normalisation") {
  Image src = source();
  CropWarp same{Affine2D{}, 47, 61, 0.0};  // identity, crop as large as the image
  Tensor x = dense_input(src, same);
  CHECK(x.shape() == Shape{1, 3, 47, 61});
  Tensor t = image_to_tensor01(src);
  bool exact = true;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 47; y += 5)
      for (int xx = 0; xx < 61; xx += 3)
        exact &= x.at({0, c, y, xx}) == (t.at({c, y, xx}) - kFarlMean[c]) / kFarlStd[c];
  CHECK(exact);

  // 2x shrink of the whole image samples between pixel pairs: the mean of each 2x2 block.
  Image big(4, 6);
  for (size_t i = 0; i < big.pixels.size(); ++i) big.pixels[i] = static_cast<uint8_t>(i * 7 % 251);
  CropWarp half{Affine2D{{0.5, 0, -0.25, 0, 0.5, -0.25}}, 2, 3, 0.0};  // x -> (x + 0.5) / 2 - 0.5
  Tensor w = warp_to_crop(image_to_tensor01(big), half);
  Tensor b = image_to_tensor01(big);
  CHECK(w.at({1, 1, 2}) == doctest::Approx((b.at({1, 2, 4}) + b.at({1, 2, 5}) + b.at({1, 3, 4}) + b.at({1, 3, 5})) / 4));
}

TEST_CASE("crop_from_box: boundary coordinates map the box onto the crop, scaled about its centre") {
  Affine2D m = crop_from_box({10, 20, 110, 220}, 512);
  Point2 tl = m.apply({10, 20}), br = m.apply({110, 220});
  CHECK(tl.x == doctest::Approx(-0.5));
  CHECK(tl.y == doctest::Approx(-0.5));
  CHECK(br.x == doctest::Approx(511.5));
  CHECK(br.y == doctest::Approx(511.5));
  Affine2D s = crop_from_box({10, 20, 110, 220}, 512, 0.8);
  Point2 centre = s.apply({60, 120});  // the box centre stays at the crop centre
  CHECK(centre.x == doctest::Approx(255.5));
  CHECK(centre.y == doctest::Approx(255.5));
  CHECK(s.apply({110, 120}).x - centre.x == doctest::Approx(0.8 * 256));
  CropWarp whole = dense_crop_whole_image(300, 200);
  Point2 corner = whole.image_to_crop({-0.5, 299.5});
  CHECK(corner.x == doctest::Approx(-0.5));
  CHECK(corner.y == doctest::Approx(511.5));
  CHECK_THROWS_WITH_AS(crop_from_box({5, 5, 5, 10}, 512), doctest::Contains("crop_from_box"), Error);
}

TEST_CASE("similarity_from_points: recovers a known similarity; degenerate input is refused") {
  // rotation 25 degrees, scale 1.7, translation (12, -4)
  double c = 1.7 * std::cos(0.4363323129985824), s = 1.7 * std::sin(0.4363323129985824);
  Affine2D truth{{c, -s, 12, s, c, -4}};
  std::array<Point2, 5> src = arcface_five_point_template(112), dst;
  for (int i = 0; i < 5; ++i) dst[i] = truth.apply(src[i]);
  Affine2D found = similarity_from_points(src, dst);
  for (int i = 0; i < 6; ++i) CHECK(found.m[i] == doctest::Approx(truth.m[i]).epsilon(1e-12));

  // Least squares: noise on the targets gives the best fit, still a similarity (no shear).
  dst[2].x += 0.5;
  Affine2D fit = similarity_from_points(src, dst);
  CHECK(fit.m[0] == doctest::Approx(fit.m[4]));
  CHECK(fit.m[1] == doctest::Approx(-fit.m[3]));

  std::array<Point2, 3> same{{{5, 5}, {5, 5}, {5, 5}}};
  CHECK_THROWS_WITH_AS(similarity_from_points(same, same), doctest::Contains("source points coincide"), Error);
  CHECK_THROWS_WITH_AS(similarity_from_points(std::span(src).first(4), dst), doctest::Contains("4 source and 5 target"),
                       Error);
  std::array<Point2, 2> bad{{{0, 0}, {NAN, 1}}};
  CHECK_THROWS_WITH_AS(similarity_from_points(bad, bad), doctest::Contains("finite"), Error);
  CHECK_THROWS_WITH_AS(dense_crop_from_five_points(std::span(src).first(3), farl_five_point_template()),
                       doctest::Contains("expected 5 points"), Error);
}

TEST_CASE("five-point templates and alignment round trip") {
  auto arc = arcface_five_point_template(112);
  CHECK(arc[0].x == doctest::Approx(38.2946));
  CHECK(arc[4].y == doctest::Approx(92.2041));
  auto arc512 = arcface_five_point_template(512);
  CHECK(arc512[2].x == doctest::Approx((56.0252 + 0.5) * 512 / 112 - 0.5));
  auto farl = farl_five_point_template(512);
  CHECK(farl[0].x == doctest::Approx(196.0 / 256 * 511 / 2));
  CHECK(farl[3].y == doctest::Approx(360.4 / 256 * 511 / 2));

  // Points already on the template align with the identity; crop points map back to them.
  std::array<Point2, 5> face;
  for (int i = 0; i < 5; ++i) face[i] = {farl[i].x * 0.5 + 40, farl[i].y * 0.5 + 17};
  CropWarp crop = dense_crop_from_five_points(face, farl);
  std::vector<Point2> back = points_in_image(farl, crop);
  for (int i = 0; i < 5; ++i) {
    CHECK(back[i].x == doctest::Approx(face[i].x));
    CHECK(back[i].y == doctest::Approx(face[i].y));
  }
}

TEST_CASE("argmax_channels: first maximum wins like numpy.argmax") {
  Tensor m = Tensor::from_vector({1, 5, 0, 3, 5, -1}, {3, 1, 2});  // pixel 0: 1,0,5 ; pixel 1: 5,3,-1
  CHECK(argmax_channels(m) == std::vector<int32_t>{2, 0});
  Tensor tie = Tensor::from_vector({2, 2}, {2, 1, 1});
  CHECK(argmax_channels(tie) == std::vector<int32_t>{0});
}
