#include "tests/support/train_step_fixture.h"

namespace fc::test {

TrainingState owned_training_state(const std::vector<std::pair<std::string, Tensor>>& tensors) {
  TrainingState state;
  for (const auto& [name, t] : tensors) {
    if (name.rfind("losses.", 0) == 0)
      state.losses.emplace(name.substr(7), t.clone());
    else
      state.model.emplace(name, t.clone());
  }
  return state;
}

std::vector<faceptor::train::TaskBatch> fixture_task_batches(const Fixture& fx, const faceptor::ModelConfig& config) {
  using faceptor::TaskKind;
  std::vector<faceptor::train::TaskBatch> batches;
  for (const faceptor::TaskSpec& t : config.tasks) {
    const std::string p = "input/" + t.name + "/";
    faceptor::data::Batch b;
    b.images = fx.get(p + "images");
    b.names.assign(static_cast<size_t>(b.images.size(0)), t.name);
    switch (t.kind) {
      case TaskKind::recognition: b.identity = fx.get(p + "identity"); break;
      case TaskKind::age: b.age = fx.get(p + "age"); break;
      case TaskKind::attributes: b.attributes = fx.get(p + "attributes"); break;
      case TaskKind::expression: b.expression = fx.get(p + "expression"); break;
      case TaskKind::parsing: b.parsing = fx.get(p + "parsing"); break;
      case TaskKind::landmarks: b.landmarks = fx.get(p + "landmarks"); break;
    }
    batches.push_back({t.name, std::move(b)});
  }
  return batches;
}

}  // namespace fc::test
