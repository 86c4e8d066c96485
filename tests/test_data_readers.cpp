// faceptor/data readers: each public dataset layout on its tiny committed fixture
// (tests/fixtures/datasets, written by tests/reference/make_dataset_fixtures.py), and the
// errors malformed annotation files give.
#include <doctest/doctest.h>

#include <filesystem>

#include "core/error.h"
#include "faceptor/data/readers_dense.h"
#include "faceptor/data/readers_labels.h"
#include "faceptor/tasks.h"
#include "tests/support/fixture.h"
#include "tests/support/temp_dir.h"

using namespace fc;
using namespace fc::faceptor::data;
namespace fs = std::filesystem;

namespace {

std::string dataset_dir(const std::string& name) { return test::fixture_path("datasets/" + name); }

// Mean of one channel: the fixture images are flat colours, JPEG keeps them within a few levels.
float channel_mean(const Tensor& image, int c) {
  Tensor t = image.contiguous();
  int64_t plane = t.size(1) * t.size(2);
  double sum = 0;
  for (int64_t i = 0; i < plane; ++i) sum += t.data()[c * plane + i];
  return static_cast<float>(sum / plane * 255.0);
}

Sample get(const Dataset& d, size_t i) {
  Rng rng(0);
  return d.get(i, rng);
}

// Copies a fixture dataset into a temp dir so a test can break one file.
std::string copy_fixture(const test::TempDir& dir, const std::string& name) {
  fs::copy(dataset_dir(name), dir.path(name), fs::copy_options::recursive);
  return dir.path(name);
}

}  // namespace

TEST_CASE("data readers: CelebA attribute list and partition") {
  CelebaAttributes train(dataset_dir("celeba"), "train");
  REQUIRE(train.size() == 2);
  Sample s = get(train, 1);
  CHECK(s.name == "000002.jpg");
  REQUIRE(s.attributes.size() == 40);
  CHECK(s.attributes[1] == 1);
  CHECK(s.attributes[0] == 0);
  CHECK(s.attributes[39] == 1);
  CHECK(s.image.shape() == Shape{3, 6, 5});
  CHECK(channel_mean(s.image, 1) == doctest::Approx(200).epsilon(0.03));
  CHECK(CelebaAttributes(dataset_dir("celeba"), "test").size() == 1);
  CHECK(CelebaAttributes(dataset_dir("celeba"), "all").size() == 3);
  CHECK_THROWS_WITH_AS(CelebaAttributes(dataset_dir("celeba"), "dev"), doctest::Contains("unknown split 'dev'"), Error);
}

TEST_CASE("data readers: CelebA malformed lines name file and line") {
  test::TempDir dir;
  std::string root = copy_fixture(dir, "celeba");
  std::string attr = test::read_file(root + "/list_attr_celeba.txt");
  test::write_file(root + "/list_attr_celeba.txt", attr.substr(0, attr.rfind(" 1")) + " 2\n");
  CHECK_THROWS_WITH_AS(CelebaAttributes(root, "all"), doctest::Contains("list_attr_celeba.txt:5: Young must be 1 or -1"),
                       Error);
  test::write_file(root + "/list_attr_celeba.txt", "3\nBald Bangs\n");
  CHECK_THROWS_WITH_AS(CelebaAttributes(root, "all"), doctest::Contains("list_attr_celeba.txt:2: attribute names"), Error);
}

TEST_CASE("data readers: CelebAMask-HQ part masks, override order, split mapping") {
  CelebAMaskHq train(dataset_dir("celebamask_hq"), "train");
  REQUIRE(train.size() == 1);
  Sample s = get(train, 0);
  CHECK(s.name == "0");
  REQUIRE(s.parsing.height == 8);
  CHECK(s.image.shape() == Shape{3, 8, 8});  // resized to the masks' size
  const auto& names = faceptor::celebamask_hq_class_names();
  auto cls = [&](const char* n) { return static_cast<uint8_t>(std::find(names.begin(), names.end(), n) - names.begin()); };
  CHECK(s.parsing.at(0, 0) == cls("hair"));
  CHECK(s.parsing.at(4, 4) == cls("skin"));
  CHECK(s.parsing.at(7, 7) == 0);
  CHECK(s.parsing.at(2, 2) == cls("hair"));  // l_eye is drawn first, hair (later) overrides it
  CHECK(channel_mean(s.image, 0) == doctest::Approx(250).epsilon(0.03));
  CelebAMaskHq val(dataset_dir("celebamask_hq"), "val");
  REQUIRE(val.size() == 1);
  CHECK(get(val, 0).parsing.at(3, 3) == cls("nose"));
  CelebAMaskHq test_split(dataset_dir("celebamask_hq"), "test");
  REQUIRE(test_split.size() == 1);
  Sample bare = get(test_split, 0);  // no masks at all: background of the image's size
  CHECK(bare.parsing.height == 16);
  CHECK(std::all_of(bare.parsing.labels.begin(), bare.parsing.labels.end(), [](uint8_t v) { return v == 0; }));
  CHECK(CelebAMaskHq(dataset_dir("celebamask_hq"), "all").size() == 3);
}

