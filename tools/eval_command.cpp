// `faceptor eval`: one task of a model file on a test set, with the official metric.
#include <omp.h>

#include <cmath>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "faceptor/data/open_dataset.h"
#include "faceptor/eval/evaluate.h"
#include "faceptor/model_io.h"
#include "tools/cli_args.h"
#include "tools/commands.h"
#include "weights/atomic_file.h"

namespace fc::tools {
namespace {

const std::vector<OptionSpec> kOptions = {
    {"weights", "W", "model file (.safetensors, from faceptor convert)"},
    {"task", "T", "task of the model to evaluate, e.g. align_300w, parsing_celebam, recog_ms1mv3"},
    {"dataset", "KIND", "dataset kind: celeba, celebamask_hq, lapa, 300w, wflw, rafdb, affectnet, utkface,\nsynth_headpose"},
    {"root", "DIR", "dataset root (recognition: the images root of --pairs)"},
    {"split", "S", "dataset split (default: test)"},
    {"pairs", "FILE", "recognition: LFW-style pairs.txt (images under --root)"},
    {"max-samples", "N", "evaluate the first N samples (recognition: pairs) only"},
    {"batch", "N", "batch size (default 16)"},
    {"json", "OUT.json", "also write the result as JSON (atomically)"},
    {"threads", "N", "OpenMP threads (default: all cores)"},
    {"progress", "", "progress on stderr"},
};

constexpr const char* kHelp =
    "usage: faceptor eval --weights W --task T --dataset KIND --root DIR [--split test] [options]\n"
    "       faceptor eval --weights W --task RECOGNITION_TASK --pairs pairs.txt --root IMAGES [options]\n"
    "\n"
    "Runs one task of the model over a test set and prints the official Faceptor metric\n"
    "(landmarks: NME, AUC/FR; parsing: F1 per class and mean; age: MAE, CS, eps-error;\n"
    "expression: accuracy; attributes: mean accuracy; recognition: 10-fold verification accuracy).\n"
    "Samples get the task's official test transform. The headline metric is marked '*'.\n\n";

std::string format_value(double v) {
  if (!std::isfinite(v)) return "nan";
  std::ostringstream out;
  out << std::fixed << std::setprecision(6) << v;
  return out.str();
}

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

int eval_command(const std::vector<std::string>& argv) {
  ParsedArgs args = parse_args("faceptor eval", argv, kOptions);
  if (args.help) {
    std::cout << kHelp << "options:\n" << options_help(kOptions);
    return 0;
  }
  if (!args.positional.empty()) throw UsageError("faceptor eval: unexpected argument '" + args.positional[0] + "'");
  for (const char* required : {"weights", "task", "root"})
    if (!args.value(required)) throw UsageError(std::string("faceptor eval: --") + required + " is required");
  const std::string weights = *args.value("weights"), task = *args.value("task"), root = *args.value("root");
  const bool pairs_mode = args.value("pairs").has_value();
  if (pairs_mode && args.value("dataset"))
    throw UsageError("faceptor eval: give either --pairs (recognition) or --dataset, not both");
  if (!pairs_mode && !args.value("dataset"))
    throw UsageError("faceptor eval: --dataset is required (or --pairs for a recognition task)");
  faceptor::data::DatasetSpec spec;
  if (!pairs_mode) {
    spec = {*args.value("dataset"), root, args.value("split").value_or("test")};
    const auto& kinds = faceptor::data::dataset_kinds();
    if (std::find(kinds.begin(), kinds.end(), spec.kind) == kinds.end()) {
      std::string known;
      for (const std::string& k : kinds) known += (known.empty() ? "" : ", ") + k;
      throw UsageError("faceptor eval: unknown dataset kind '" + spec.kind + "' (known: " + known + ")");
    }
  }
  faceptor::eval::EvalOptions options;
  if (auto v = args.value("batch")) options.batch_size = parse_int("--batch", *v, 1, 4096);
  if (auto v = args.value("max-samples")) options.max_samples = parse_int("--max-samples", *v, 1, 1 << 30);
  if (auto v = args.value("threads")) omp_set_num_threads(parse_int("--threads", *v, 1, 4096));
  options.progress = args.has("progress");

  std::unique_ptr<faceptor::FaceModel> model = faceptor::load_face_model(weights);  // either design
  model->eval();
  const faceptor::TaskSpec* task_spec = model->config.find_task(task);
  if (!task_spec) {
    std::string known;
    for (const faceptor::TaskSpec& t : model->config.tasks) known += (known.empty() ? "" : ", ") + t.name;
    throw UsageError("faceptor eval: " + weights + " has no task '" + task + "' (its tasks: " + known + ")");
  }
  const bool recognition = task_spec->kind == faceptor::TaskKind::recognition;
  if (recognition != pairs_mode)
    throw UsageError(recognition ? "faceptor eval: " + task + " is a recognition task: give --pairs pairs.txt"
                                 : "faceptor eval: --pairs is for recognition tasks; " + task + " needs --dataset");

  // Opened before the work so a bad output path fails first; removed again on any failure.
  std::unique_ptr<AtomicFileWriter> json_out;
  if (auto v = args.value("json")) json_out = std::make_unique<AtomicFileWriter>(*v);

  faceptor::eval::EvalResult result;
  nlohmann::json source;
  if (recognition) {
    std::vector<faceptor::data::FacePair> pairs = faceptor::data::read_lfw_pairs(*args.value("pairs"), root);
    result = faceptor::eval::evaluate_verification(*model, task, pairs, options);
    source = {{"pairs", *args.value("pairs")}, {"images_root", root}};
  } else {
    auto raw = faceptor::data::open_dataset(spec);
    faceptor::data::TransformedDataset test_set(raw, faceptor::data::test_transform_for(*task_spec, spec));
    result = faceptor::eval::evaluate_task(*model, task, test_set, options);
    source = nlohmann::json::parse(faceptor::data::dataset_spec_to_json(spec));
  }

  std::cout << "task " << result.task << " (" << faceptor::task_kind_name(task_spec->kind) << "), " << result.samples
            << (recognition ? " pairs" : " samples") << ", "
            << (recognition ? "pairs " + *args.value("pairs") : spec.kind + " " + spec.root + " split " + spec.split)
            << "\n";
  size_t width = 0;
  for (const auto& [k, v] : result.metrics) width = std::max(width, k.size());
  std::cout << "  " << std::left << std::setw(static_cast<int>(width) + 2) << result.primary << format_value(result.metrics.at(result.primary))
            << "  * (" << (result.higher_is_better ? "higher" : "lower") << " is better)\n";
  for (const auto& [k, v] : result.metrics)
    if (k != result.primary) std::cout << "  " << std::left << std::setw(static_cast<int>(width) + 2) << k << format_value(v) << "\n";

  if (json_out) {
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& [k, v] : result.metrics) metrics[k] = json_number(v);
    nlohmann::json j = {{"task", result.task},
                        {"kind", faceptor::task_kind_name(task_spec->kind)},
                        {"weights", weights},
                        {"dataset", source},
                        {"samples", result.samples},
                        {"primary", result.primary},
                        {"higher_is_better", result.higher_is_better},
                        {"metrics", metrics}};
    std::string text = j.dump(2) + "\n";
    json_out->write(text.data(), text.size());
    json_out->commit();
  }
  return 0;
}

}  // namespace fc::tools
