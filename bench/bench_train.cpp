// Whole-model training: one step of a Faceptor-Base model with random weights, per task, timed
// by phase: forward (encoder, decoder, head, loss), backward, optimizer (clip_grad_norm at 5, AdamW
// over the recipe's parameter groups, zero_grad), as the Trainer takes it. Steps: a 112 batch of 8
// for age, attributes and expression; a 512 batch of 1 for parsing and landmarks. Also the
// process's peak RSS (weights + gradients + AdamW state + the largest step's activations). When
// /usr/bin/python3 has torch, bench/torch_train_baseline.py times our PyTorch training reference
// (tests/reference/faceptor_training_reference.py) on the same steps and thread count, and the
// table shows PyTorch / ours per phase and its peak RSS beside ours.
//
//   build/bench_train            # 1 and 2 threads, every step, best of 2 rounds x 2 after two warm-up steps
//   build/bench_train --quick    # 1 thread, age and landmarks, best of 1 after two warm-up steps
//   build/bench_train --no-torch # ours only
//   build/bench_train --quick --steps landmarks   # just those rows (comma-separated names)
//   build/bench_train --steps age --threads 2 --reps 10   # one thread count, more timed steps (profiling)
//   build/bench_train --cache-mib 2048   # BufferPool cache limit 2 GiB beyond the working-set peak
//                                        # (default, as in the Trainer: 256 MiB + the gradients' bytes)
//
// The PyTorch baseline runs as bench_model's does: OpenBLAS's own kernels (OPENBLAS_CORETYPE and
// OPENBLAS_L2_SIZE unset) and glibc malloc told to keep large buffers. On a shared machine the
// process CPU time columns are the steadier figure.
#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/process_stats.h"
#include "core/buffer_pool.h"
#include "core/random.h"
#include "faceptor/model.h"
#include "faceptor/train/objective.h"
#include "faceptor/train/trainer.h"
#include "nn/grad_utils.h"
#include "nn/optimizer.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::faceptor::train;

