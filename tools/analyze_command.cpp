// `faceptor analyze`: every requested task on each input, as a table, JSON, an overlay picture
// and .npy dumps. All inputs are read and all output paths checked before any work; every output
// is staged and renamed into place only when every input succeeded (tools/staged_outputs.h).
#include <omp.h>

#include <filesystem>
#include <iostream>
#include <set>

#include "core/buffer_pool.h"
#include "core/error.h"
#include "faceptor/analyze.h"
#include "faceptor/model_io.h"
#include "faceptor/preprocess.h"
#include "tools/analysis_report.h"
#include "tools/analyze_list.h"
#include "tools/cli_args.h"
#include "tools/commands.h"
#include "tools/face_region_args.h"
#include "tools/overlay.h"
#include "tools/staged_outputs.h"
#include "weights/npy.h"

namespace fs = std::filesystem;

namespace fc::tools {

using namespace faceptor;

namespace {

std::vector<OptionSpec> analyze_options() {
  std::vector<OptionSpec> specs = {
    {"weights", "W", "model file (.safetensors, from `faceptor convert`); required"},
    {"tasks", "LIST", "comma-separated task kinds (recognition, age, attributes, expression,\n"
                      "parsing, landmarks), exact task names, or all (default: all)"},
    {"json", "OUT.json", "write every result as JSON"},
    {"overlay", "OUT.png", "write the picture with the parsing map and landmarks drawn on it"},
    {"dump", "DIR", "write .npy files to DIR/<stem>/: model inputs, every encoder layer's\n"
                    "feature map, every task's raw head output, parsing labels and\n"
                    "probabilities, landmark points"},
  };
  append_face_region_options(specs);
  specs.push_back({"input-npy", "X.npy", "analyse a preprocessed (1, 3, S, S) float tensor instead of pictures;\n"
                                         "its size S picks the tasks, coordinates are in its pixels"});
  specs.push_back({"threads", "N", "OpenMP threads (default: all cores)"});
  specs.push_back({"input-list", "FILES.txt", "analyse the pictures listed in FILES.txt (one path per line), split\n"
                                              "over the ranks under `mpirun -np N`; needs --json-dir"});
  specs.push_back({"json-dir", "OUT/", "with --input-list: OUT/<stem>.json per picture and OUT/index.json"});
  specs.push_back({"dist-timeout", "S", "under mpirun: fail when a rank makes no progress for S seconds"});
  return specs;
}

const std::vector<OptionSpec> kOptions = analyze_options();

constexpr const char* kUsage =
    "usage: faceptor analyze IMAGE... --weights W [options]\n"
    "       faceptor analyze --input-npy X.npy --weights W [options]\n"
    "       [mpirun -np N] faceptor analyze --input-list FILES.txt --json-dir OUT/ --weights W [options]\n"
    "\n"
    "Runs Faceptor on each picture: one encoder pass per input size shared by the requested\n"
    "tasks. Without --box/--points the whole picture is the face crop. Prints a table; results\n"
    "are in the picture's pixel coordinates.\n"
    "\n"
    "Output paths with several inputs: --json/--overlay given an existing directory (or a path\n"
    "ending in '/') write DIR/<stem>.json / DIR/<stem>.png; given a file name OUT.ext they write\n"
    "OUT.<stem>.ext. With one input a file name is used as is. --dump DIR always writes\n"
    "DIR/<stem>/ (a previous dump there is replaced). Outputs appear only if every input\n"
    "succeeds.\n"
    "\n"
    "--input-list: a missing or broken picture is reported, skipped and recorded as failed in\n"
    "OUT/index.json (exit status 1 when any failed); the others are still written.\n"
    "\n"
    "options:\n";

struct InputJob {
  std::string path;
  std::string stem;
  Image image;    // picture inputs
  Tensor tensor;  // --input-npy
  std::string json_path, overlay_path, dump_path;
};

bool names_directory(const std::string& path) {
  std::error_code ec;
  return (!path.empty() && path.back() == '/') || fs::is_directory(path, ec);
}

// The rule described in kUsage.
std::string output_path(const std::string& given, const std::string& stem, const std::string& extension,
                        bool several) {
  if (names_directory(given)) return (fs::path(given) / (stem + extension)).string();
  if (!several) return given;
  const fs::path p(given);
  return (p.parent_path() / (p.stem().string() + "." + stem + p.extension().string())).string();
}

void write_dump(const std::string& dir, const Analysis& analysis) {
  auto save = [&](const std::string& name, const Tensor& t) { npy_save(dir + "/" + name + ".npy", t); };
  for (const AnalysisPass& pass : analysis.passes) {
    const std::string size = std::to_string(pass.input_size);
    save("input_" + size, pass.input);
    for (size_t layer = 0; layer < pass.encoder.tokens.size(); ++layer) {
      char name[64];
      std::snprintf(name, sizeof name, "encoder_%s_layer%02zu", size.c_str(), layer);
      save(name, pass.encoder.feature_map(static_cast<int>(layer)));
    }
  }
  for (const TaskAnalysis& t : analysis.tasks) {
    save("head_" + t.spec->name, t.raw);
    if (const auto* p = std::get_if<ParsingOutput>(&t.output)) {
      std::vector<float> labels(p->labels.begin(), p->labels.end());
      save(t.spec->name + "_labels", Tensor::from_vector(labels, {p->height, p->width}));
      if (p->probabilities.defined()) save(t.spec->name + "_probabilities", p->probabilities);
    } else if (const auto* l = std::get_if<LandmarksOutput>(&t.output)) {
      std::vector<float> xy;
      for (const Point2& q : l->points) xy.insert(xy.end(), {static_cast<float>(q.x), static_cast<float>(q.y)});
      save(t.spec->name + "_points", Tensor::from_vector(xy, {static_cast<int64_t>(l->points.size()), 2}));
    }
  }
}

int analyze_list_command(const ParsedArgs& args, const std::string& weights) {
  if (!args.positional.empty() || args.has("input-npy"))
    throw UsageError("faceptor analyze: give pictures, --input-npy or --input-list, not several");
  for (const char* option : {"json", "overlay", "dump"})
    if (args.has(option))
      throw UsageError(std::string("faceptor analyze: --input-list writes --json-dir only, not --") + option);
  const std::optional<std::string> json_dir = args.value("json-dir");
  if (!json_dir) throw UsageError("faceptor analyze: --input-list needs --json-dir OUT/");
  if (auto t = args.value("threads")) omp_set_num_threads(parse_int("--threads", *t, 1, 4096));
  InputListJob job;
  job.list_path = *args.value("input-list");
  job.json_dir = *json_dir;
  job.weights = weights;
  job.task_words = split_list(args.value("tasks").value_or("all"));
  if (job.task_words.empty()) throw UsageError("--tasks: empty list");
  const FaceRegionArgs region = parse_face_region_args(args);
  job.options.region = region.region;
  job.options.box_scale = region.box_scale;
  if (auto v = args.value("dist-timeout")) job.dist_timeout_seconds = parse_int("--dist-timeout", *v, 1, 1 << 24);
  return analyze_input_list(job);
}

}  // namespace

int analyze_command(const std::vector<std::string>& argv) {
  ParsedArgs args = parse_args("faceptor analyze", argv, kOptions);
  if (args.help) {
    std::cout << kUsage << options_help(kOptions);
    return 0;
  }
  const std::optional<std::string> weights = args.value("weights");
  if (!weights) throw UsageError("faceptor analyze: --weights W is required");
  if (args.has("input-list")) return analyze_list_command(args, *weights);
  const std::optional<std::string> npy = args.value("input-npy");
  if (npy && !args.positional.empty())
    throw UsageError("faceptor analyze: give pictures or --input-npy, not both");
  if (!npy && args.positional.empty()) throw UsageError("faceptor analyze: no input pictures given");
  if (npy && (args.has("points") || args.has("box")))
    throw UsageError("faceptor analyze: --points/--box do not apply to a preprocessed --input-npy tensor");
  if (auto t = args.value("threads")) omp_set_num_threads(parse_int("--threads", *t, 1, 4096));
  AnalyzeOptions options;
  const FaceRegionArgs region = parse_face_region_args(args);
  options.region = region.region;
  options.box_scale = region.box_scale;
  const std::vector<std::string> task_words = split_list(args.value("tasks").value_or("all"));
  if (task_words.empty()) throw UsageError("--tasks: empty list");

  // Inputs and output paths, all checked before the model runs.
  std::vector<InputJob> jobs;
  for (const std::string& path : npy ? std::vector<std::string>{*npy} : args.positional)
    jobs.push_back({path, fs::path(path).stem().string(), {}, {}, "", "", ""});
  const bool several = jobs.size() > 1;
  std::set<std::string> outputs, inputs;
  for (const InputJob& j : jobs) inputs.insert(fs::weakly_canonical(j.path).string());
  for (InputJob& j : jobs) {
    if (auto v = args.value("json")) j.json_path = output_path(*v, j.stem, ".json", several);
    if (auto v = args.value("overlay")) j.overlay_path = output_path(*v, j.stem, ".png", several);
    if (auto v = args.value("dump")) j.dump_path = (fs::path(*v) / j.stem).string();
    for (const std::string* out : {&j.json_path, &j.overlay_path, &j.dump_path}) {
      if (out->empty()) continue;
      if (!outputs.insert(*out).second)
        throw UsageError("faceptor analyze: two inputs named '" + j.stem + "' would both write " + *out);
      if (inputs.count(fs::weakly_canonical(*out).string()))
        throw UsageError("faceptor analyze: output " + *out + " would overwrite an input");
    }
    if (!j.json_path.empty()) check_parent_directory(j.json_path);
    if (!j.overlay_path.empty()) check_parent_directory(j.overlay_path);
    if (!j.dump_path.empty()) check_replaceable_dump(j.dump_path);
  }
  for (InputJob& j : jobs) {
    if (npy) {
      j.tensor = npy_load(j.path);
      FC_CHECK(j.tensor.ndim() == 4 && j.tensor.size(0) == 1 && j.tensor.size(1) == 3 &&
                   j.tensor.size(2) == j.tensor.size(3),
               j.path, ": expected a preprocessed input of shape (1, 3, S, S), got ", j.tensor.shape());
    } else {
      j.image = load_image(j.path);
    }
  }

  std::unique_ptr<FaceModel> model = load_face_model(*weights);
  // Inference needs a smaller cache than training (core/buffer_pool.h: 256 MiB beyond the live
  // peak): the heads' post-processing (parsing logits at picture size, 2 x 20 MiB at 512) asks
  // for size classes the pass never used, and every parked block is resident. 64 MiB keeps the
  // peak RSS of a Faceptor-Base analyze at ~1.4x the weights instead of ~1.57x (measured: 548
  // vs 614 MiB); with several pictures each pass maps ~3 blocks afresh (bench_model --cache-mib 64).
  BufferPool::process().set_cache_limit(size_t{64} << 20);
  std::vector<std::string> tasks;
  try {
    tasks = resolve_tasks(model->config, task_words);
  } catch (const Error& e) {
    throw UsageError(std::string("--tasks: ") + e.what());
  }
  if (npy) {
    const int size = static_cast<int>(jobs[0].tensor.size(2));
    std::erase_if(tasks, [&](const std::string& n) { return model->config.find_task(n)->input_size != size; });
    FC_CHECK(!tasks.empty(), jobs[0].path, ": none of the requested tasks takes ", size, "x", size, " inputs");
  }
  options.tasks = tasks;
  options.parsing_probabilities = args.has("dump");
  options.keep_encoder_layers = args.has("dump");

  StagedOutputs staged;
  for (const InputJob& j : jobs) {
    Analysis analysis = npy ? analyze_input(*model, j.tensor, options) : analyze(*model, j.image, options);
    std::cout << analysis_table(j.path, analysis) << std::flush;
    if (!j.json_path.empty())
      staged.add_file(j.json_path, analysis_json(j.path, analysis, options.region, npy.has_value()).dump(2) + "\n");
    if (!j.overlay_path.empty()) {
      Image base =
          npy ? picture_from_model_input(j.tensor, uses_dense_input(model->config, static_cast<int>(j.tensor.size(2))))
              : j.image;
      staged.add_file(j.overlay_path, encode_png(draw_overlay(base, analysis)));
    }
    if (!j.dump_path.empty()) write_dump(staged.add_directory(j.dump_path), analysis);
  }
  staged.commit();
  return 0;
}

}  // namespace fc::tools
