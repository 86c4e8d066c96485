// Reading the PyTorch training-step fixtures (tests/reference/make_train_fixtures.py) into what
// the step tests train: owned model and loss state, and one labelled batch per task.
//
//   TrainingState state = owned_training_state(converted.tensors);
//   model.load_state(state.model);
//   std::vector<TaskBatch> batches = fixture_task_batches(fx, converted.config);
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "faceptor/config.h"
#include "faceptor/train/objective.h"
#include "tests/support/fixture.h"

namespace fc::test {

// The converted checkpoint's tensors as owned copies, split into the model's and the objective's
// ("losses." dropped): training writes weights and BatchNorm running statistics in place, and the
// converter's tensors are read-only views of the mapped checkpoint.
struct TrainingState {
  std::map<std::string, Tensor> model, losses;
};
TrainingState owned_training_state(const std::vector<std::pair<std::string, Tensor>>& tensors);

// One batch per task of `config`: "input/<task>/images" and the task kind's label tensor
// ("input/<task>/identity", "age", "attributes", "expression", "parsing" or "landmarks").
std::vector<faceptor::train::TaskBatch> fixture_task_batches(const Fixture& fx, const faceptor::ModelConfig& config);

}  // namespace fc::test