TEST_CASE("data readers: LaPa images, label PNGs and 106 landmarks") {
  LaPa train(dataset_dir("lapa"), "train");
  REQUIRE(train.size() == 2);
  Sample s = get(train, 0);
  CHECK(s.name == "train.a1");
  CHECK(s.image.shape() == Shape{3, 10, 12});
  CHECK(s.parsing.at(3, 4) == 4);
  CHECK(s.parsing.at(0, 11) == 10);
  REQUIRE(s.landmarks.size() == 106);
  CHECK(s.landmarks[10].x == doctest::Approx(1.0));
  CHECK(s.landmarks[10].y == doctest::Approx(0.5));
  CHECK(LaPa(dataset_dir("lapa"), "train_val").size() == 3);

  test::TempDir dir;
  std::string root = copy_fixture(dir, "lapa");
  test::write_file(root + "/val/landmarks/c3.txt", "106\n1 2\n3\n");
  CHECK_THROWS_WITH_AS(LaPa(root, "val"), doctest::Contains("c3.txt:3: expected '106' and 106 x y pairs"), Error);
}

TEST_CASE("data readers: 300W .pts files are 1-based and give a square face box") {
  Ibug300w all(dataset_dir("300w"));
  REQUIRE(all.size() == 2);
  Sample s = get(all, 0);
  CHECK(s.name.find("afw/1051618982_1.jpg") != std::string::npos);
  REQUIRE(s.landmarks.size() == 68);
  CHECK(s.landmarks[0].x == doctest::Approx(2.0));
  CHECK(s.landmarks[0].y == doctest::Approx(3.0));
  CHECK(s.has_box);
  CHECK(s.box.x2 - s.box.x1 == doctest::Approx(s.box.y2 - s.box.y1));
  CHECK(Ibug300w(dataset_dir("300w"), {"lfpw/trainset"}).size() == 1);

  test::TempDir dir;
  test::write_file(dir.path("a.pts"), "version: 1\nn_points: 3\n{\n1 2\n3 4\n}\n");
  CHECK_THROWS_WITH_AS(read_pts_file(dir.path("a.pts")), doctest::Contains("a.pts:6: n_points says 3, the list holds 2"),
                       Error);
  test::write_file(dir.path("b.pts"), "version: 1\nn_points: 1\n{\n1 x\n}\n");
  CHECK_THROWS_WITH_AS(read_pts_file(dir.path("b.pts")), doctest::Contains("b.pts:4: 'x' is not a finite number"),
                       Error);
}

TEST_CASE("data readers: WFLW annotation lines") {
  std::string root = dataset_dir("wflw");
  Wflw wflw(root + "/list_98pt_rect_attr_train.txt", root + "/WFLW_images");
  REQUIRE(wflw.size() == 2);
  Sample s = get(wflw, 1);
  CHECK(s.name == "1--Handshaking/1_Handshaking_2.jpg");
  CHECK(s.image.shape() == Shape{3, 16, 20});
  REQUIRE(s.landmarks.size() == 98);
  CHECK(s.landmarks[15].x == doctest::Approx(3.5));
  CHECK(s.landmarks[15].y == doctest::Approx(3.75));
  CHECK(s.box.x1 == doctest::Approx(2));  // rect 2 3 12 9 made square: side 10
  CHECK(s.box.y1 == doctest::Approx(1));
  CHECK(s.box.y2 == doctest::Approx(11));

  test::TempDir dir;
  test::write_file(dir.path("list.txt"), "1 2 3\n");
  CHECK_THROWS_WITH_AS(Wflw(dir.path("list.txt"), root), doctest::Contains("list.txt:1: expected 196 coordinates"), Error);
}

