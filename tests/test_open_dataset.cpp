// faceptor/data/open_dataset: specs parsed from JSON, each kind opened on the tiny reader
// fixtures (tests/fixtures/datasets) and on a small synthetic dataset, and the transform a task
// gets on each.
#include <doctest/doctest.h>

#include "core/error.h"
#include "faceptor/data/open_dataset.h"
#include "faceptor/synth/dataset_writer.h"
#include "tests/support/fixture.h"
#include "tests/support/temp_dir.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::faceptor::data;

namespace {

std::string dataset_dir(const std::string& name) { return test::fixture_path("datasets/" + name); }

Sample first(const Dataset& d) {
  Rng rng(3);
  return d.get(0, rng);
}

const TaskSpec& task(const char* name) {
  const TaskSpec* t = find_official_task(name);
  REQUIRE(t != nullptr);
  return *t;
}

}  // namespace

TEST_CASE("open_dataset: parse_dataset_spec reads kind, root, split and names the field on errors") {
  DatasetSpec s = parse_dataset_spec(R"({"kind": "300w", "root": "/d/300W", "split": "test"})", "cfg.json: a");
  CHECK(s.kind == "300w");
  CHECK(s.root == "/d/300W");
  CHECK(s.split == "test");
  CHECK(parse_dataset_spec(R"({"kind": "celeba", "root": "x"})", "cli").split == "train");
  CHECK(parse_dataset_spec(dataset_spec_to_json(s), "round trip").split == "test");

  CHECK_THROWS_WITH_AS(parse_dataset_spec(R"({"kind": "celebA", "root": "x"})", "cfg.json: b"),
                       doctest::Contains("cfg.json: b: dataset spec field 'kind': unknown kind 'celebA' (known: celeba, "
                                         "celebamask_hq, lapa, 300w, wflw, rafdb, affectnet, utkface, identity_folders, "
                                         "synth_headpose)"),
                       Error);
  CHECK_THROWS_WITH_AS(parse_dataset_spec(R"({"kind": "celeba"})", "cfg.json: c"),
                       doctest::Contains("cfg.json: c: dataset spec needs field 'root'"), Error);
  CHECK_THROWS_WITH_AS(parse_dataset_spec(R"({"kind": "celeba", "root": 3})", "src"),
                       doctest::Contains("src: dataset spec field 'root' must be a string, got 3"), Error);
  CHECK_THROWS_WITH_AS(parse_dataset_spec(R"({"kind": "celeba", "root": "x", "spilt": "test"})", "src"),
                       doctest::Contains("src: dataset spec has unknown field 'spilt'"), Error);
  CHECK_THROWS_WITH_AS(parse_dataset_spec("[1, 2]", "src"), doctest::Contains("src: dataset spec must be a JSON object"),
                       Error);
  CHECK_THROWS_WITH_AS(parse_dataset_spec("{kind", "src"), doctest::Contains("src: dataset spec is not valid JSON"), Error);
}

TEST_CASE("open_dataset: every kind opens its reader fixture") {
  CHECK(open_dataset({"celeba", dataset_dir("celeba"), "train"})->size() == 2);
  CHECK(open_dataset({"celeba", dataset_dir("celeba"), "all"})->size() == 3);
  CHECK(open_dataset({"celebamask_hq", dataset_dir("celebamask_hq"), "all"})->size() == 3);
  CHECK(open_dataset({"lapa", dataset_dir("lapa"), "train"})->size() == 2);
  CHECK(open_dataset({"300w", dataset_dir("300w"), "all"})->size() == 2);
  CHECK(open_dataset({"wflw", dataset_dir("wflw"), "train"})->size() == 2);
  CHECK(open_dataset({"rafdb", dataset_dir("rafdb"), "train"})->size() == 2);
  CHECK(open_dataset({"affectnet", dataset_dir("affectnet"), "train"})->size() >= 1);
  CHECK(open_dataset({"utkface", dataset_dir("utkface"), "all"})->size() == 3);
  CHECK(open_dataset({"identity_folders", dataset_dir("identities"), "train"})->size() == 3);

  Sample w = first(*open_dataset({"wflw", dataset_dir("wflw"), "train"}));
  CHECK(w.landmarks.size() == 98);
  CHECK(w.has_box);
}

