// Whole-model inference: a Faceptor-Base model with random weights, one face, timed per stage:
// the 112 pass (encoder, recognition, decoder memory, age, attributes, expression) and the 512
// pass (encoder, decoder memory, pixel decoder, parsing, landmarks); the stage-2 Layer-Attention
// config (new_levels 1,3,5,7,9) too. Also: the time to open (mmap) a model file, the encoder
// passes' GFLOP/s against the measured fp32 FMA peak, and the peak RSS against the weight size.
// When /usr/bin/python3 has torch, bench/torch_baseline.py times our PyTorch reference on the same
// stages and thread count and the table shows ours / PyTorch per stage.
//
//   build/bench_model            # 1 and 2 threads, stage 1 and stage 2, best of 2 rounds x 3 after a warm-up
//   build/bench_model --quick    # 1 thread, stage 1, best of 1 after a warm-up
//   build/bench_model --no-torch # ours only
//   build/bench_model --memory   # also RSS and BufferPool bytes after each stage of the warm-up
//   build/bench_model --cache-mib 64   # BufferPool cache limit (default 256 MiB beyond the live peak)
//
// The PyTorch baseline runs with OpenBLAS's own kernels (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
// unset) and glibc malloc told to keep large buffers (each fresh 4 KiB page costs ~13 us on these
// VMs), so neither side pays for page faults the other avoids. Wall times on a shared machine are
// noisy; the process CPU time columns are steadier (with 2 threads they include OpenMP spinning).
#include <omp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/process_stats.h"
#include "bench/peak_flops.h"
#include "core/autograd.h"
#include "core/buffer_pool.h"
#include "core/random.h"
#include "faceptor/model.h"
#include "faceptor/model_io.h"
#include "faceptor/outputs.h"
#include "ops/elementwise.h"

using namespace fc;
using namespace fc::faceptor;

