// Tiny training runs for the trainer tests: a config with a very small model (encoder width 32,
// 2 layers; decoder hidden 16, 1 layer; 32-pixel inputs for the 112 tasks, 64 for the 512 tasks)
// and in-memory synthetic faces (faceptor/synth) as every task's dataset.
//
//   TempDir dir;
//   TrainConfig c = tiny_train_config(dir.root(), {"age_morph2", "align_300w"}, /*max_iter=*/10);
//   Trainer trainer(c, {.datasets = synth_datasets(16)});
//   TrainConfig n = tiny_naive_train_config(dir.root(), {"age_morph2", "align_300w"}, 10);
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "faceptor/train/trainer.h"

namespace fc::test {

// The JSON text of the config (tests edit it to check errors); `root` must exist.
std::string tiny_train_json(const std::string& root, const std::vector<std::string>& tasks, int64_t max_iter,
                            const std::string& extra_fields = "");
faceptor::train::TrainConfig tiny_train_config(const std::string& root, const std::vector<std::string>& tasks,
                                               int64_t max_iter, const std::string& extra_fields = "");

// The same run on a tiny Naive Faceptor (preset naive_base, encoder as above, attribute heads 16
// channels, dense heads 8 with pool scales [1, 2], the released dropout rates 0.5 / 0.1).
std::string tiny_naive_train_json(const std::string& root, const std::vector<std::string>& tasks, int64_t max_iter,
                                  const std::string& extra_fields = "");
faceptor::train::TrainConfig tiny_naive_train_config(const std::string& root, const std::vector<std::string>& tasks,
                                                     int64_t max_iter, const std::string& extra_fields = "");

// `count` synthetic faces rendered at each task's input size, with every label the renderer
// knows (identity, age, attributes, expression, parsing, 68 landmarks).
faceptor::train::DatasetFactory synth_datasets(int count);

}  // namespace fc::test
