// Evaluation during training: every task of the run with a "test_dataset" is scored with its
// official metric (eval/evaluate.h) every eval.interval steps and at the end; a compact table
// goes to the log and one JSON line per task is appended to <checkpoint.dir>/eval.jsonl (a
// resumed run continues the same file; no file without a checkpoint dir).
//
//   TrainerOptions options;
//   options.datasets = ...;
//   options.evaluate = make_eval_hook(config, std::cerr);   // opens the test sets now (bad paths fail first)
//   Trainer(config, options).run();
//
// A line of eval.jsonl:
//   {"step": 2500, "task": "align_300w", "samples": 689, "primary": "nme_inter_ocular",
//    "higher_is_better": false, "metrics": {"nme_inter_ocular": 0.0412, ...}}
// Recognition tasks are evaluated on LFW-style pairs ({"kind": "lfw_pairs", ...}, train_config.h):
// 10-fold verification accuracy, as `faceptor eval --pairs`.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "faceptor/eval/evaluate.h"
#include "faceptor/train/train_config.h"
#include "faceptor/train/trainer.h"

namespace fc::faceptor::train {

inline constexpr const char* kEvalLogName = "eval.jsonl";

// The test set of a non-recognition task with its test transform applied: data::open_dataset +
// data::test_transform_for. make_eval_hook's default; tests pass in-memory sets instead.
std::shared_ptr<const data::Dataset> open_test_dataset(const TaskSpec& task, const DatasetRef& ref);

// An EvalHook over the tasks of `config` that have a test_dataset (config.eval's batch_size and
// max_samples apply); an empty hook when none has one. Test sets and pairs files are opened
// here. `log` must outlive the hook.
EvalHook make_eval_hook(const TrainConfig& config, std::ostream& log,
                        const DatasetFactory& test_datasets = open_test_dataset);

// <checkpoint.dir>/eval.jsonl, or "" without a checkpoint dir.
std::string eval_log_path(const TrainConfig& config);

// One line of eval.jsonl (with its '\n'); non-finite metrics are written as null.
std::string eval_log_line(int64_t step, const eval::EvalResult& result);

}  // namespace fc::faceptor::train
