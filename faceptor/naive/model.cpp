#include "faceptor/naive/model.h"

#include <algorithm>

#include "core/error.h"

namespace fc::faceptor::naive {

NaiveFaceptorModel::NaiveFaceptorModel(ModelConfig c) : FaceModel(std::move(c)) {
  FC_CHECK(config.is_naive(), "NaiveFaceptorModel: the config's architecture is '", config.architecture,
           "', not '", kArchitectureNaive, "'");
  const int width = config.encoder.width;
  for (const NaiveHeadSpec& spec : config.naive.heads) {
    std::vector<int> outputs;
    for (const std::string& t : spec.tasks) outputs.push_back(config.find_task(t)->queries);
    const std::string name = "heads." + spec.name;
    switch (spec.type) {
      case NaiveHeadType::recognition:
        recognition_heads.emplace_back(spec, std::make_unique<FeatureInterpreter>(width, config.embedding_dim));
        register_module(name, recognition_heads.back().second.get());
        break;
      case NaiveHeadType::attribute:
        attribute_heads.push_back(std::make_unique<AttributeHead>(spec, outputs, width, config.naive));
        register_module(name, attribute_heads.back().get());
        break;
      case NaiveHeadType::dense:
        dense_heads.push_back(std::make_unique<DenseHead>(spec, outputs, width, config.naive));
        register_module(name, dense_heads.back().get());
        break;
    }
  }
}

Module& NaiveFaceptorModel::head(const std::string& name) {
  for (auto& [spec, h] : recognition_heads)
    if (spec.name == name) return *h;
  for (auto& h : attribute_heads)
    if (h->spec.name == name) return *h;
  for (auto& h : dense_heads)
    if (h->spec.name == name) return *h;
  throw Error(str_cat("NaiveFaceptorModel: no head '", name, "'"));
}

std::vector<int> NaiveFaceptorModel::encoder_layers_read() const {
  std::vector<int> layers{config.encoder.layers - 1};
  for (const NaiveHeadSpec& h : config.naive.heads) layers.insert(layers.end(), h.levels.begin(), h.levels.end());
  std::sort(layers.begin(), layers.end());
  layers.erase(std::unique(layers.begin(), layers.end()), layers.end());
  return layers;
}

PassResult NaiveFaceptorModel::run(const Tensor& input, std::vector<std::string> tasks,
                                   const RunOptions& options) const {
  tasks = check_run_request(input, std::move(tasks), "NaiveFaceptorModel::run");
  PassResult result;
  result.encoder = encoder.forward(input, nullptr, options.keep_encoder_layers ? std::vector<int>{} : encoder_layers_read());
  // A head serving several tasks computes its trunk once per pass; the official code reruns the
  // whole head per task, with the same numbers (in eval mode; with dropout, one mask per pass).
  std::map<std::string, Tensor> trunks;
  for (const std::string& name : tasks) result.tasks.emplace(name, run_head(result.encoder, name, options, &trunks));
  return result;
}

TaskResult NaiveFaceptorModel::run_task_head(const EncoderOutput& encoder, const std::string& task,
                                             const RunOptions& options) const {
  FC_CHECK(config.find_task(task) != nullptr, "NaiveFaceptorModel::run_task_head: unknown task '", task, "'");
  return run_head(encoder, task, options, nullptr);
}

TaskResult NaiveFaceptorModel::run_head(const EncoderOutput& encoder, const std::string& name,
                                        const RunOptions& options, std::map<std::string, Tensor>* trunks) const {
  const NaiveHeadSpec* spec = config.naive_head_for(name);
  FC_CHECK(spec != nullptr, "NaiveFaceptorModel: no head serves task '", name, "'");
  std::map<std::string, Tensor> unshared;
  Tensor& trunk = (trunks != nullptr ? *trunks : unshared)[spec->name];
  TaskResult tr;
  tr.spec = config.find_task(name);
  switch (spec->type) {
    case NaiveHeadType::recognition:
      for (const auto& [s, h] : recognition_heads)
        if (s.name == spec->name) tr.raw = h->embed(encoder.patch_tokens(s.levels[0]));
      break;
    case NaiveHeadType::attribute:
      for (const auto& h : attribute_heads) {
        if (h->spec.name != spec->name) continue;
        if (!trunk.defined()) trunk = h->features(encoder, options.rng);
        tr.raw = h->task_logits(trunk, name);
      }
      break;
    case NaiveHeadType::dense:
      for (const auto& h : dense_heads) {
        if (h->spec.name != spec->name) continue;
        if (!trunk.defined()) trunk = h->forward(encoder, options.rng);
        tr.raw = h->task_output(trunk, name);
      }
      break;
  }
  return tr;
}

std::vector<std::string> tensors_of_new_tasks(const ModelConfig& base, NaiveFaceptorModel& grown) {
  std::vector<std::string> prefixes;
  for (const NaiveHeadSpec& h : grown.config.naive.heads) {
    const NaiveHeadSpec* old = nullptr;
    for (const NaiveHeadSpec& b : base.naive.heads)
      if (b.name == h.name) old = &b;
    if (old == nullptr) {
      prefixes.push_back("heads." + h.name + ".");
      continue;
    }
    if (h.type != NaiveHeadType::attribute) continue;
    for (const std::string& t : h.tasks)
      if (std::find(old->tasks.begin(), old->tasks.end(), t) == old->tasks.end())
        prefixes.push_back("heads." + h.name + ".fcs." + t + ".");
  }
  std::vector<std::string> out;
  auto collect = [&](const Module::NamedTensors& tensors) {
    for (const auto& [name, t] : tensors)
      for (const std::string& p : prefixes)
        if (name.rfind(p, 0) == 0) out.push_back(name);
  };
  collect(grown.named_parameters());
  collect(grown.named_buffers());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace fc::faceptor::naive
