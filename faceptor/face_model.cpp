#include "faceptor/face_model.h"

#include "core/error.h"
#include "faceptor/model.h"
#include "faceptor/naive/model.h"

namespace fc::faceptor {

FaceModel::FaceModel(ModelConfig c) : config(std::move(c)), encoder(config.encoder) {
  config.validate("model config");
  register_module("encoder", &encoder);
}

std::vector<std::string> FaceModel::tasks_for_size(int input_size) const {
  std::vector<std::string> out;
  for (const TaskSpec& t : config.tasks)
    if (t.input_size == input_size) out.push_back(t.name);
  return out;
}

std::vector<std::string> FaceModel::check_run_request(const Tensor& input, std::vector<std::string> tasks,
                                                      const char* who) const {
  FC_CHECK(input.ndim() == 4 && input.size(2) == input.size(3), who, ": input ", input.shape(),
           " must be (B, 3, H, H)");
  const int size = static_cast<int>(input.size(2));
  if (tasks.empty()) tasks = tasks_for_size(size);
  FC_CHECK(!tasks.empty(), who, ": the model has no task for ", size, "x", size, " inputs");
  for (const std::string& name : tasks) {
    const TaskSpec* spec = config.find_task(name);
    FC_CHECK(spec != nullptr, who, ": unknown task '", name, "'");
    FC_CHECK(spec->input_size == size, who, ": task ", name, " takes ", spec->input_size, "x", spec->input_size,
             " inputs, got ", input.shape());
  }
  return tasks;
}

std::unique_ptr<FaceModel> make_face_model(const ModelConfig& config) {
  if (config.is_naive()) return std::make_unique<naive::NaiveFaceptorModel>(config);
  return std::make_unique<FaceptorModel>(config);
}

}  // namespace fc::faceptor
