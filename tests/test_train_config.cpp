// Training config parsing: every error names the file and the JSON path.
#include <doctest/doctest.h>

#include "core/error.h"
#include "faceptor/train/train_config.h"
#include "tests/support/temp_dir.h"
#include "tests/support/train_fixture.h"

using namespace fc;
using namespace fc::faceptor::train;

namespace {

std::string replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("train: config parses the tiny recipe and reweights") {
  test::TempDir dir;
  TrainConfig c = test::tiny_train_config(dir.root(), {"recog_ms1mv3", "age_morph2", "align_300w"}, 10,
                                          R"(, "task_weight": {"age": 6, "align": 1000})");
  CHECK(c.model.encoder.width == 32);
  CHECK(c.model.encoder.drop_path_rate == doctest::Approx(0.1));
  CHECK(c.model.find_task("align_300w")->input_size == 64);
  CHECK(c.model.find_task("align_300w")->queries == 68);
  CHECK(c.tasks[0].classes == 8);
  CHECK(c.max_iter == 10);
  CHECK(c.task_weights().at("age_morph2") == 6);
  CHECK(c.task_weights().at("recog_ms1mv3") == 1);
}

TEST_CASE("train: bad configs name the file and the field") {
  test::TempDir dir;
  const std::string good = test::tiny_train_json(dir.root(), {"age_morph2", "recog_ms1mv3"}, 10);
  auto error_of = [](const std::string& json) {
    try {
      parse_train_config(json, "train.json");
    } catch (const fc::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of(replace(good, R"("max_iter": 10,)", "")) == "train.json: max_iter: missing (required)");
  CHECK(error_of(replace(good, R"("max_iter": 10)", R"("max_iter": "10")")) ==
        "train.json: max_iter: expected a positive integer");
  CHECK(error_of(replace(good, R"("batch_size": 2)", R"("batch_size": 0)")) ==
        "train.json: tasks[0].batch_size: expected a positive integer");
  CHECK(error_of(replace(good, R"("batch_size": 2)", R"("batch_size": 2.5)")) ==
        "train.json: tasks[0].batch_size: expected a positive integer");
  CHECK(error_of(replace(good, R"({"name": "age_morph2", "dataset")", R"({"name": "age_utk", "dataset")"))
            .find("train.json: tasks[0].name: unknown task 'age_utk' (the model has: age_morph2, recog_ms1mv3)") == 0);
  CHECK(error_of(replace(good, str_cat(R"("root": ")", dir.root(), R"("})"), R"("root": "/no/such/dir"})")) ==
        "train.json: tasks[0].dataset.root: no such directory: /no/such/dir");
  CHECK(error_of(replace(good, R"(, "classes": 8)", "")) == "train.json: tasks[1].classes: missing (required)");
  CHECK(error_of(replace(good, R"("seed": 7)", R"("sed": 7)")).find("train.json: sed: unknown field") == 0);
  CHECK(error_of(replace(good, R"("warmup_lr": 1e-3)", R"("warmup_lr": -1)")) ==
        "train.json: schedule.warmup_lr: expected a positive number");
  CHECK(error_of(replace(good, R"("preset": "base")", R"("preset": "huge")")) ==
        "train.json: model.preset: unknown preset 'huge' (known: base, full, naive_base)");
  CHECK(error_of("{").find("train.json: not valid JSON") == 0);
  CHECK_THROWS_WITH_AS(load_train_config(dir.path("missing.json")), doctest::Contains("missing.json: cannot open"),
                       fc::Error);
}
