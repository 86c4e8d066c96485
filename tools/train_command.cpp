// `faceptor train CONFIG.json`: multi-task training from a JSON recipe (faceptor/train/).
#include <omp.h>

#include <iostream>

#include "core/error.h"
#include "dist/communicator.h"
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
      {"out", "DIR", "checkpoint directory (overrides checkpoint.dir)"},
      {"dist-timeout", "S", "under mpirun: fail when a collective makes no progress for S seconds\n"
                            "(a dead or hung rank; default 600)"}};
  ParsedArgs args = parse_args("faceptor train", argv, options);
  if (args.help) {
    std::cout << "usage: faceptor train CONFIG.json [options]\n\n"
                 "Trains a Faceptor model (or a Naive Faceptor: \"model\": \"naive_base\") on every task of\n"
                 "the config at once (one batch per task per step), writing atomic checkpoints that are\n"
                 "also model files (faceptor analyze --weights, faceptor eval).\n"
                 "The config format is described in faceptor/train/train_config.h. Tasks with a\n"
                 "test_dataset are evaluated every eval.interval steps and at the end (results appended\n"
                 "to <checkpoint dir>/eval.jsonl).\n\n"
                 "Data parallel: `mpirun -np N faceptor train CONFIG.json` trains on N processes;\n"
                 "batch_size is per process (global batch = batch_size x N), gradients are averaged\n"
                 "and BatchNorm statistics synchronised; rank 0 logs, evaluates and writes the checkpoints.\n\n"
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
  fc::dist::CommunicatorOptions dist_options;
  if (auto v = args.value("dist-timeout")) dist_options.timeout_seconds = parse_int("--dist-timeout", *v, 1, 1 << 24);
  std::unique_ptr<fc::dist::Communicator> communicator = fc::dist::open_communicator(dist_options);

  faceptor::train::TrainerOptions trainer_options;
  if (auto v = args.value("resume")) trainer_options.resume = *v;
  const std::string source = config.source;
  trainer_options.datasets = [source](const faceptor::TaskSpec& task, const faceptor::train::DatasetRef& ref) {
    faceptor::data::DatasetSpec spec = faceptor::data::parse_dataset_spec(ref.json, source);
    auto raw = faceptor::data::open_dataset(spec);
    return std::shared_ptr<const faceptor::data::Dataset>(std::make_shared<faceptor::data::TransformedDataset>(
        raw, faceptor::data::train_transform_for(task, spec)));
  };
  if (config.eval.interval > 0 && communicator->rank() == 0) {
    trainer_options.evaluate = faceptor::train::make_eval_hook(config, std::cerr);
    if (!trainer_options.evaluate)
      std::cerr << "note: eval.interval is set but no task has a test_dataset: nothing is evaluated\n";
  }
  trainer_options.communicator = communicator.get();
  try {
    faceptor::train::Trainer trainer(config, trainer_options);
    if (communicator->rank() == 0)
      std::cerr << "training " << config.tasks.size() << " tasks from step " << trainer.current_step() << " to "
                << config.max_iter << (config.checkpoint.dir.empty() ? " (no checkpoint dir: nothing is saved)" : "")
                << (communicator->world_size() > 1 ? str_cat(" on ", communicator->world_size(), " MPI ranks") : "")
                << "\n";
    trainer.run();
  } catch (const std::exception& e) {
    if (communicator->world_size() == 1) throw;
    // One rank failing must stop the job: the others would wait for it in the next collective.
    std::cerr << "faceptor train: rank " << communicator->rank() << ": " << e.what() << std::endl;
    communicator->abort(1);
  }
  return 0;
}

}  // namespace fc::tools
