// faceptor/synth: deterministic synthetic faces whose labels agree with the pixels, written in the
// public datasets' formats.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "faceptor/synth/dataset_writer.h"
#include "faceptor/synth/labels.h"
#include "faceptor/tasks.h"
#include "tests/support/temp_dir.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::faceptor::synth;

namespace {

constexpr int kSize = 96;

FaceSpec spec(uint64_t seed) {
  Rng rng(seed);
  return sample_face_spec(sample_identity(seed * 31 + 1), static_cast<int>(seed), rng);
}

int label_at(const SynthSample& s, Point2 p) {
  int x = static_cast<int>(std::lround(p.x)), y = static_cast<int>(std::lround(p.y));
  return s.parsing[static_cast<size_t>(y) * s.image.width + x];
}

// Thin features (a 1-pixel brow at 96 px) may miss the pixel nearest a landmark: look at its 3x3.
bool label_near(const SynthSample& s, Point2 p, int label) {
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx)
      if (label_at(s, {p.x + dx, p.y + dy}) == label) return true;
  return false;
}

int count_label(const SynthSample& s, int label) {
  return static_cast<int>(std::count(s.parsing.begin(), s.parsing.end(), label));
}

Point2 mean(const Landmarks& p, int first, int n) {
  Point2 m{0, 0};
  for (int i = first; i < first + n; ++i) m = {m.x + p[i].x / n, m.y + p[i].y / n};
  return m;
}

}  // namespace

TEST_CASE("synth: the parsing classes match the CelebAMask-HQ names in tasks.h") {
  CHECK(celebamask_hq_class_names().size() == kParsingClassCount);
  CHECK(celebamask_hq_class_names()[kLeftEye] == "l_eye");
  CHECK(celebamask_hq_class_names()[kEyeglasses] == "eye_g");
  CHECK(celebamask_hq_class_names()[kNecklace] == "neck_l");
  CHECK(rafdb_label(0) == 7);  // neutral
  CHECK(rafdb_label(1) == 4);  // happiness
  CHECK(rafdb_label(3) == 1);  // surprise
  CHECK_THROWS_WITH_AS(rafdb_label(7), doctest::Contains("synth::rafdb_label"), fc::Error);
}

TEST_CASE("synth: same seed gives identical bytes, another seed a different face") {
  SynthOptions o;
  o.image_size = 64;
  o.seed = 9;
  SynthSample a = generate_sample(o, 5), b = generate_sample(o, 5);
  CHECK(encode_png(a.image) == encode_png(b.image));
  CHECK(a.parsing == b.parsing);
  for (int i = 0; i < 68; ++i) CHECK(a.landmarks[i].x == b.landmarks[i].x);
  CHECK(a.attributes == b.attributes);
  o.seed = 10;
  CHECK(generate_sample(o, 5).image.pixels != a.image.pixels);
  // Consecutive samples share an identity: the same face-shape vector, another picture.
  o.seed = 9;
  SynthSample c = generate_sample(o, 4);
  CHECK(c.identity == a.identity);
  CHECK(c.male == a.male);
  CHECK(c.image.pixels != a.image.pixels);
}

TEST_CASE("synth: labels agree with the pixels") {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    FaceSpec face = spec(seed);
    SynthSample s = render_face(face, kSize);
    CAPTURE(seed);
    for (Point2 q : s.landmarks) {
      CHECK(q.x >= 0);
      CHECK(q.y >= 0);
      CHECK(q.x <= kSize - 1);
      CHECK(q.y <= kSize - 1);
    }
    for (uint8_t l : s.parsing) REQUIRE(l < kParsingClassCount);
    if (!face.sunglasses) {
      CHECK(label_at(s, mean(s.landmarks, 36, 6)) == kLeftEye);
      CHECK(label_at(s, mean(s.landmarks, 42, 6)) == kRightEye);
    }
    CHECK(label_at(s, s.landmarks[30]) == kNose);
    CHECK(label_at(s, s.landmarks[8]) != kBackground);
    int mouth = label_at(s, mean(s.landmarks, 60, 8));
    CHECK((mouth == kMouth || mouth == kUpperLip || mouth == kLowerLip));
    if (face.hat == Hat::none) {
      CHECK(label_near(s, s.landmarks[19], kLeftBrow));
      CHECK(label_near(s, s.landmarks[24], kRightBrow));
    }
    CHECK(count_label(s, kSkin) > kSize * kSize / 20);
    CHECK(s.attributes[15] == (face.eyeglasses ? 1 : -1));
    CHECK(s.age == face.age);
  }
}

