#include "faceptor/train/checkpoint.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "faceptor/model.h"
#include "faceptor/model_io.h"
#include "faceptor/naive/model.h"
#include "weights/safetensors.h"

namespace fc::faceptor::train {

using nlohmann::json;

namespace {

constexpr const char* kLossesPrefix = "losses.";
constexpr const char* kOptimizerPrefix = "optimizer.";

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Rng words as hex strings: JSON readers elsewhere (Python, jq) lose precision on 64-bit integers.
std::string hex_u64(uint64_t v) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

void load_or_throw(Module& module, const std::map<std::string, Tensor>& tensors, const std::string& path,
                   const char* what) {
  LoadReport report = module.load_state(tensors);
  FC_CHECK(report.ok(), path, ": ", what, " tensors do not match:\n", report.summary());
}

}  // namespace

std::string TrainState::to_json() const {
  json j;
  j["format"] = "faceptor.cpp train state 1";
  j["step"] = step;
  j["rng"] = json::array();
  for (uint64_t w : rng) j["rng"].push_back(hex_u64(w));
  j["samplers"] = json::object();
  for (const auto& [task, s] : samplers) j["samplers"][task] = json::parse(s.to_json());
  j["train_config"] = train_config.empty() ? json() : json::parse(train_config);
  return j.dump();
}

TrainState TrainState::from_json(const std::string& text, const std::string& source) {
  TrainState s;
  try {
    json j = json::parse(text);
    s.step = j.at("step").get<int64_t>();
    const json& rng = j.at("rng");
    FC_CHECK(rng.is_array() && rng.size() == 4, source, ": train state rng must hold 4 words");
    for (size_t i = 0; i < 4; ++i) s.rng[i] = std::stoull(rng[i].get<std::string>(), nullptr, 16);
    for (const auto& [task, sampler] : j.at("samplers").items())
      s.samplers[task] = data::SamplerState::from_json(sampler.dump());
    if (j.contains("train_config") && !j["train_config"].is_null()) s.train_config = j["train_config"].dump();
  } catch (const json::exception& e) {
    throw Error(str_cat(source, ": bad ", kTrainStateMetadataKey, " metadata: ", e.what()));
  } catch (const std::invalid_argument& e) {
    throw Error(str_cat(source, ": bad ", kTrainStateMetadataKey, " metadata: ", e.what()));
  }
  return s;
}

void save_checkpoint(const std::string& path, FaceModel& model, MultiTaskObjective& objective,
                     const Optimizer& optimizer, const TrainState& state) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (auto& [name, t] : model.named_parameters()) tensors.emplace_back(name, *t);
  for (auto& [name, t] : model.named_buffers()) tensors.emplace_back(name, *t);
  for (auto& [name, t] : objective.named_parameters()) tensors.emplace_back(kLossesPrefix + name, *t);
  for (auto& [name, t] : objective.named_buffers()) tensors.emplace_back(kLossesPrefix + name, *t);
  for (auto& [name, t] : optimizer.state_tensors()) tensors.emplace_back(kOptimizerPrefix + name, t);
  write_model_file(path, model.config, tensors, {{kTrainStateMetadataKey, state.to_json()}});
}

TrainState read_train_state(const std::string& path) {
  SafetensorsFile file = SafetensorsFile::open(path);
  auto it = file.metadata().find(kTrainStateMetadataKey);
  FC_CHECK(it != file.metadata().end(), path, ": no '", kTrainStateMetadataKey,
           "' metadata: a model file, not a training checkpoint");
  return TrainState::from_json(it->second, path);
}