TEST_CASE("data readers: RAF-DB labels map to AffectNet order") {
  RafDb train(dataset_dir("rafdb"), "train");
  REQUIRE(train.size() == 2);
  const auto& names = faceptor::expression_names();
  Sample s = get(train, 0);  // RAF-DB 5 = sadness
  CHECK(names[s.expression] == "sad");
  CHECK(names[get(train, 1).expression] == "neutral");  // 7
  CHECK(channel_mean(s.image, 0) == doctest::Approx(10).epsilon(0.5));
  RafDb test_split(dataset_dir("rafdb"), "test");
  REQUIRE(test_split.size() == 1);
  CHECK(names[get(test_split, 0).expression] == "surprise");  // 1

  test::TempDir dir;
  std::string root = copy_fixture(dir, "rafdb");
  test::write_file(root + "/EmoLabel/list_patition_label.txt", "train_00001.jpg 5\ntrain_00002.jpg 8\n");
  CHECK_THROWS_WITH_AS(RafDb(root, "train"), doctest::Contains("list_patition_label.txt:2: label must be 1-7"), Error);
}

TEST_CASE("data readers: AffectNet CSV and the official list layout") {
  AffectNet csv(dataset_dir("affectnet"), "training");
  REQUIRE(csv.size() == 2);  // the contempt (7) row is skipped
  CHECK(get(csv, 0).expression == 1);
  CHECK(get(csv, 1).expression == 6);
  CHECK(get(csv, 1).name == "392/c.jpg");
  AffectNet list(dataset_dir("affectnet"), "train");
  REQUIRE(list.size() == 1);
  CHECK(get(list, 0).expression == 3);
  CHECK_THROWS_WITH_AS(AffectNet(dataset_dir("affectnet"), "nope"), doctest::Contains("neither"), Error);
}

TEST_CASE("data readers: UTKFace ages from file names") {
  UtkFace utk(dataset_dir("utkface"));
  REQUIRE(utk.size() == 3);
  CHECK(get(utk, 0).age == 100.f);  // sorted by name: "100_...", "25_...", "3_..."
  CHECK(get(utk, 1).age == 25.f);
  CHECK(get(utk, 2).age == 3.f);
  test::TempDir dir;
  fs::copy(dataset_dir("utkface/25_0_1_20170116174525125.jpg.chip.jpg"), dir.path("face_1.jpg"));
  CHECK_THROWS_WITH_AS(UtkFace(dir.root()), doctest::Contains("face_1.jpg: UTKFace names start with the age"), Error);
}

TEST_CASE("data readers: identity folders and LFW pairs") {
  IdentityFolders ids(dataset_dir("identities"));
  REQUIRE(ids.size() == 3);
  CHECK(ids.num_identities() == 2);
  CHECK(get(ids, 0).identity == 0);
  CHECK(get(ids, 2).identity == 1);
  CHECK(get(ids, 2).name == "bob/x.png");

  std::vector<FacePair> pairs = read_lfw_pairs(dataset_dir("lfw/pairs.txt"), "/lfw");
  REQUIRE(pairs.size() == 8);
  CHECK(pairs[0].same);
  CHECK(pairs[0].first == "/lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg");
  CHECK(pairs[0].second == "/lfw/Abel_Pacheco/Abel_Pacheco_0004.jpg");
  CHECK(!pairs[2].same);
  CHECK(pairs[2].second == "/lfw/Dean_Barker/Dean_Barker_0001.jpg");
  CHECK(pairs[3].fold == 0);
  CHECK(pairs[4].fold == 1);
  CHECK(pairs[7].second == "/lfw/Zoe/Zoe_0003.jpg");
  test::TempDir dir;
  test::write_file(dir.path("pairs.txt"), "10 300\nAbel 1\n");
  CHECK_THROWS_WITH_AS(read_lfw_pairs(dir.path("pairs.txt"), "/lfw"), doctest::Contains("pairs.txt:2: expected 'name i j'"),
                       Error);
}
