#include "tests/support/train_fixture.h"

#include <map>

#include "core/error.h"
#include "faceptor/image.h"
#include "faceptor/synth/dataset_writer.h"

namespace fc::test {

using namespace fc::faceptor;

std::string tiny_train_json(const std::string& root, const std::vector<std::string>& tasks, int64_t max_iter,
                            const std::string& extra_fields) {
  std::string model_tasks, train_tasks;
  for (const std::string& t : tasks) {
    const TaskSpec* spec = find_official_task(t);
    const int size = spec->input_size == 112 ? 32 : 64;
    model_tasks += (model_tasks.empty() ? "" : ", ") +
                   str_cat("{\"name\": \"", t, "\", \"input_size\": ", size, "}");
    train_tasks += (train_tasks.empty() ? "" : ", ") +
                   str_cat("{\"name\": \"", t, "\", \"dataset\": {\"kind\": \"celeba\", \"root\": \"", root,
                           "\"}, \"batch_size\": 2, \"loss_weight\": 1",
                           spec->kind == TaskKind::recognition ? ", \"classes\": 8" : "", "}");
  }
  return str_cat(R"({
    "model": {"preset": "base", "encoder": {"width": 32, "layers": 2, "heads": 2, "pos_grid": 4},
              "decoder": {"hidden": 16, "heads": 2, "ffn": 32, "layers": 1, "levels": [1]},
              "embedding_dim": 16, "tasks": [)", model_tasks, R"(]},
    "tasks": [)", train_tasks, R"(],
    "schedule": {"base_lr": 1e-4, "warmup_lr": 1e-3, "warmup_steps": )", max_iter > 5 ? 5 : 0,
                 R"(, "eta_min": 0},
    "max_iter": )", max_iter, R"(,
    "drop_path_rate": 0.1,
    "seed": 7,
    "workers": 0,
    "log_interval": 1000)", extra_fields, "\n}");
}

train::TrainConfig tiny_train_config(const std::string& root, const std::vector<std::string>& tasks, int64_t max_iter,
                                     const std::string& extra_fields) {
  return train::parse_train_config(tiny_train_json(root, tasks, max_iter, extra_fields), "tiny.json");
}

std::string tiny_naive_train_json(const std::string& root, const std::vector<std::string>& tasks, int64_t max_iter,
                                  const std::string& extra_fields) {
  std::string json = tiny_train_json(root, tasks, max_iter, extra_fields);
  const std::string faceptor_model = R"("preset": "base", "encoder": {"width": 32, "layers": 2, "heads": 2, "pos_grid": 4},
              "decoder": {"hidden": 16, "heads": 2, "ffn": 32, "layers": 1, "levels": [1]},)";
  const size_t at = json.find(faceptor_model);
  FC_CHECK(at != std::string::npos, "tiny_naive_train_json: tiny_train_json changed its model section");
  json.replace(at, faceptor_model.size(), R"("preset": "naive_base", "encoder": {"width": 32, "layers": 2, "heads": 2, "pos_grid": 4},
              "naive": {"attribute_channels": 16, "gate_reduction": 4, "dense_channels": 8, "pool_scales": [1, 2]},)");
  return json;
}

train::TrainConfig tiny_naive_train_config(const std::string& root, const std::vector<std::string>& tasks,
                                           int64_t max_iter, const std::string& extra_fields) {
  return train::parse_train_config(tiny_naive_train_json(root, tasks, max_iter, extra_fields), "tiny_naive.json");
}

namespace {

class SynthMemoryDataset : public data::Dataset {
 public:
  SynthMemoryDataset(int count, int size) {
    synth::SynthOptions options;
    options.count = count;
    options.seed = 3;
    options.image_size = size;
    options.supersample = 1;
    options.images_per_identity = 2;
    for (int i = 0; i < count; ++i) {
      synth::SynthSample s = synth::generate_sample(options, i);
      data::Sample d;
      d.name = str_cat("synth_", i);
      d.image = image_to_tensor01(s.image);
      d.identity = s.identity % 8;
      d.age = static_cast<float>(s.age);
      for (int8_t a : s.attributes) d.attributes.push_back(a > 0 ? 1 : a < 0 ? 0 : data::kAttributeUnknown);
      d.expression = s.expression;
      d.parsing = data::LabelMap(size, size);
      d.parsing.labels = s.parsing;
      for (const Point2& p : s.landmarks) d.landmarks.push_back(p);
      samples_.push_back(std::move(d));
    }
  }
  size_t size() const override { return samples_.size(); }
  data::Sample get(size_t index, Rng&) const override { return samples_.at(index); }
  std::string describe(size_t index) const override { return samples_.at(index).name; }

 private:
  std::vector<data::Sample> samples_;
};

}  // namespace

train::DatasetFactory synth_datasets(int count) {
  // Rendering dominates a tiny run: one dataset per input size, shared by the tasks and by every
  // Trainer made from this factory.
  auto by_size = std::make_shared<std::map<int, std::shared_ptr<const data::Dataset>>>();
  return [count, by_size](const TaskSpec& task, const train::DatasetRef&) -> std::shared_ptr<const data::Dataset> {
    auto& dataset = (*by_size)[task.input_size];
    if (!dataset) dataset = std::make_shared<SynthMemoryDataset>(count, task.input_size);
    return dataset;
  };
}

}  // namespace fc::test