namespace {

struct SplitTensors {
  std::map<std::string, Tensor> model, losses;
  StateTensors optimizer;
};

// Every tensor copied out of the mapping: training writes weights, batch-norm statistics and
// optimizer buffers in place, and a zero-copy view of a read-only mapping cannot be written.
SplitTensors read_split(const SafetensorsFile& file) {
  SplitTensors out;
  for (const std::string& name : file.names()) {
    Tensor t = file.get(name).clone();
    if (starts_with(name, kLossesPrefix))
      out.losses[name.substr(std::string(kLossesPrefix).size())] = t;
    else if (starts_with(name, kOptimizerPrefix))
      out.optimizer.emplace_back(name.substr(std::string(kOptimizerPrefix).size()), t);
    else
      out.model[name] = t;
  }
  return out;
}

void check_same_config(const SafetensorsFile& file, const FaceModel& model, const std::string& path) {
  auto it = file.metadata().find(kConfigMetadataKey);
  FC_CHECK(it != file.metadata().end(), path, ": no '", kConfigMetadataKey, "' metadata: not a faceptor.cpp model");
  ModelConfig stored = ModelConfig::from_json(it->second, path);
  // drop_path_rate is a training setting, not part of the weights' shape.
  stored.encoder.drop_path_rate = model.config.encoder.drop_path_rate;
  FC_CHECK(stored.to_json() == model.config.to_json(), path,
           ": the checkpoint's model config differs from the run's:\n  file: ", it->second,
           "\n  run:  ", model.config.to_json());
}

// Which tensors of `model` a file of `file_config` may lack (tasks the training config added).
std::vector<std::string> new_task_tensors(const ModelConfig& file_config, FaceModel& model, const std::string& path) {
  FC_CHECK(file_config.is_naive() == model.config.is_naive(), path, ": the file holds a ", file_config.architecture,
           " model, the training config a ", model.config.architecture, " one");
  if (auto* naive_model = dynamic_cast<naive::NaiveFaceptorModel*>(&model))
    return naive::tensors_of_new_tasks(file_config, *naive_model);
  return tensors_of_new_tasks(file_config, dynamic_cast<FaceptorModel&>(model));
}

}  // namespace

TrainState load_checkpoint(const std::string& path, FaceModel& model, MultiTaskObjective* objective,
                           Optimizer* optimizer) {
  SafetensorsFile file = SafetensorsFile::open(path);
  auto it = file.metadata().find(kTrainStateMetadataKey);
  FC_CHECK(it != file.metadata().end(), path, ": no '", kTrainStateMetadataKey,
           "' metadata: a model file, not a training checkpoint (use it as \"init\" instead)");
  TrainState state = TrainState::from_json(it->second, path);
  check_same_config(file, model, path);
  SplitTensors split = read_split(file);
  load_or_throw(model, split.model, path, "model");
  if (objective != nullptr) load_or_throw(*objective, split.losses, path, "loss (losses.*)");
  if (optimizer != nullptr) {
    try {
      optimizer->load_state_tensors(split.optimizer);
    } catch (const Error& e) {
      throw Error(str_cat(path, ": optimizer state: ", e.what()));
    }
  }
  return state;
}

std::vector<std::string> load_initial_weights(const std::string& path, FaceModel& model,
                                              MultiTaskObjective* objective) {
  SafetensorsFile file = SafetensorsFile::open(path);
  const ModelConfig file_config = read_model_config(path);
  SplitTensors split = read_split(file);
  LoadReport report = model.load_state(split.model);
  // Tasks the training config adds to the file's model: their tensors start fresh.
  const std::vector<std::string> fresh = new_task_tensors(file_config, model, path);
  std::vector<std::string> missing, started_fresh;
  for (const std::string& name : report.missing)
    (std::binary_search(fresh.begin(), fresh.end(), name) ? started_fresh : missing).push_back(name);
  report.missing = missing;
  FC_CHECK(report.ok(), path, ": the initial weights do not match the model of the training config:\n",
           report.summary());
  if (objective != nullptr && !split.losses.empty()) {
    LoadReport losses = objective->load_state(split.losses);
    std::vector<std::string> missing_losses;
    for (const std::string& name : losses.missing)
      if (file_config.find_task(name.substr(0, name.find('.'))) != nullptr) missing_losses.push_back(name);
    losses.missing = missing_losses;
    FC_CHECK(losses.ok(), path, ": loss (losses.*) tensors do not match:\n", losses.summary());
  }
  std::sort(started_fresh.begin(), started_fresh.end());
  return started_fresh;
}

}  // namespace fc::faceptor::train
