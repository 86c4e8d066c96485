#include "faceptor/train/train_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "faceptor/data/open_dataset.h"
#include "faceptor/data/readers_labels.h"

namespace fc::faceptor::train {

namespace {

struct TestSet {
  std::string task;
  std::shared_ptr<const data::Dataset> samples;  // non-recognition tasks
  std::vector<data::FacePair> pairs;             // recognition tasks
};

struct EvalPlan {
  std::vector<TestSet> sets;
  eval::EvalOptions options;
  std::string log_path;
  std::ostream* log = nullptr;
};

void print_table(std::ostream& log, int64_t step, const std::vector<eval::EvalResult>& results,
                 const std::string& log_path) {
  log << "evaluation at step " << step << (log_path.empty() ? "" : " (appended to " + log_path + ")") << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-18s %8s  %-22s %10s\n", "task", "samples", "metric", "value");
  log << line;
  for (const eval::EvalResult& r : results) {
    std::snprintf(line, sizeof line, "  %-18s %8lld  %-22s %10.4f  (%s is better)\n", r.task.c_str(),
                  static_cast<long long>(r.samples), r.primary.c_str(), r.metrics.at(r.primary),
                  r.higher_is_better ? "higher" : "lower");
    log << line;
  }
  log << std::flush;
}

void run_plan(const EvalPlan& plan, const FaceModel& model, int64_t step) {
  std::vector<eval::EvalResult> results;
  for (const TestSet& set : plan.sets)
    results.push_back(set.samples ? eval::evaluate_task(model, set.task, *set.samples, plan.options)
                                  : eval::evaluate_verification(model, set.task, set.pairs, plan.options));
  print_table(*plan.log, step, results, plan.log_path);
  if (plan.log_path.empty()) return;
  // One write per evaluation, appended: an interrupted run leaves whole lines of the earlier ones.
  std::string text;
  for (const eval::EvalResult& r : results) text += eval_log_line(step, r);
  std::filesystem::create_directories(std::filesystem::path(plan.log_path).parent_path());
  std::ofstream out(plan.log_path, std::ios::app | std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.flush();
  FC_CHECK(out.good(), plan.log_path, ": cannot append the evaluation results");
}

}  // namespace

std::shared_ptr<const data::Dataset> open_test_dataset(const TaskSpec& task, const DatasetRef& ref) {
  data::DatasetSpec spec = data::parse_dataset_spec(ref.json, task.name + ".test_dataset");
  return std::make_shared<data::TransformedDataset>(data::open_dataset(spec), data::test_transform_for(task, spec));
}

std::string eval_log_path(const TrainConfig& config) {
  if (config.checkpoint.dir.empty()) return "";
  return (std::filesystem::path(config.checkpoint.dir) / kEvalLogName).string();
}

std::string eval_log_line(int64_t step, const eval::EvalResult& result) {
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const auto& [key, value] : result.metrics)
    metrics[key] = std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
  nlohmann::ordered_json line = {{"step", step},
                         {"task", result.task},
                         {"samples", result.samples},
                         {"primary", result.primary},
                         {"higher_is_better", result.higher_is_better},
                         {"metrics", metrics}};
  return line.dump() + "\n";
}

EvalHook make_eval_hook(const TrainConfig& config, std::ostream& log, const DatasetFactory& test_datasets) {
  auto plan = std::make_shared<EvalPlan>();
  plan->options.batch_size = config.eval.batch_size;
  plan->options.max_samples = config.eval.max_samples;
  plan->log_path = eval_log_path(config);
  plan->log = &log;
  for (const TrainTaskConfig& t : config.tasks) {
    if (!t.test_dataset) continue;
    const TaskSpec* spec = config.model.find_task(t.name);
    FC_CHECK(spec != nullptr, config.source, ": task ", t.name, " is not one of the model's");
    TestSet set{t.name, nullptr, {}};
    if (t.test_dataset->kind == kLfwPairsKind) {
      set.pairs = data::read_lfw_pairs(t.test_dataset->pairs, t.test_dataset->root);
      size_t used = set.pairs.size();
      if (config.eval.max_samples > 0) used = std::min(used, static_cast<size_t>(config.eval.max_samples));
      // Checked now, not at the first evaluation hours into the run.
      FC_CHECK(used >= 10, config.source, ": task ", t.name, ": ", used, " pairs from ", t.test_dataset->pairs,
               " (after eval.max_samples); 10-fold verification needs at least 10");
    } else {
      set.samples = test_datasets(*spec, *t.test_dataset);
      FC_CHECK(set.samples != nullptr && set.samples->size() > 0, config.source, ": task ", t.name,
               ": the test dataset at ", t.test_dataset->root, " is empty");
    }
    plan->sets.push_back(std::move(set));
  }
  if (plan->sets.empty()) return {};
  return [plan](const FaceModel& model, int64_t step) { run_plan(*plan, model, step); };
}

}  // namespace fc::faceptor::train
