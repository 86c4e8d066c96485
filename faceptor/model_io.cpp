#include "faceptor/model_io.h"

#include "core/buffer_pool.h"

#include "core/error.h"
#include "faceptor/naive/model.h"
#include "weights/safetensors.h"

namespace fc::faceptor {
namespace {

ModelConfig config_of(const SafetensorsFile& file, const std::string& path) {
  auto it = file.metadata().find(kConfigMetadataKey);
  FC_CHECK(it != file.metadata().end(), path, ": no '", kConfigMetadataKey,
           "' in the safetensors metadata; not a faceptor.cpp model (convert checkpoints with `faceptor convert`)");
  return ModelConfig::from_json(it->second, path);
}

}  // namespace

ModelConfig read_model_config(const std::string& path) { return config_of(SafetensorsFile::open(path), path); }

namespace {

void load_weights(FaceModel& model, const SafetensorsFile& file, const std::string& path) {
  std::map<std::string, Tensor> tensors;
  for (const std::string& name : file.names())
    if (name.rfind("losses.", 0) != 0 && name.rfind("optimizer.", 0) != 0) tensors[name] = file.get(name);
  model.eval();  // before loading, so buffers stay zero-copy views of the file too (Module::train)
  LoadReport report = model.load_state(tensors);
  FC_CHECK(report.ok(), path, ": weights do not match the model its config describes:\n", report.summary());
  // The constructor's placeholder parameters (never touched, ~400 MiB for Base) were just replaced
  // by views of the file and parked in the buffer pool. Parked bytes count against the pool's cap
  // whether resident or not, so left there they would crowd out the activation blocks the passes
  // reuse (the largest are unmapped first: 20 fresh 16 MiB maps per Base pass). Loading is rare:
  // unmap what is parked.
  BufferPool::process().trim();
}

}  // namespace

std::unique_ptr<FaceptorModel> load_model(const std::string& path) {
  SafetensorsFile file = SafetensorsFile::open(path);
  ModelConfig config = config_of(file, path);
  FC_CHECK(!config.is_naive(), path, ": a Naive Faceptor model; load it with load_face_model");
  auto model = std::make_unique<FaceptorModel>(std::move(config));
  load_weights(*model, file, path);
  return model;
}

std::unique_ptr<FaceModel> load_face_model(const std::string& path) {
  SafetensorsFile file = SafetensorsFile::open(path);
  ModelConfig config = config_of(file, path);
  std::unique_ptr<FaceModel> model;
  if (config.is_naive()) model = std::make_unique<naive::NaiveFaceptorModel>(std::move(config));
  else model = std::make_unique<FaceptorModel>(std::move(config));
  load_weights(*model, file, path);
  return model;
}

void write_model_file(const std::string& path, const ModelConfig& config,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      std::map<std::string, std::string> metadata, const std::function<void(size_t, size_t)>& progress) {
  metadata[kConfigMetadataKey] = config.to_json();
  metadata["format"] = "pt";  // what the safetensors reference tools expect for PyTorch-layout weights
  write_safetensors(path, tensors, metadata, progress);
}

void save_model(FaceModel& model, const std::string& path, const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (auto& [name, t] : model.named_parameters()) tensors.emplace_back(name, *t);
  for (auto& [name, t] : model.named_buffers()) tensors.emplace_back(name, *t);
  write_model_file(path, model.config, tensors, metadata);
}

}  // namespace fc::faceptor