TEST_CASE("open_dataset: errors name the kind, the root and the split") {
  CHECK_THROWS_WITH_AS(open_dataset({"celeba", "/no/such/dir", "train"}),
                       doctest::Contains("dataset celeba: root '/no/such/dir' is not a directory"), Error);
  CHECK_THROWS_WITH_AS(open_dataset({"imagenet", dataset_dir("celeba"), "train"}),
                       doctest::Contains("unknown dataset kind 'imagenet' (known: celeba"), Error);
  CHECK_THROWS_WITH_AS(open_dataset({"300w", dataset_dir("300w"), "dev"}),
                       doctest::Contains("dataset 300w: unknown split 'dev'"), Error);
  CHECK_THROWS_WITH_AS(open_dataset({"300w", dataset_dir("300w"), "train"}),
                       doctest::Contains("helen/trainset: not a directory"), Error);
  CHECK_THROWS_WITH_AS(open_dataset({"wflw", dataset_dir("wflw"), "test"}),
                       doctest::Contains("list_98pt_rect_attr_test.txt exists"), Error);
  CHECK_THROWS_WITH_AS(open_dataset({"utkface", dataset_dir("utkface"), "test"}),
                       doctest::Contains("split 'test' needs a folder"), Error);
}

TEST_CASE("open_dataset: a synthetic dataset opens by spec and transforms per task") {
  test::TempDir dir;
  synth::SynthOptions o;
  o.out_dir = dir.path("synth");
  o.count = 20;  // 10 identities: the synthetic partition puts identities 8 and 9 in test
  o.seed = 5;
  o.image_size = 64;
  o.images_per_identity = 2;
  synth::write_synthetic_dataset(o);
  const std::string root = o.out_dir + "/";

  DatasetSpec w300{"300w", root + "300w", "train"};
  auto train = open_dataset(w300);
  auto test = open_dataset({"300w", root + "300w", "test"});
  CHECK(train->size() == 16);
  CHECK(test->size() == 4);
  CHECK(open_dataset({"300w", root + "300w", "all"})->size() == 20);

  // The dense test transform: 512 crop, points in crop pixels.
  TaskSpec align = task("align_300w");
  align.input_size = 64;  // keeps the test fast; the recipe scales with the size
  TransformedDataset test_set(test, test_transform_for(align, w300));
  Sample s = first(test_set);
  CHECK(s.height() == 64);
  CHECK(s.landmarks.size() == 68);
  TransformedDataset train_set(train, train_transform_for(align, w300));
  CHECK(first(train_set).width() == 64);

  DatasetSpec celeba{"celeba", root + "celeba", "all"};
  TransformedDataset attributes(open_dataset(celeba), test_transform_for(task("biattr_celeba"), celeba));
  Sample a = first(attributes);
  CHECK(a.height() == 112);
  CHECK(a.attributes.size() == 40);
  CHECK(first(TransformedDataset(open_dataset(celeba), train_transform_for(task("biattr_celeba"), celeba))).width() == 112);

  DatasetSpec utk{"utkface", root + "utkface", "all"};
  Sample age = first(TransformedDataset(open_dataset(utk), test_transform_for(task("age_utkface"), utk)));
  CHECK(age.age >= 0);

  DatasetSpec raf{"rafdb", root + "rafdb/basic", "train"};
  CHECK(first(TransformedDataset(open_dataset(raf), test_transform_for(task("affect_rafdb"), raf))).expression >= 0);

  DatasetSpec ids{"identity_folders", root + "lfw", "all"};
  auto people = open_dataset(ids);
  CHECK(people->size() == 20);
  CHECK(first(TransformedDataset(people, train_transform_for(task("recog_ms1mv3"), ids))).identity == 0);

  DatasetSpec celebam{"celebamask_hq", root + "celebamask_hq", "all"};
  TaskSpec parsing = task("parsing_celebam");
  parsing.input_size = 64;
  Sample p = first(TransformedDataset(open_dataset(celebam), test_transform_for(parsing, celebam)));
  CHECK(p.parsing.height == 64);

  CHECK_THROWS_WITH_AS(test_transform_for(task("age_morph2"), celeba),
                       doctest::Contains("task 'age_morph2' (age) cannot use dataset kind 'celeba': it has attributes labels"),
                       Error);
  CHECK_THROWS_WITH_AS(train_transform_for(task("parsing_celebam"), w300),
                       doctest::Contains("cannot use dataset kind '300w'"), Error);
}
