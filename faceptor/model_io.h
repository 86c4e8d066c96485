// Model files: one safetensors file holds the weights (float32, our names) and the ModelConfig
// as JSON in its metadata (key "faceptor_config"). Loading maps the file and the parameters are
// zero-copy views of it, so opening a model costs page-table set-up, not a read.
//
//   std::unique_ptr<FaceptorModel> m = load_model("weights/demo.safetensors");
//   save_model(*m, "copy.safetensors");
//   std::unique_ptr<FaceModel> any = load_face_model("naive.safetensors");  // either architecture
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faceptor/model.h"

namespace fc::faceptor {

// Throws naming the file: not safetensors, no or bad config, missing/unexpected/misshaped tensors.
// Tensors named "losses.*" and "optimizer.*" (training-only state, train/checkpoint.h) are
// ignored here, so a training checkpoint is a model file. The model is in eval mode.
// A Naive Faceptor file is an error here (naming load_face_model).
std::unique_ptr<FaceptorModel> load_model(const std::string& path);
// Faceptor or Naive Faceptor, as the file's config says (what the CLI runs).
std::unique_ptr<FaceModel> load_face_model(const std::string& path);
ModelConfig read_model_config(const std::string& path);

// Every parameter and buffer of `model`, atomically (temp file + rename).
void save_model(FaceModel& model, const std::string& path, const std::map<std::string, std::string>& metadata = {});

// The writer behind save_model and the converter.
void write_model_file(const std::string& path, const ModelConfig& config,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      std::map<std::string, std::string> metadata,
                      const std::function<void(size_t, size_t)>& progress = {});

}  // namespace fc::faceptor
