#include "faceptor/train/trainer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "faceptor/eval/evaluate.h"
#include "nn/grad_utils.h"
#include "nn/norm.h"

namespace fc::faceptor::train {

namespace {

bool name_matches(const std::string& name, const std::vector<std::string>& trainable) {
  if (trainable.empty()) return true;
  for (const std::string& s : trainable)
    if (name.find(s) != std::string::npos) return true;
  return false;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  else
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

}  // namespace

uint64_t task_loader_seed(uint64_t seed, size_t index) { return Rng(seed).split(1000 + index).next_u64(); }

std::vector<ParamGroup> training_param_groups(FaceModel& model, MultiTaskObjective& objective,
                                              const OptimizerConfig& optimizer,
                                              const std::vector<std::string>& trainable) {
  // solver.py create_optimizer: "backbone" modules at backbone_multiplier; inside the heads,
  // interpreters, then decoder, then anything else at heads_multiplier; the losses at theirs.
  ParamGroupRules rules = optimizer.decay_all ? ParamGroupRules::faceptor_released() : ParamGroupRules{};
  rules.weight_decay = optimizer.weight_decay;
  rules.lr_rules = {{"encoder", "encoder", optimizer.backbone_multiplier},
                    {"interpreters", "interpreters", optimizer.interpreters_multiplier},
                    {"decoder", "decoder", optimizer.decoder_multiplier},
                    {"heads", "heads", optimizer.heads_multiplier}};
  std::vector<ParamGroup> groups = build_param_groups(model, rules);
  ParamGroup losses{"losses", {}, optimizer.losses_multiplier, -1.0};
  for (auto& [name, slot] : objective.named_parameters()) losses.parameters.emplace_back("losses." + name, slot);
  if (!losses.parameters.empty()) groups.push_back(losses);

  std::vector<ParamGroup> kept;
  for (ParamGroup& g : groups) {
    Module::NamedTensors params;
    for (auto& [name, slot] : g.parameters) {
      if (name_matches(name, trainable))
        params.emplace_back(name, slot);
      else
        slot->set_requires_grad(false);
    }
    if (!params.empty()) {
      g.parameters = std::move(params);
      kept.push_back(std::move(g));
    }
  }
  FC_CHECK(!kept.empty(), "training_param_groups: no parameter name contains any of the trainable substrings");
  return kept;
}

Trainer::Trainer(TrainConfig config, TrainerOptions options)
    : config_(std::move(config)), options_(std::move(options)), rng_(Rng(config_.seed).split(1)) {
  FC_CHECK(options_.datasets, "Trainer: TrainerOptions::datasets (the dataset factory) is required");
  if (options_.communicator != nullptr) communicator_ = options_.communicator;
  model_ = make_face_model(config_.model);
  ObjectiveOptions objective_options;
  objective_options.task_weights = config_.task_weights();
  for (const TrainTaskConfig& t : config_.tasks)
    if (t.classes > 0) objective_options.recognition_classes[t.name] = t.classes;
  // Recognition tasks of the model that are not trained still need a CosFace shape.
  for (const TaskSpec& t : config_.model.tasks)
    if (t.kind == TaskKind::recognition && !objective_options.recognition_classes.count(t.name))
      objective_options.recognition_classes[t.name] = 1;
  objective_ = std::make_unique<MultiTaskObjective>(config_.model, objective_options);

  Rng init_rng(config_.seed);
  model_->initialize(init_rng);
  objective_->initialize(init_rng);
  if (!config_.init.empty() && options_.resume.empty()) {
    const std::vector<std::string> fresh = load_initial_weights(config_.init, *model_, objective_.get());
    if (!fresh.empty()) {
      std::ostream& log = options_.log != nullptr ? *options_.log : std::cerr;
      log << "init: " << config_.init << ": " << fresh.size() << " tensors of tasks it lacks start fresh:";
      for (const std::string& name : fresh) log << " " << name;
      log << std::endl;
    }
  }

  groups_ = training_param_groups(*model_, *objective_, config_.optimizer, config_.trainable);
  AdamWOptions adamw;
  adamw.lr = config_.schedule.base_lr;
  adamw.beta1 = config_.optimizer.beta1;
  adamw.beta2 = config_.optimizer.beta2;
  adamw.eps = config_.optimizer.eps;
  adamw.weight_decay = config_.optimizer.weight_decay;
  optimizer_ = std::make_unique<AdamW>(groups_, adamw);
  park_gradients_between_steps(groups_);  // gradient buffers stay mapped from step to step
  schedule_ = std::make_unique<WarmupCosineSchedule>(WarmupCosineOptions{.warmup_start_lr = config_.schedule.base_lr,
                                                                         .peak_lr = config_.schedule.warmup_lr,
                                                                         .warmup_steps = config_.schedule.warmup_steps,
                                                                         .total_steps = config_.max_iter,
                                                                         .eta_min = config_.schedule.eta_min});

  for (const TrainTaskConfig& t : config_.tasks) {
    auto dataset = options_.datasets(*config_.model.find_task(t.name), t.dataset);
    FC_CHECK(dataset != nullptr && dataset->size() > 0, config_.source, ": task ", t.name, ": the dataset at ",
             t.dataset.root, " is empty");
    datasets_.push_back(dataset);
  }
  if (!options_.resume.empty()) {
    TrainState state = load_checkpoint(options_.resume, *model_, objective_.get(), optimizer_.get());
    step_ = state.step;
    rng_.set_state(state.rng);
    open_loaders(&state);
  } else {
    open_loaders(nullptr);
  }
  // After loading: a checkpoint may replace parameter tensors, and the buckets key on them.
  if (world_size() > 1) enable_data_parallel();
  model_->train();
  objective_->train();
}

Trainer::~Trainer() = default;

void Trainer::enable_data_parallel() {
  dist::Communicator* comm = communicator_;
  const CrossProcessSum sum_over_ranks = [comm](std::vector<double>& values) { comm->sum(values.data(), values.size()); };
  for (Module* root : {static_cast<Module*>(model_.get()), static_cast<Module*>(objective_.get())})
    for (auto& [name, m] : root->named_modules())
      if (auto* bn = dynamic_cast<BatchNorm*>(m)) bn->sync = sum_over_ranks;
  std::vector<Tensor*> parameters;
  for (const ParamGroup& g : groups_)
    for (const auto& [name, slot] : g.parameters) parameters.push_back(slot);
  buckets_ = std::make_unique<dist::GradientBuckets>(*communicator_, parameters, options_.bucket_floats);
}

void Trainer::open_loaders(const TrainState* resume) {
  loaders_.clear();
  for (size_t i = 0; i < config_.tasks.size(); ++i) {
    const TrainTaskConfig& t = config_.tasks[i];
    data::LoaderOptions opt;
    opt.task = t.name;
    opt.batch_size = t.batch_size;
    opt.workers = config_.workers;
    opt.seed = task_loader_seed(config_.seed, i);  // the same on every rank: they shard one stream
    opt.rank = rank();
    opt.world_size = world_size();
    opt.normalization = data::normalization_for_input_size(config_.model.find_task(t.name)->input_size);
    if (resume != nullptr) {
      auto it = resume->samplers.find(t.name);
      FC_CHECK(it != resume->samplers.end(), options_.resume, ": the checkpoint has no loader state for task ", t.name);
      // Rank 0 saved its own loaders; every rank has drawn as many samples, from its own shard.
      data::SamplerState saved = it->second;
      saved.rank = rank();
      try {
        opt = data::resume_options(opt, saved, datasets_[i]->size());
      } catch (const Error& e) {
        throw Error(str_cat(options_.resume, ": task ", t.name, ": ", e.what()));
      }
    }
    loaders_.push_back(std::make_unique<data::DataLoader>(datasets_[i], opt));
  }
}

TrainState Trainer::state() const {
  TrainState s;
  s.step = step_;
  s.rng = rng_.state();
  for (size_t i = 0; i < config_.tasks.size(); ++i) s.samplers[config_.tasks[i].name] = loaders_[i]->state();
  s.train_config = config_.json;
  return s;
}

StepResult Trainer::step() {
  std::vector<TaskBatch> batches;
  for (size_t i = 0; i < loaders_.size(); ++i) batches.push_back({config_.tasks[i].name, loaders_[i]->next()});

  ObjectiveResult r = objective_->forward(*model_, batches, &rng_);
  StepResult out;
  out.step = step_ + 1;
  // The losses reported (and checked) are the means over ranks, so every rank stops together.
  std::vector<double> losses{r.total.item()};
  for (const auto& [task, loss] : r.task_loss) losses.push_back(loss.item());
  if (world_size() > 1) {
    communicator_->sum(losses.data(), losses.size());
    for (double& v : losses) v /= world_size();
  }
  out.total = losses[0];
  size_t next_loss = 1;
  for (const auto& [task, loss] : r.task_loss) {
    const double value = losses[next_loss++];
    FC_CHECK(std::isfinite(value), "training stopped at step ", step_ + 1, ": the loss of task ", task, " is ", value,
             " (no checkpoint written from this state; lower the learning rate or check the task's data)");
    out.task_loss[task] = value;
  }
  if (buckets_) {
    run_backward(r.total, Tensor::ones(r.total.shape()), buckets_->leaf_ready_hook());
    buckets_->finish();  // every gradient is now the mean over ranks
    out.reduce = buckets_->last_timing();
  } else {
    r.total.backward();
  }
  r = ObjectiveResult{};  // frees the graph before the update

  out.grad_norm = config_.clip_grad_norm > 0 ? clip_grad_norm(groups_, config_.clip_grad_norm) : grad_norm([&] {
    std::vector<Tensor*> ps;
    for (const ParamGroup& g : groups_)
      for (const auto& [name, slot] : g.parameters) ps.push_back(slot);
    return ps;
  }());
  if (!std::isfinite(out.grad_norm)) {
    try {
      check_finite_gradients(groups_);
    } catch (const Error& e) {
      throw Error(str_cat("training stopped at step ", step_ + 1, ": ", e.what(), " (no checkpoint written)"));
    }
  }
  out.lr = schedule_->lr(official_schedule_iteration(step_));
  optimizer_->set_lr(out.lr);
  optimizer_->step();
  optimizer_->zero_grad();
  ++step_;
  return out;
}

std::string Trainer::checkpoint_path(int64_t step) const {
  char name[64];
  std::snprintf(name, sizeof name, "step_%07lld.safetensors", static_cast<long long>(step));
  return (std::filesystem::path(config_.checkpoint.dir) / name).string();
}

void Trainer::save_checkpoint(const std::string& path) {
  train::save_checkpoint(path, *model_, *objective_, *optimizer_, state());
}

void Trainer::remove_old_checkpoints() {
  if (config_.checkpoint.keep_last <= 0) return;
  while (written_checkpoints_.size() > static_cast<size_t>(config_.checkpoint.keep_last)) {
    std::error_code ignored;
    std::filesystem::remove(written_checkpoints_.front(), ignored);
    written_checkpoints_.erase(written_checkpoints_.begin());
  }
}

void Trainer::run() {
  // Only rank 0 speaks and writes; the others compute and wait for it in the next collective.
  std::ostream null_stream(nullptr);
  const bool leader = rank() == 0;
  std::ostream& log = !leader ? null_stream : options_.log != nullptr ? *options_.log : std::cerr;
  const bool tty = leader && options_.progress_line && options_.log == nullptr && isatty(STDERR_FILENO);
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const int64_t first_step = step_;
  auto evaluate = [&] {
    if (!options_.evaluate || !leader) return;
    if (tty) log << "\n";
    eval::EvalModeGuard model_mode(*model_), objective_mode(*objective_);
    options_.evaluate(*model_, step_);
  };
  auto checkpoint = [&] {
    if (!leader) return;
    std::filesystem::create_directories(config_.checkpoint.dir);
    const std::string path = checkpoint_path(step_);
    save_checkpoint(path);
    written_checkpoints_.push_back(path);
    remove_old_checkpoints();
    if (tty) log << "\n";
    log << "checkpoint: " << path << std::endl;
  };

  while (step_ < config_.max_iter) {
    StepResult r = step();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const double rate = static_cast<double>(step_ - first_step) / std::max(elapsed, 1e-9);
    const bool log_now = step_ % config_.log_interval == 0 || step_ == config_.max_iter;
    if (tty || log_now) {
      char head[160];
      std::snprintf(head, sizeof head, "step %lld/%lld  loss %.4f", static_cast<long long>(step_),
                    static_cast<long long>(config_.max_iter), r.total);
      std::string line = head;
      for (const auto& [task, loss] : r.task_loss) {
        char part[96];
        std::snprintf(part, sizeof part, "  %s %.4f", task.c_str(), loss);
        line += part;
      }
      char tail[160];
      std::snprintf(tail, sizeof tail, "  lr %.3g  %.2f it/s  ETA %s", r.lr, rate,
                    format_duration(static_cast<double>(config_.max_iter - step_) / rate).c_str());
      line += tail;
      if (tty)
        log << "\r\033[K" << line << std::flush;
      else
        log << line << std::endl;
    }
    // Checkpoint before evaluating, so a failing evaluation cannot cost the weights.
    if (!config_.checkpoint.dir.empty() && config_.checkpoint.interval > 0 &&
        step_ % config_.checkpoint.interval == 0 && step_ < config_.max_iter)
      checkpoint();
    if (config_.eval.interval > 0 && step_ % config_.eval.interval == 0 && step_ < config_.max_iter) evaluate();
  }
  if (tty) log << "\n";
  if (!config_.checkpoint.dir.empty()) checkpoint();
  if (config_.eval.interval > 0) evaluate();
}

}  // namespace fc::faceptor::train