namespace {

using Clock = std::chrono::steady_clock;
const Clock::time_point kStart = Clock::now();  // so a profiler's delay (perf record -D) can skip the setup

using bench::cpu_seconds;
using bench::status_mib;

int64_t minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

struct StepSpec {
  std::string name, task;
  int batch;
};

// The same table is in bench/torch_train_baseline.py (STEPS).
const std::vector<StepSpec> kSteps = {{"age", "age_morph2", 8},
                                      {"attributes", "biattr_celeba", 8},
                                      {"expression", "affect_affectnet", 8},
                                      {"parsing", "parsing_celebam", 1},
                                      {"landmarks", "align_300w", 1}};
const char* kPhases[] = {"forward", "backward", "optimizer"};

struct PhaseTimes {
  double wall[3] = {1e300, 1e300, 1e300}, cpu[3] = {1e300, 1e300, 1e300};  // ms, best over reps
  double wall_total() const { return wall[0] + wall[1] + wall[2]; }
  double cpu_total() const { return cpu[0] + cpu[1] + cpu[2]; }
};

// Random images and labels of the kind the task's loss takes (batch.h).
data::Batch random_batch(const TaskSpec& task, int batch, Rng& rng) {
  const int S = task.input_size;
  data::Batch b;
  for (int i = 0; i < batch; ++i) b.names.push_back("random_" + std::to_string(i));
  b.images = Tensor::rand({batch, 3, S, S}, rng, -1.f, 1.f);
  auto integers = [&](int64_t count, uint64_t below) {
    std::vector<float> v(count);
    for (float& x : v) x = static_cast<float>(rng.below(below));
    return v;
  };
  switch (task.kind) {
    case TaskKind::age: b.age = Tensor::from_vector(integers(batch, 90), {batch}); break;
    case TaskKind::attributes: b.attributes = Tensor::from_vector(integers(batch * 40, 2), {batch, 40}); break;
    case TaskKind::expression: b.expression = Tensor::from_vector(integers(batch, 7), {batch}); break;
    case TaskKind::parsing:
      b.parsing = Tensor::from_vector(integers(int64_t(batch) * S * S, 19), {batch, S, S});
      break;
    case TaskKind::landmarks: b.landmarks = Tensor::rand({batch, 68, 2}, rng, 0.2f * S, 0.8f * S); break;
    case TaskKind::recognition: b.identity = Tensor::from_vector(integers(batch, 1), {batch}); break;
  }
  return b;
}

struct Training {
  explicit Training(const ModelConfig& config) : model(config) {
    ObjectiveOptions options;
    for (const TaskSpec& t : config.tasks)
      if (t.kind == TaskKind::recognition) options.recognition_classes[t.name] = 1;  // not trained here
    objective = std::make_unique<MultiTaskObjective>(config, options);
    Rng rng(11);
    model.initialize(rng);
    objective->initialize(rng);
    groups = training_param_groups(model, *objective, OptimizerConfig{}, {});
    optimizer = std::make_unique<AdamW>(groups, AdamWOptions{.lr = 1e-5, .weight_decay = 0.05});
    park_gradients_between_steps(groups);  // as the Trainer does
    model.train();
  }
  FaceptorModel model;
  std::unique_ptr<MultiTaskObjective> objective;
  std::vector<ParamGroup> groups;
  std::unique_ptr<AdamW> optimizer;
};

PhaseTimes time_step(Training& t, const StepSpec& step, int reps) {
  const TaskSpec& task = *t.model.config.find_task(step.task);
  Rng rng(3);
  const std::vector<TaskBatch> batches = {{step.task, random_batch(task, step.batch, rng)}};
  PhaseTimes best;
  int64_t faults = 0, maps = 0;
  // Two warm-up steps: the first allocates the AdamW state, which lowers what the buffer pool may
  // keep parked, so the second still maps (and the kernel zeroes) a few fresh blocks.
  constexpr int kWarmUp = 2;
  for (int rep = 1 - kWarmUp; rep <= reps; ++rep) {
    if (rep == 1) faults = minor_faults(), maps = BufferPool::process().stats().fresh_maps;
    double wall[4], cpu[4];
    auto mark = [&](int i) {
      wall[i] = std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
      cpu[i] = cpu_seconds() * 1e3;
    };
    mark(0);
    ObjectiveResult r = t.objective->forward(t.model, batches);
    const double loss = r.total.item();
    mark(1);
    r.total.backward();
    r = ObjectiveResult{};  // frees the graph, as the Trainer does before the update
    mark(2);
    clip_grad_norm(t.groups, 5.0);
    t.optimizer->step();
    t.optimizer->zero_grad();
    mark(3);
    if (!std::isfinite(loss)) std::printf("  (warning: %s loss %g)\n", step.name.c_str(), loss);
    if (rep <= 0) {
      if (rep == 0)
        std::printf("  (%s warm-up steps done %.1f s after start)\n", step.name.c_str(),
                    std::chrono::duration<double>(Clock::now() - kStart).count());
      continue;
    }
    for (int p = 0; p < 3; ++p) {
      best.wall[p] = std::min(best.wall[p], wall[p + 1] - wall[p]);
      best.cpu[p] = std::min(best.cpu[p], cpu[p + 1] - cpu[p]);
    }
  }
  // Reused buffers cost no faults: what remains is first touches of fresh maps and small mallocs.
  std::printf("  %s: %.0f page faults and %.0f fresh buffer maps per timed step (pool peak %.0f MiB)\n",
              step.name.c_str(), double(minor_faults() - faults) / reps,
              double(BufferPool::process().stats().fresh_maps - maps) / reps,
              BufferPool::process().stats().peak_live_bytes / 1048576.0);
  return best;
}

bool torch_available() {
  return std::filesystem::exists("/usr/bin/python3") &&
         std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

// Runs bench/torch_train_baseline.py in the fair-baseline environment; empty on failure.
nlohmann::json run_torch(int threads, int reps, const std::vector<StepSpec>& steps) {
  std::string names;
  for (const StepSpec& s : steps) names += (names.empty() ? "" : ",") + s.name;
  const std::string t = std::to_string(threads);
  const std::string cmd =
      "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=" + t + " OPENBLAS_NUM_THREADS=" + t +
      " MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_MMAP_THRESHOLD_=33554432"
      " GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967296:glibc.malloc.mmap_threshold=33554432"
      " /usr/bin/python3 " FC_SOURCE_DIR "/bench/torch_train_baseline.py --threads " + t + " --reps " +
      std::to_string(reps) + " --steps " + names;
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {};
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  if (pclose(p) != 0) {
    std::printf("  (torch baseline failed: %s)\n", out.c_str());
    return {};
  }
  const auto end = out.find_last_not_of('\n');
  const auto start = out.rfind('\n', end);
  return nlohmann::json::parse(out.substr(start == std::string::npos ? 0 : start + 1), nullptr, false);
}

void report(int threads, const std::vector<StepSpec>& steps, const std::map<std::string, PhaseTimes>& ours,
            const nlohmann::json& torch) {
  const bool with_torch = torch.is_object() && torch.contains("steps");
  std::printf("\nFaceptor-Base training step, %d thread%s (ms, best; speed-up = PyTorch / ours)\n", threads,
              threads > 1 ? "s" : "");
  for (const bool cpu : {false, true}) {
    std::printf("  %-22s %9s %9s %9s %9s", cpu ? "process CPU time" : "wall time", "forward", "backward", "optimizer",
                "step");
    if (with_torch) std::printf(" | %9s %9s %9s %9s | %s", "torch fwd", "bwd", "opt", "step", "speed-up fwd/bwd/opt/step");
    std::printf("\n");
    for (const StepSpec& s : steps) {
      const PhaseTimes& o = ours.at(s.name);
      const double* ph = cpu ? o.cpu : o.wall;
      const int size = s.batch == 1 ? 512 : 112;
      char label[64];
      std::snprintf(label, sizeof label, "%s %d x%d", s.name.c_str(), size, s.batch);
      std::printf("  %-22s %9.0f %9.0f %9.0f %9.0f", label, ph[0], ph[1], ph[2], cpu ? o.cpu_total() : o.wall_total());
      if (with_torch) {
        const nlohmann::json& j = cpu ? torch["steps"][s.name]["cpu"] : torch["steps"][s.name];
        double tp[3], total = 0;
        for (int p = 0; p < 3; ++p) total += tp[p] = j[kPhases[p]].get<double>();
        const double ours_total = cpu ? o.cpu_total() : o.wall_total();
        std::printf(" | %9.0f %9.0f %9.0f %9.0f | %.2fx %.2fx %.2fx %.2fx", tp[0], tp[1], tp[2], total, tp[0] / ph[0],
                    tp[1] / ph[1], tp[2] / ph[2], total / ours_total);
      }
      std::printf("\n");
    }
  }
  if (with_torch) std::printf("  PyTorch peak RSS: %.0f MiB\n", torch["peak_rss_mib"].get<double>());
}

// Per phase, the faster of what is kept and a new round.
void keep_best(PhaseTimes& best, const PhaseTimes& round) {
  for (int p = 0; p < 3; ++p) {
    best.wall[p] = std::min(best.wall[p], round.wall[p]);
    best.cpu[p] = std::min(best.cpu[p], round.cpu[p]);
  }
}
// The same for PyTorch's JSON ({"steps": {step: {phase: ms, "cpu": {phase: ms}}}, "peak_rss_mib":
// n}); a failed round (not an object) leaves what is kept.
void keep_best(nlohmann::json& best, const nlohmann::json& round) {
  if (!round.is_object()) return;
  if (!best.is_object()) {
    best = round;
    return;
  }
  for (const auto& [step, phases] : round["steps"].items())
    for (const char* phase : {"forward", "backward", "optimizer"}) {
      nlohmann::json& kept = best["steps"][step];
      kept[phase] = std::min(kept[phase].get<double>(), phases[phase].get<double>());
      kept["cpu"][phase] = std::min(kept["cpu"][phase].get<double>(), phases["cpu"][phase].get<double>());
    }
  best["peak_rss_mib"] = std::max(best["peak_rss_mib"].get<double>(), round["peak_rss_mib"].get<double>());
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when redirected to a file (a run takes minutes)
  bool quick = false, with_torch = true;
  std::string only;  // --steps age,landmarks: just those rows (for profiling one step)
  long long cache_mib = -1;
  int only_threads = 0, reps_arg = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--steps") == 0 && i + 1 < argc) only = "," + std::string(argv[++i]) + ",";
    quick |= std::strcmp(argv[i], "--quick") == 0;
    with_torch &= std::strcmp(argv[i], "--no-torch") != 0;
    if (std::strcmp(argv[i], "--cache-mib") == 0 && i + 1 < argc) cache_mib = std::atoll(argv[++i]);
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) only_threads = std::atoi(argv[++i]);
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps_arg = std::atoi(argv[++i]);
  }
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    double load = 0;
    if (std::fscanf(f, "%lf", &load) == 1)
      std::printf("load average %.2f on %d hardware threads%s\n", load, omp_get_num_procs(),
                  load > 0.5 * omp_get_num_procs() ? " (busy: wall timings are noisy; CPU times are steadier)" : "");
    std::fclose(f);
  }
  with_torch = with_torch && torch_available();
  if (!with_torch) std::printf("PyTorch baseline: skipped (no /usr/bin/python3 with torch, or --no-torch)\n");
  const int reps = reps_arg > 0 ? reps_arg : quick ? 1 : 2, rounds = quick || reps_arg > 0 ? 1 : 2;
  const int min_threads = only_threads > 0 ? only_threads : 1;
  const int max_threads = only_threads > 0 ? only_threads : quick ? 1 : std::min(2, omp_get_num_procs());
  std::vector<StepSpec> steps = kSteps;
  if (quick) steps = {kSteps[0], kSteps[4]};
  if (!only.empty()) {
    steps.clear();
    for (const StepSpec& s : kSteps)
      if (only.find("," + s.name + ",") != std::string::npos) steps.push_back(s);
  }

  Training training(ModelConfig::faceptor_base());
  if (cache_mib >= 0) BufferPool::process().set_cache_limit(size_t(cache_mib) << 20);  // overrides the Trainer's
  int64_t params = 0;
  for (auto& g : training.groups)
    for (auto& [name, slot] : g.parameters) params += slot->numel();
  const double weight_mib = params * 4.0 / (1 << 20);
  std::printf("Faceptor-Base: %.1f M trained parameters (%.0f MiB fp32; with gradients and AdamW state %.0f MiB)\n",
              params * 1e-6, weight_mib, 4 * weight_mib);
  for (int t = min_threads; t <= max_threads; ++t) {
    omp_set_num_threads(t);
    // Rounds alternate ours and PyTorch, each side keeping its best per phase: this VM has slow
    // spells of tens of seconds (every core ~15% slower) that would otherwise land on one side.
    std::map<std::string, PhaseTimes> ours;
    nlohmann::json torch;
    for (int round = 0; round < rounds; ++round) {
      for (const StepSpec& s : steps) keep_best(ours[s.name], time_step(training, s, reps));
      if (with_torch) keep_best(torch, run_torch(t, reps, steps));
    }
    const double ours_rss = status_mib("VmHWM:");
    report(t, steps, ours, torch);
    std::printf("  ours peak RSS (VmHWM, so far) %.0f MiB = %.2fx the weights + gradients + AdamW state", ours_rss,
                ours_rss / (4 * weight_mib));
    if (torch.is_object() && torch.contains("peak_rss_mib"))
      std::printf("; PyTorch / ours %.2fx", torch["peak_rss_mib"].get<double>() / ours_rss);
    std::printf("\n");
  }
  return 0;
}