TEST_CASE("synth: expressions move the mouth and brows the expected way") {
  FaceSpec face = spec(3);
  face.expression_intensity = 1.0;
  face.mouth_slightly_open = false;
  auto corners_above_centre = [&](int expression) {
    face.expression = expression;
    Landmarks p = canonical_landmarks(face);
    return (p[51].y + p[57].y) / 2 - (p[48].y + p[54].y) / 2;  // y grows downward
  };
  double neutral = corners_above_centre(0);
  CHECK(corners_above_centre(1) > neutral + 0.05);  // happy: corners up
  CHECK(corners_above_centre(2) < neutral - 0.03);  // sad: corners down
  face.expression = 0;
  Landmarks n = canonical_landmarks(face);
  face.expression = 3;
  Landmarks surprise = canonical_landmarks(face);
  CHECK(n[66].y - n[62].y < 1e-9);                          // closed
  CHECK(surprise[66].y - surprise[62].y > 0.15);            // jaw drop
  CHECK(surprise[19].y < n[19].y - 0.05);                   // brows up
  CHECK(surprise[41].y - surprise[37].y > n[41].y - n[37].y);  // eyes wider
  face.expression = 6;
  CHECK(canonical_landmarks(face)[21].y > n[21].y + 0.03);  // anger: inner brow down
  // The rendered landmarks follow (same pose), and the open mouth shows as "mouth" pixels.
  face.expression = 3;
  SynthSample open = render_face(face, kSize);
  face.expression = 0;
  SynthSample closed = render_face(face, kSize);
  CHECK(count_label(open, kMouth) > 10);
  CHECK(count_label(closed, kMouth) == 0);
  CHECK(open.attributes[21] == 1);   // Mouth_Slightly_Open
  CHECK(closed.attributes[21] == -1);
}

TEST_CASE("synth: drawn accessories appear in the parsing map and the attributes") {
  FaceSpec face = spec(5);
  face.eyeglasses = face.sunglasses = face.earrings = face.necklace = false;
  face.hat = Hat::none;
  SynthSample plain = render_face(face, kSize);
  CHECK(count_label(plain, kEyeglasses) == 0);
  CHECK(count_label(plain, kHat) == 0);
  CHECK(count_label(plain, kEarring) == 0);
  CHECK(count_label(plain, kNecklace) == 0);
  face.eyeglasses = face.earrings = face.necklace = true;
  face.hat = Hat::cap;
  face.yaw = 0;
  SynthSample dressed = render_face(face, kSize);
  CHECK(count_label(dressed, kEyeglasses) > 20);
  CHECK(count_label(dressed, kHat) > 100);
  CHECK(count_label(dressed, kEarring) > 0);
  CHECK(count_label(dressed, kNecklace) > 0);
  CHECK(label_at(dressed, mean(dressed.landmarks, 36, 6)) == kLeftEye);  // eyes win over eye_g
  const std::vector<std::string>& names = celeba_attribute_names();
  auto attr = [&](const SynthSample& s, const char* name) {
    return s.attributes[std::find(names.begin(), names.end(), name) - names.begin()];
  };
  CHECK(attr(dressed, "Eyeglasses") == 1);
  CHECK(attr(dressed, "Wearing_Hat") == 1);
  CHECK(attr(dressed, "Wearing_Earrings") == 1);
  CHECK(attr(plain, "Wearing_Hat") == -1);
  CHECK(attr(plain, "Attractive") == 0);  // not controlled
  face.id.hair_style = HairStyle::bald;
  face.sideburns = false;
  face.hat = Hat::none;
  SynthSample bald = render_face(face, kSize);
  CHECK(count_label(bald, kHair) == 0);
  CHECK(attr(bald, "Bald") == 1);
  CHECK_THROWS_WITH_AS(render_face(face, 16), doctest::Contains("synth::render_face"), fc::Error);
}

