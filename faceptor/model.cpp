#include "faceptor/model.h"

#include <algorithm>
#include <map>

#include "core/error.h"

namespace fc::faceptor {

FaceptorModel::FaceptorModel(ModelConfig c) : FaceModel(std::move(c)) {
  FC_CHECK(!config.is_naive(), "FaceptorModel: the config describes a Naive Faceptor model (use naive::NaiveFaceptorModel)");
  bool any_feature = false, any_value = false, any_map = false;
  for (const TaskSpec& t : config.tasks) {
    any_feature |= t.interpreter == InterpreterKind::feature;
    any_value |= t.interpreter == InterpreterKind::value;
    any_map |= t.interpreter == InterpreterKind::map;
  }
  if (config.has_decoder_tasks()) {
    decoder = std::make_unique<FaceptorDecoder>(config.decoder, config.encoder.width, config.encoder.layers,
                                                config.tasks);
    register_module("decoder", decoder.get());
  }
  if (any_feature) {
    feature_interpreter = std::make_unique<FeatureInterpreter>(config.encoder.width, config.embedding_dim);
    register_module("interpreters.feature_v2", feature_interpreter.get());
  }
  if (any_value) {
    value_interpreter = std::make_unique<ValueInterpreter>(config.decoder.hidden);
    register_module("interpreters.value", value_interpreter.get());
  }
  if (any_map) {
    map_interpreter = std::make_unique<MapInterpreter>(config.decoder.hidden);
    register_module("interpreters.map_v2", map_interpreter.get());
  }
}

EncoderOutput narrow_batch(const EncoderOutput& encoder, int64_t start, int64_t length) {
  EncoderOutput out;
  out.grid = encoder.grid;
  out.tokens.reserve(encoder.tokens.size());
  for (const Tensor& t : encoder.tokens) out.tokens.push_back(t.defined() ? t.narrow(0, start, length) : Tensor());
  return out;
}

TaskResult FaceptorModel::run_task(const EncoderOutput& encoder_output, const std::string& task, PassCache& cache,
                                   const RunOptions& options) const {
  const TaskSpec* spec = config.find_task(task);
  FC_CHECK(spec != nullptr, "FaceptorModel::run_task: unknown task '", task, "'");
  TaskResult tr;
  tr.spec = spec;
  if (spec->interpreter == InterpreterKind::feature) {
    tr.raw = feature_interpreter->forward(encoder_output);
    return tr;
  }
  if (!cache.memory.src.defined()) cache.memory = decoder->build_memory(encoder_output);
  DecoderResult d = decoder->run_queries(cache.memory, task, options.keep_attention);
  tr.decoder_output = d.output;
  tr.cross_attention = std::move(d.cross_attention);
  if (spec->interpreter == InterpreterKind::value) {
    tr.raw = value_interpreter->forward(d.output);
  } else {
    if (!cache.pixels.defined()) cache.pixels = map_interpreter->pixel_features(cache.memory.decoder_src, cache.memory.grid);
    tr.raw = map_interpreter->forward(cache.pixels, d.output);
  }
  return tr;
}

std::vector<int> FaceptorModel::encoder_layers_read() const {
  std::vector<int> layers = config.decoder.levels;
  layers.insert(layers.end(), config.decoder.new_levels.begin(), config.decoder.new_levels.end());
  layers.push_back(config.encoder.layers - 1);
  std::sort(layers.begin(), layers.end());
  layers.erase(std::unique(layers.begin(), layers.end()), layers.end());
  return layers;
}

PassResult FaceptorModel::run(const Tensor& input, std::vector<std::string> tasks, const RunOptions& options) const {
  tasks = check_run_request(input, std::move(tasks), "FaceptorModel::run");

  PassResult result;
  result.encoder = encoder.forward(input, nullptr, options.keep_encoder_layers ? std::vector<int>{} : encoder_layers_read());
  PassCache cache;
  for (const std::string& name : tasks) {
    result.tasks.emplace(name, run_task(result.encoder, name, cache, options));
    if (cache.memory.src.defined() && result.memory_levels.empty()) result.memory_levels = cache.memory.token_levels;
  }
  return result;
}

std::vector<std::string> tensors_of_new_tasks(const ModelConfig& base, FaceptorModel& grown) {
  std::vector<std::string> prefixes;
  for (const TaskSpec& t : grown.config.tasks)
    if (base.find_task(t.name) == nullptr)
      for (const char* table : {"decoder.query_feat.", "decoder.query_embed."}) prefixes.push_back(table + t.name + ".");
  auto base_uses = [&](InterpreterKind kind) {
    return std::any_of(base.tasks.begin(), base.tasks.end(), [&](const TaskSpec& t) { return t.interpreter == kind; });
  };
  if (!base.has_decoder_tasks()) prefixes.push_back("decoder.");
  if (!base_uses(InterpreterKind::feature)) prefixes.push_back("interpreters.feature_v2.");
  if (!base_uses(InterpreterKind::value)) prefixes.push_back("interpreters.value.");
  if (!base_uses(InterpreterKind::map)) prefixes.push_back("interpreters.map_v2.");
  std::vector<std::string> names;
  Module::NamedTensors slots = grown.named_parameters();
  for (auto& b : grown.named_buffers()) slots.push_back(b);
  for (auto& [name, slot] : slots)
    for (const std::string& p : prefixes)
      if (name.rfind(p, 0) == 0) {
        names.push_back(name);
        break;
      }
  std::sort(names.begin(), names.end());
  return names;
}

std::unique_ptr<FaceptorModel> add_task(FaceptorModel& model, const TaskSpec& spec, Rng& rng,
                                        std::vector<std::string>* new_tensors) {
  FC_CHECK(model.config.find_task(spec.name) == nullptr, "add_task: the model already has a task '", spec.name, "'");
  ModelConfig config = model.config;
  config.tasks.push_back(spec);
  config.validate(str_cat("add_task(", spec.name, ")"));
  auto grown = std::make_unique<FaceptorModel>(config);
  grown->initialize(rng);
  std::map<std::string, Tensor> old;
  for (auto& [name, slot] : model.named_parameters()) old.emplace(name, slot->detach().clone());
  for (auto& [name, slot] : model.named_buffers()) old.emplace(name, slot->detach().clone());
  LoadReport report = grown->load_state(old);
  const std::vector<std::string> fresh = tensors_of_new_tasks(model.config, *grown);
  std::sort(report.missing.begin(), report.missing.end());
  FC_CHECK(report.unexpected.empty() && report.misshaped.empty() && report.missing == fresh,
           "add_task(", spec.name, "): the grown model does not hold the old one's tensors:\n", report.summary());
  grown->train(model.is_training());
  if (new_tensors != nullptr) *new_tensors = fresh;
  return grown;
}

}  // namespace fc::faceptor
