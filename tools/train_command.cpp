// `faceptor train CONFIG.json`: multi-task training from a JSON recipe (faceptor/train/).
#include <omp.h>

#include <iostream>

#include "faceptor/data/open_dataset.h"
#include "faceptor/train/train_eval.h"
#include "faceptor/train/trainer.h"
#include "tools/cli_args.h"
#include "tools/commands.h"

namespace fc::tools {

int train_command(const std::vector<std::string>& argv) {
  const std::vector<OptionSpec> options = {
      {"resume", "CKPT", "continue a run from its checkpoint (bit-exact)"},
      {"max-iter", "N", "train until step N (overrides max_iter; also the schedule's length)"},
      {"threads", "N", "OpenMP threads (overrides the config's threads; default: all cores)"},
      {"out", "DIR", "checkpoint directory (overrides checkpoint.dir)"}};
  ParsedArgs args = parse_args("faceptor train", argv, options);
  if (args.help) {
    std::cout << "usage: faceptor train CONFIG.json [options]\n\n"
                 "Trains a Faceptor model on every task of the config at once (one batch per task per\n"
                 "step), writing atomic checkpoints that are also model files (faceptor analyze --weights).\n"
                 "The config format is described in faceptor/train/train_config.h. Tasks with a\n"
                 "test_dataset are evaluated every eval.interval steps and at the end (results appended\n"
                 "to <checkpoint dir>/eval.jsonl).\n\n"
              << options_help(options);
    return 0;
  }
  if (args.positional.size() != 1)
    throw UsageError("faceptor train: expected one config file, got " + std::to_string(args.positional.size()));
  std::optional<int> max_iter, threads;
  if (auto v = args.value("max-iter")) max_iter = parse_int("--max-iter", *v, 1, 1 << 30);
  if (auto v = args.value("threads")) threads = parse_int("--threads", *v, 1, 4096);

  faceptor::train::TrainConfig config = faceptor::train::load_train_config(args.positional[0]);
  if (max_iter) config.max_iter = *max_iter;
  if (auto v = args.value("out")) config.checkpoint.dir = *v;
  if (threads) config.threads = *threads;
  if (config.threads > 0) omp_set_num_threads(config.threads);

  faceptor::train::TrainerOptions trainer_options;
  if (auto v = args.value("resume")) trainer_options.resume = *v;
  const std::string source = config.source;
  trainer_options.datasets = [source](const faceptor::TaskSpec& task, const faceptor::train::DatasetRef& ref) {
    faceptor::data::DatasetSpec spec = faceptor::data::parse_dataset_spec(ref.json, source);
    auto raw = faceptor::data::open_dataset(spec);
    return std::shared_ptr<const faceptor::data::Dataset>(std::make_shared<faceptor::data::TransformedDataset>(
        raw, faceptor::data::train_transform_for(task, spec)));
  };
  if (config.eval.interval > 0) {
    trainer_options.evaluate = faceptor::train::make_eval_hook(config, std::cerr);
    if (!trainer_options.evaluate)
      std::cerr << "note: eval.interval is set but no task has a test_dataset: nothing is evaluated\n";
  }
  faceptor::train::Trainer trainer(config, trainer_options);
  std::cerr << "training " << config.tasks.size() << " tasks from step " << trainer.current_step() << " to "
            << config.max_iter << (config.checkpoint.dir.empty() ? " (no checkpoint dir: nothing is saved)" : "")
            << "\n";
  trainer.run();
  return 0;
}

}  // namespace fc::tools