namespace {

using Clock = std::chrono::steady_clock;

using bench::cpu_seconds;
using bench::status_mib;

struct Timing {
  double wall_ms = 1e300, cpu_ms = 1e300;
};

struct Stage {
  std::string name;
  std::function<void()> run;
};

// The stages of both passes, in run order; each reads what the earlier ones left in `state`.
struct PassState {
  Tensor x112, x512;
  EncoderOutput enc112, enc512;
  DecoderMemory mem112, mem512;
  Tensor pixels;
};

std::vector<Stage> model_stages(const FaceptorModel& model, PassState& state) {
  // Every stage holds plain pointers by value: the stages outlive this function's frame.
  const FaceptorModel* m = &model;
  PassState* s = &state;
  auto value_task = [m](const DecoderMemory& mem, const char* task) {
    return m->value_interpreter->forward(m->decoder->run_queries(mem, task, false).output);
  };
  auto map_task = [m, s](const char* task) {
    return m->map_interpreter->forward(s->pixels, m->decoder->run_queries(s->mem512, task, false).output);
  };
  return {
      // Only the layers the heads read, as FaceptorModel::run keeps them.
      {"encoder 112", [m, s] { s->enc112 = m->encoder.forward(s->x112, nullptr, m->encoder_layers_read()); }},
      {"recognition", [m, s] { m->feature_interpreter->forward(s->enc112); }},
      {"memory 112", [m, s] { s->mem112 = m->decoder->build_memory(s->enc112); }},
      {"age", [s, value_task] { value_task(s->mem112, "age_morph2"); }},
      {"attributes", [s, value_task] { value_task(s->mem112, "biattr_celeba"); }},
      {"expression",
       [s, value_task] {
         value_task(s->mem112, "affect_affectnet");
         value_task(s->mem112, "affect_rafdb");
       }},
      {"encoder 512", [m, s] { s->enc512 = m->encoder.forward(s->x512, nullptr, m->encoder_layers_read()); }},
      {"memory 512", [m, s] { s->mem512 = m->decoder->build_memory(s->enc512); }},
      {"pixel decoder", [m, s] { s->pixels = m->map_interpreter->pixel_features(s->mem512.decoder_src, s->mem512.grid); }},
      {"parsing", [map_task] { map_task("parsing_celebam"); }},
      {"landmarks", [map_task] { landmarks_from_heatmaps(map_task("align_300w")); }},
  };
}

const std::vector<std::string> kPass112 = {"encoder 112", "recognition", "memory 112", "age", "attributes",
                                           "expression"};
const std::vector<std::string> kPass512 = {"encoder 512", "memory 512", "pixel decoder", "parsing", "landmarks"};

int64_t minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// Best wall and CPU time per stage over `reps` runs after one warm-up run; also prints the page
// faults and fresh buffer maps of the warm-up and of the timed runs (reused buffers: near 0).
// With `memory`, the warm-up run also prints after each stage the process's peak and current RSS
// and the BufferPool's live and parked bytes (where the peak RSS comes from).
std::map<std::string, Timing> time_stages(const FaceptorModel& model, int reps, bool memory) {
  NoGradGuard no_grad;
  PassState s;
  Rng rng(3);
  s.x112 = Tensor::rand({1, 3, 112, 112}, rng) * 2.f - 1.f;
  s.x512 = Tensor::rand({1, 3, 512, 512}, rng) * 2.f - 1.f;
  std::vector<Stage> stages = model_stages(model, s);
  std::map<std::string, Timing> best;
  int64_t faults = minor_faults(), maps = BufferPool::process().stats().fresh_maps;
  for (int rep = 0; rep <= reps; ++rep) {
    if (rep == 1) {
      const int64_t f = minor_faults(), m = BufferPool::process().stats().fresh_maps;
      std::printf("  warm-up: %lld page faults, %lld fresh buffer maps; ", static_cast<long long>(f - faults),
                  static_cast<long long>(m - maps));
      faults = f;
      maps = m;
    }
    // A new face each call: nothing of the previous run stays alive into this one.
    s.enc112 = s.enc512 = EncoderOutput();
    s.mem112 = s.mem512 = DecoderMemory();
    s.pixels = Tensor();
    for (const Stage& st : stages) {
      const auto start = Clock::now();
      const double start_cpu = cpu_seconds();
      st.run();
      if (rep == 0 && memory) {
        const BufferPool::Stats p = BufferPool::process().stats();
        std::printf("  after %-14s VmHWM %4.0f MiB, VmRSS %4.0f MiB; pool live %4.0f MiB (peak %4.0f), parked %4.0f MiB\n",
                    st.name.c_str(), status_mib("VmHWM:"), status_mib("VmRSS:"), p.live_bytes / 1048576.0,
                    p.peak_live_bytes / 1048576.0, p.parked_bytes / 1048576.0);
      }
      if (rep == 0) continue;
      Timing& t = best[st.name];
      t.wall_ms = std::min(t.wall_ms, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      t.cpu_ms = std::min(t.cpu_ms, (cpu_seconds() - start_cpu) * 1e3);
    }
  }
  std::printf("timed runs: %.0f page faults, %.1f fresh buffer maps per run\n",
              static_cast<double>(minor_faults() - faults) / reps,
              static_cast<double>(BufferPool::process().stats().fresh_maps - maps) / reps);
  return best;
}

// Encoder FLOPs for an S x S grid: patch conv, then per block qkv (3C^2), out (C^2), MLP (8C^2)
// per token and the two N x N x C attention products; multiply-add = 2 FLOPs.
double encoder_flops(const EncoderConfig& c, int input) {
  const double S = input / c.patch, N = 1 + S * S, C = c.width;
  return 2 * S * S * C * 3 * c.patch * c.patch + c.layers * (2 * N * 12 * C * C + 4 * N * N * C);
}

bool torch_available() {
  return std::filesystem::exists("/usr/bin/python3") &&
         std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

// Runs bench/torch_baseline.py in the fair-baseline environment; empty on failure.
nlohmann::json run_torch(int threads, int reps, const std::vector<int>& new_levels) {
  std::string levels;
  for (int l : new_levels) levels += (levels.empty() ? "" : ",") + std::to_string(l);
  const std::string t = std::to_string(threads);
  const std::string cmd =
      "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=" + t + " OPENBLAS_NUM_THREADS=" + t +
      " MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_MMAP_THRESHOLD_=33554432"
      " GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967296:glibc.malloc.mmap_threshold=33554432"
      " /usr/bin/python3 " FC_SOURCE_DIR "/bench/torch_baseline.py --threads " + t + " --reps " +
      std::to_string(reps) + (levels.empty() ? "" : " --new-levels " + levels);
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {};
  std::string out, last;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  if (pclose(p) != 0) {
    std::printf("  (torch baseline failed: %s)\n", out.c_str());
    return {};
  }
  auto end = out.find_last_not_of('\n');
  auto start = out.rfind('\n', end);
  last = out.substr(start == std::string::npos ? 0 : start + 1);
  return nlohmann::json::parse(last, nullptr, false);
}

// Builds and saves the random-weight models in a child process, so the parent's peak RSS counts
// only inference (the model file mapped + activations), not the construction.
void write_models(const std::string& base_path, const std::string& stage2_path) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (const auto& [path, stage2] : {std::pair{base_path, false}, std::pair{stage2_path, true}}) {
      ModelConfig c = ModelConfig::faceptor_base();
      if (stage2) c.decoder.new_levels = {1, 3, 5, 7, 9};
      FaceptorModel m(c);
      Rng rng(11);
      m.initialize(rng);
      save_model(m, path);
    }
    std::_Exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("writing the models failed");
}

double sum_over(const std::map<std::string, Timing>& t, const std::vector<std::string>& names, bool cpu) {
  double s = 0;
  for (const auto& n : names) s += cpu ? t.at(n).cpu_ms : t.at(n).wall_ms;
  return s;
}

double sum_over(const nlohmann::json& j, const std::vector<std::string>& names) {
  double s = 0;
  for (const auto& n : names) s += j.at(n).get<double>();
  return s;
}

void print_row(const std::string& name, double ours, double ours_cpu, const nlohmann::json& torch,
               double torch_wall, double torch_cpu) {
  std::printf("  %-22s %9.1f %9.1f", name.c_str(), ours, ours_cpu);
  if (torch.is_object())
    std::printf(" | %9.1f %9.1f | %5.2fx %5.2fx", torch_wall, torch_cpu, torch_wall / ours, torch_cpu / ours_cpu);
  std::printf("\n");
}

// Per stage, the faster of what is kept and a new round (wall and CPU time each).
void keep_best(std::map<std::string, Timing>& best, const std::map<std::string, Timing>& round) {
  for (const auto& [name, t] : round) {
    auto [it, fresh] = best.emplace(name, t);
    if (!fresh) {
      it->second.wall_ms = std::min(it->second.wall_ms, t.wall_ms);
      it->second.cpu_ms = std::min(it->second.cpu_ms, t.cpu_ms);
    }
  }
}
// The same for PyTorch's JSON ({"wall": {stage: ms}, "cpu": {...}, "peak_rss_mib": n}); a failed
// round (not an object) leaves what is kept.
void keep_best(nlohmann::json& best, const nlohmann::json& round) {
  if (!round.is_object()) return;
  if (!best.is_object()) {
    best = round;
    return;
  }
  for (const char* clock : {"wall", "cpu"})
    for (const auto& [name, ms] : round[clock].items())
      best[clock][name] = std::min(best[clock][name].get<double>(), ms.get<double>());
  best["peak_rss_mib"] = std::max(best["peak_rss_mib"].get<double>(), round["peak_rss_mib"].get<double>());
}

void report(const std::string& title, const ModelConfig& config, int threads, const fc::bench::Peak& peak,
            const std::map<std::string, Timing>& ours, const nlohmann::json& torch) {
  std::printf("\n%s, %d thread%s (ms; speed-up = PyTorch / ours)\n", title.c_str(), threads, threads > 1 ? "s" : "");
  std::printf("  %-22s %9s %9s", "stage", "ours", "ours cpu");
  if (torch.is_object()) std::printf(" | %9s %9s | %6s %6s", "torch", "torch cpu", "wall", "cpu");
  std::printf("\n");
  const nlohmann::json tw = torch.is_object() ? torch["wall"] : nlohmann::json(), tc = torch.is_object() ? torch["cpu"] : nlohmann::json();
  for (const auto* pass : {&kPass112, &kPass512}) {
    for (const auto& n : *pass)
      print_row(n, ours.at(n).wall_ms, ours.at(n).cpu_ms, torch, torch.is_object() ? tw.at(n).get<double>() : 0,
                torch.is_object() ? tc.at(n).get<double>() : 0);
    const bool small = pass == &kPass112;
    print_row(small ? "= 112 pass" : "= 512 pass", sum_over(ours, *pass, false), sum_over(ours, *pass, true), torch,
              torch.is_object() ? sum_over(tw, *pass) : 0, torch.is_object() ? sum_over(tc, *pass) : 0);
  }
  std::vector<std::string> all = kPass112;
  all.insert(all.end(), kPass512.begin(), kPass512.end());
  print_row("= whole multi-task", sum_over(ours, all, false), sum_over(ours, all, true), torch,
            torch.is_object() ? sum_over(tw, all) : 0, torch.is_object() ? sum_over(tc, all) : 0);
  for (int input : {112, 512}) {
    const std::string n = "encoder " + std::to_string(input);
    const double gflops = encoder_flops(config.encoder, input) * 1e-9;
    const double rate = gflops / (ours.at(n).wall_ms * 1e-3), rate_cpu = gflops / (ours.at(n).cpu_ms * 1e-3);
    // Per CPU-second against the per-core peak: the figure a shared machine does not distort.
    std::printf("  %s: %.1f GFLOP; %.1f GFLOP/s by the clock (%.0f%% of the clock peak); %.1f GFLOP per CPU-second "
                "(%.0f%% of a core's peak)\n",
                n.c_str(), gflops, rate, 100 * rate / peak.wall, rate_cpu, 100 * rate_cpu / (peak.cpu / threads));
  }
  if (torch.is_object()) std::printf("  PyTorch peak RSS: %.0f MiB\n", torch["peak_rss_mib"].get<double>());
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, with_torch = true, memory = false;
  for (int i = 1; i < argc; ++i) {
    quick |= std::strcmp(argv[i], "--quick") == 0;
    memory |= std::strcmp(argv[i], "--memory") == 0;
    if (std::strcmp(argv[i], "--cache-mib") == 0 && i + 1 < argc)
      BufferPool::process().set_cache_limit(static_cast<size_t>(std::atoll(argv[++i])) << 20);
    with_torch &= std::strcmp(argv[i], "--no-torch") != 0;
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("fc_bench_model_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string base_path = (dir / "base.safetensors").string(), stage2_path = (dir / "stage2.safetensors").string();
  write_models(base_path, stage2_path);  // before any OpenMP team exists in this process

  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    double load = 0;
    if (std::fscanf(f, "%lf", &load) == 1)
      std::printf("load average %.2f on %d hardware threads%s\n", load, omp_get_num_procs(),
                  load > 0.5 * omp_get_num_procs() ? " (busy: wall timings are noisy; CPU times are steadier)" : "");
    std::fclose(f);
  }
  const int max_threads = quick ? 1 : std::min(2, omp_get_num_procs());
  std::vector<fc::bench::Peak> peak(max_threads + 1);
  for (int t = 1; t <= max_threads; ++t) {
    peak[t] = fc::bench::measure_fma_peak(t);
    std::printf("fp32 FMA peak, %d thread%s: %.1f GFLOP/s by the clock, %.1f GFLOP/s per owned core%s\n", t,
                t > 1 ? "s" : "", peak[t].wall, peak[t].cpu / t, t > 1 ? " (each)" : "");
  }
  with_torch = with_torch && torch_available();
  if (!with_torch) std::printf("PyTorch baseline: skipped (no /usr/bin/python3 with torch, or --no-torch)\n");
  const int reps = quick ? 1 : 3, rounds = quick ? 1 : 2;

  struct Variant {
    std::string title, path;
  };
  std::vector<Variant> variants{{"Faceptor-Base stage 1", base_path}};
  if (!quick) variants.push_back({"Faceptor-Base stage 2 Layer-Attention (new_levels 1,3,5,7,9)", stage2_path});
  for (const Variant& v : variants) {
    double best_open = 1e300;
    for (int i = 0; i < 5; ++i) {
      const auto start = Clock::now();
      auto m = load_model(v.path);
      best_open = std::min(best_open, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    auto model = load_model(v.path);
    int64_t params = 0;
    for (Tensor* p : model->parameters()) params += p->numel();
    for (auto& [name, b] : model->named_buffers()) params += b->numel();
    const double weight_mib = params * 4.0 / (1 << 20);
    std::printf("\n%s: %.1f M weights (%.0f MiB fp32), file %.0f MiB; load_model (mmap open) best of 5: %.1f ms\n",
                v.title.c_str(), params * 1e-6, weight_mib, std::filesystem::file_size(v.path) / 1048576.0, best_open);
    if (memory)
      std::printf("  after load_model: VmHWM %.0f MiB, VmRSS %.0f MiB\n", status_mib("VmHWM:"), status_mib("VmRSS:"));
    // Stage 2 differs from stage 1 only in the decoder memory: one thread count is enough.
    for (int t = v.path == base_path ? 1 : max_threads; t <= max_threads; ++t) {
      omp_set_num_threads(t);
      // Rounds alternate ours and PyTorch, each side keeping its best per stage: this VM has slow
      // spells of tens of seconds (every core ~15% slower), and one that hits only one side's
      // runs skews the ratio by as much.
      std::map<std::string, Timing> ours;
      nlohmann::json torch;
      for (int round = 0; round < rounds; ++round) {
        keep_best(ours, time_stages(*model, reps, memory && round == 0));
        if (with_torch) keep_best(torch, run_torch(t, reps, model->config.decoder.new_levels));
      }
      report(v.title, model->config, t, peak[t], ours, torch);
    }
    std::printf("  peak RSS so far (VmHWM) %.0f MiB = %.2fx the fp32 weights (current VmRSS %.0f MiB)\n",
                status_mib("VmHWM:"), status_mib("VmHWM:") / weight_mib, status_mib("VmRSS:"));
  }
  std::filesystem::remove_all(dir);
  return 0;
}
