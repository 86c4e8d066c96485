// faceptor/image.h: decoding (PNG, BMP exactly, JPEG close to PIL), colour conversions, atomic
// PNG writing, tensor conversions.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "core/error.h"
#include "faceptor/image.h"
#include "tests/support/fixture.h"
#include "weights/atomic_file.h"
#include "weights/npy.h"

using namespace fc;
namespace fs = std::filesystem;

namespace {

std::string image_fixture(const std::string& name) { return test::fixture_path("image/" + name); }

// A (H, W, 3) or (H, W) uint8 array saved by NumPy -> Image (grey replicated).
Image image_from_npy(const std::string& name) {
  Tensor t = npy_load(image_fixture(name));
  Image img(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)));
  std::vector<float> v = t.to_vector();
  int c_in = t.ndim() == 3 ? static_cast<int>(t.size(2)) : 1;
  for (size_t i = 0; i < static_cast<size_t>(img.height) * img.width; ++i)
    for (int c = 0; c < 3; ++c) img.pixels[i * 3 + c] = static_cast<uint8_t>(v[i * c_in + (c_in == 1 ? 0 : c)]);
  return img;
}

}  // namespace

TEST_CASE("image: PNG and BMP decode to the exact pixels; grey and RGBA become RGB") {
  Image expected = image_from_npy("synthetic_47x61.npy");
  Image png = load_image(image_fixture("synthetic_47x61.png"));
  CHECK(png.height == 47);
  CHECK(png.width == 61);
  CHECK(png.pixels == expected.pixels);
  CHECK(load_image(image_fixture("synthetic_47x61.bmp")).pixels == expected.pixels);
  CHECK(load_image(image_fixture("rgba_47x61.png")).pixels == expected.pixels);  // alpha dropped

  Image grey = load_image(image_fixture("grey_47x61.png"));
  bool all_grey = true;
  for (int y = 0; y < grey.height; ++y)
    for (int x = 0; x < grey.width; ++x) all_grey &= grey.rgb(y, x) == Rgb{expected.at(y, x)[1], expected.at(y, x)[1], expected.at(y, x)[1]};
  CHECK(all_grey);
}

TEST_CASE("image: JPEG decodes close to PIL (the two decoders' IDCT and chroma upsampling differ)") {
  Image ours = load_image(image_fixture("synthetic_47x61.jpg"));
  Image pil = image_from_npy("synthetic_47x61_jpg_pil.npy");
  REQUIRE(ours.pixels.size() == pil.pixels.size());
  double total = 0;
  int worst = 0;
  for (size_t i = 0; i < ours.pixels.size(); ++i) {
    int d = std::abs(ours.pixels[i] - pil.pixels[i]);
    total += d;
    worst = std::max(worst, d);
  }
  double mean = total / static_cast<double>(ours.pixels.size());
  INFO("mean |stb - PIL| = ", mean, ", max = ", worst);
  CHECK(mean < 0.5);  // measured 0.08 (max 3) with Debian's stb and PIL 9.4
  CHECK(worst <= 8);
}

TEST_CASE("image: decode errors name the file and the reason") {
  CHECK_THROWS_WITH_AS(load_image("no/such/photo.jpg"), doctest::Contains("no/such/photo.jpg: cannot open"), Error);
  CHECK_THROWS_WITH_AS(decode_image("definitely not an image", "photo.jpg"),
                       doctest::Contains("photo.jpg: cannot decode image: "), Error);
  std::string png = read_file_bytes(image_fixture("synthetic_47x61.png"));
  CHECK_THROWS_WITH_AS(decode_image(png.substr(0, 100), "cut.png"), doctest::Contains("cut.png: cannot decode image"), Error);
}

TEST_CASE("image: save_png round-trips and never leaves a partial file") {
  fs::path dir = fs::temp_directory_path() / ("fc_test_image_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Image img(5, 7, {10, 200, 30});
  img.at(2, 3)[0] = 255;
  std::string path = (dir / "a.png").string();
  save_png(path, img);
  Image back = load_image(path);
  CHECK(back.height == 5);
  CHECK(back.width == 7);
  CHECK(back.pixels == img.pixels);
  CHECK_THROWS_WITH_AS(save_png((dir / "missing" / "b.png").string(), img), doctest::Contains("b.png"), Error);
  CHECK_THROWS_WITH_AS(save_png((dir / "c.png").string(), Image()), doctest::Contains("save_png: empty image"), Error);
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  fs::remove_all(dir);
}

TEST_CASE("image: tensor conversions are x / 255 and back with rounding") {
  Image img(1, 256);
  for (int x = 0; x < 256; ++x) img.at(0, x)[0] = img.at(0, x)[1] = img.at(0, x)[2] = static_cast<uint8_t>(x);
  Tensor t = image_to_tensor01(img);
  CHECK(t.shape() == Shape{3, 1, 256});
  bool exact = true;
  for (int x = 0; x < 256; ++x) exact &= t.at({1, 0, x}) == static_cast<float>(x) / 255.f;  // torchvision's ToTensor
  CHECK(exact);
  CHECK(image_from_tensor01(t).pixels == img.pixels);
  Tensor odd = Tensor::from_vector({-0.2f, 1.7f, NAN}, {3, 1, 1});
  CHECK(image_from_tensor01(odd).rgb(0, 0) == Rgb{0, 255, 0});
  CHECK_THROWS_WITH_AS(image_from_tensor01(Tensor::zeros({1, 2, 2})), doctest::Contains("expected (3, H, W)"), Error);
}
