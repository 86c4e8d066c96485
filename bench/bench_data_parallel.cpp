// Data-parallel training throughput: the same small Faceptor model and per-rank batch on 1 and
// on 2 ranks (weak scaling: the global batch grows with the ranks), with the time per step split
// into compute and the gradient all-reduce (dist/gradient_buckets.h):
//   exposed   the wait in GradientBuckets::finish(): communication NOT hidden behind backward,
//             plus waiting for the slower rank (on a shared machine, most of it)
//   full      one blocking all-reduce of every gradient, timed alone: what a step would pay
//             without overlap (and what a slower network multiplies)
// A larger run's step is about compute + max(0, full x (network slowdown) - overlap window),
// where the overlap window is roughly the backward time after the first bucket fills.
//
//   build/bench_data_parallel               # 1 rank here, then `mpirun -np 2` of itself
//   mpirun -np 2 build/bench_data_parallel --child   # one measurement (what the driver runs)
//   options: --steps N (10), --batch B per rank (8), --width W (64), --layers L (4), --threads T (1),
//            --bucket-kib K (256: small enough that this small model's gradients fill several)
//
// Each rank runs T OpenMP threads; on this 2-core VM shared with other jobs, 2 ranks x 1 thread
// use both cores, so the numbers are noisy and an upper bound on what sharing costs.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "faceptor/train/trainer.h"
#include "tests/support/train_fixture.h"

using namespace fc;
using namespace fc::faceptor;

namespace {

struct Settings {
  int steps = 10, batch = 8, width = 64, layers = 4, threads = 1, bucket_kib = 256;
};

std::string config_json(const Settings& s) {
  return str_cat(R"({
    "model": {"preset": "base", "encoder": {"width": )", s.width, R"(, "layers": )", s.layers,
                 R"(, "heads": 4, "pos_grid": 4},
              "decoder": {"hidden": 32, "heads": 2, "ffn": 64, "layers": 1, "levels": [)", s.layers - 1, R"(]},
              "tasks": [{"name": "recog_ms1mv3", "input_size": 32}, {"name": "biattr_celeba", "input_size": 32},
                        {"name": "align_300w", "input_size": 64}]},
    "tasks": [{"name": "recog_ms1mv3", "dataset": {"kind": "identity_folders", "root": "."}, "batch_size": )",
                 s.batch, R"(, "classes": 64},
              {"name": "biattr_celeba", "dataset": {"kind": "celeba", "root": "."}, "batch_size": )", s.batch, R"(},
              {"name": "align_300w", "dataset": {"kind": "300w", "root": "."}, "batch_size": )", s.batch, R"(}],
    "schedule": {"base_lr": 1e-5, "warmup_lr": 1e-4}, "max_iter": 1000000, "workers": 1, "seed": 3,
    "checkpoint": {"dir": "unused"}
  })");
}

int child(const Settings& s) {
  std::unique_ptr<dist::Communicator> comm = dist::open_communicator({.timeout_seconds = 300});
  omp_set_num_threads(s.threads);
  train::TrainConfig config = train::parse_train_config(config_json(s), "bench");
  train::TrainerOptions options{.datasets = test::synth_datasets(64)};
  options.communicator = comm.get();
  options.bucket_floats = static_cast<size_t>(s.bucket_kib) * 1024 / sizeof(float);
  train::Trainer trainer(config, options);
  trainer.step();  // warm-up (page faults, buffer pool)
  using Clock = std::chrono::steady_clock;
  double exposed = 0;
  size_t floats = 0;
  int overlapped = 0, buckets = 0;
  comm->barrier();
  const auto start = Clock::now();
  for (int i = 0; i < s.steps; ++i) {
    train::StepResult r = trainer.step();
    exposed += r.reduce.exposed_seconds;
    floats = r.reduce.floats;
    overlapped = r.reduce.started_during_backward;
    buckets = r.reduce.buckets;
  }
  comm->barrier();
  const double step_seconds = std::chrono::duration<double>(Clock::now() - start).count() / s.steps;

  // One blocking all-reduce of all the gradients, alone (best of 5).
  double full = 0;
  if (comm->world_size() > 1) {
    std::vector<float> all(floats, 1.0f);
    full = 1e30;
    for (int i = 0; i < 5; ++i) {
      comm->barrier();
      const auto t0 = Clock::now();
      comm->start_sum(all.data(), all.size())->wait();
      full = std::min(full, std::chrono::duration<double>(Clock::now() - t0).count());
    }
  }
  if (comm->rank() == 0) {
    const int world = comm->world_size();
    const double samples = 3.0 * s.batch * world / step_seconds;  // 3 tasks
    std::printf("%5d  %9d  %9.1f  %10.1f  %11.2f  %8.2f  %9.1f  %7d/%d\n", world, s.batch * world,
                step_seconds * 1e3, samples, exposed / s.steps * 1e3, full * 1e3, floats * 4.0 / 1048576.0,
                overlapped, buckets);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  bool is_child = false;
  std::string passthrough;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (a == "--child") { is_child = true; continue; }
    int* field = a == "--steps" ? &s.steps : a == "--batch" ? &s.batch : a == "--width" ? &s.width
               : a == "--layers" ? &s.layers : a == "--threads" ? &s.threads
               : a == "--bucket-kib" ? &s.bucket_kib : nullptr;
    if (!field) {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
    *field = next();
    passthrough += " " + a + " " + std::to_string(*field);
  }
  if (is_child || dist::launched_by_mpi()) return child(s);
  std::printf("data-parallel training, encoder width %d x %d layers, batch %d per task per rank, %d thread(s) per rank, "
              "%d KiB buckets\n", s.width, s.layers, s.batch, s.threads, s.bucket_kib);
  std::printf("ranks  global_b  step_ms  samples/s  exposed_ms  full_ms  grad_MiB  buckets_overlapped\n");
  child(s);
  if (!dist::built_with_mpi() || std::system("command -v mpirun >/dev/null 2>&1") != 0) {
    std::printf("(no MPI in this build or no mpirun: 1 rank only)\n");
    return 0;
  }
  const std::string self = std::filesystem::canonical("/proc/self/exe").string();
  const std::string cmd = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe "
                          "--mca btl self,vader '" + self + "' --child" + passthrough;
  std::fflush(stdout);
  return std::system(cmd.c_str()) == 0 ? 0 : 1;
}