TEST_CASE("synth: the dataset files parse back in the public formats") {
  test::TempDir dir;
  SynthOptions o;
  o.out_dir = dir.path("data");
  o.count = 6;
  o.seed = 2;
  o.image_size = 48;
  o.images_per_identity = 2;
  SynthSummary summary = write_synthetic_dataset(o);
  CHECK(summary.identities == 3);
  CHECK(summary.matched_pairs == 3);
  CHECK(summary.mismatched_pairs == 3);
  std::string root = o.out_dir + "/";
  nlohmann::json manifest = nlohmann::json::parse(test::read_file(root + "manifest.json"));
  CHECK(manifest["count"] == 6);
  CHECK(manifest["uncontrolled_attributes"].size() == 5);

  std::istringstream attr(test::read_file(root + "celeba/list_attr_celeba.txt"));
  std::string line;
  std::getline(attr, line);
  CHECK(line == "6");
  std::getline(attr, line);
  std::istringstream header(line);
  std::vector<std::string> names{std::istream_iterator<std::string>(header), {}};
  CHECK(names == celeba_attribute_names());
  std::istringstream jsonl(test::read_file(root + "annotations.jsonl"));
  for (int i = 0; i < 6; ++i) {
    CAPTURE(i);
    REQUIRE(std::getline(attr, line));
    std::istringstream row(line);
    std::string file;
    row >> file;
    CHECK(file == "00000" + std::to_string(i + 1) + ".png");
    std::vector<int> values{std::istream_iterator<int>(row), {}};
    REQUIRE(values.size() == 40);
    SynthSample s = generate_sample(o, i);
    CHECK(std::equal(values.begin(), values.end(), s.attributes.begin()));

    std::getline(jsonl, line);
    nlohmann::json j = nlohmann::json::parse(line);
    CHECK(j["age"] == s.age);
    CHECK(j["expression"] == s.expression);

    Image image = load_image(root + "celeba/img_align_celeba/" + file);
    CHECK(image.pixels == s.image.pixels);
    Image labels = load_image(root + "celebamask_hq/CelebAMask-HQ-label/" + std::to_string(i) + ".png");
    for (size_t k = 0; k < s.parsing.size(); ++k) REQUIRE(labels.pixels[k * 3] == s.parsing[k]);
    Image skin = load_image(root + "celebamask_hq/CelebAMask-HQ-mask-anno/0/0000" + std::to_string(i) + "_skin.png");
    for (size_t k = 0; k < s.parsing.size(); ++k) REQUIRE((skin.pixels[k * 3] == 255) == (s.parsing[k] == kSkin));

    std::istringstream pts(test::read_file(root + "300w/train/synth_00000" + std::to_string(i + 1) + ".pts"));
    std::getline(pts, line);
    CHECK(line == "version: 1");
    std::getline(pts, line);
    CHECK(line == "n_points:  68");
    std::getline(pts, line);
    CHECK(line == "{");
    for (int k = 0; k < 68; ++k) {
      double x = 0, y = 0;
      pts >> x >> y;
      CHECK(x - 1 == doctest::Approx(s.landmarks[k].x).epsilon(1e-3));
      CHECK(y - 1 == doctest::Approx(s.landmarks[k].y).epsilon(1e-3));
    }
    std::string utk = j["utkface_file"];
    CHECK(std::stoi(utk.substr(0, utk.find('_'))) == s.age);
    CHECK(std::filesystem::exists(root + "utkface/" + utk));
    CHECK(std::filesystem::exists(root + "lfw/synth_0000" + std::to_string(i / 2) + "/synth_0000" +
                                  std::to_string(i / 2) + "_000" + std::to_string(i % 2 + 1) + ".png"));
  }
  std::istringstream raf(test::read_file(root + "rafdb/basic/EmoLabel/list_patition_label.txt"));
  for (int i = 0; i < 6; ++i) {
    std::string name;
    int label = 0;
    raf >> name >> label;
    CHECK(name == "train_0000" + std::to_string(i + 1) + ".png");
    CHECK(label == rafdb_label(generate_sample(o, i).expression));
    CHECK(std::filesystem::exists(root + "rafdb/basic/Image/aligned/train_0000" + std::to_string(i + 1) + "_aligned.png"));
  }
  std::istringstream pairs(test::read_file(root + "lfw/pairs.txt"));
  std::getline(pairs, line);
  CHECK(line == "1\t3");
  int lines = 0;
  while (std::getline(pairs, line)) ++lines;
  CHECK(lines == 6);
}

TEST_CASE("synth: the command-line entry point") {
  test::TempDir dir;
  std::string out = dir.path("cli");
  const char* ok[] = {"synth", "--out", out.c_str(), "--count", "2", "--size", "40", "--seed", "4"};
  CHECK(run_synth_command(9, ok) == 0);
  CHECK(std::filesystem::exists(out + "/manifest.json"));
  const char* no_out[] = {"synth", "--count", "2"};
  CHECK(run_synth_command(3, no_out) == 2);
  const char* bad[] = {"synth", "--out", out.c_str(), "--count", "many"};
  CHECK(run_synth_command(5, bad) == 2);
  const char* unknown[] = {"synth", "--colour", "red"};
  CHECK(run_synth_command(3, unknown) == 2);
}
