// `faceptor explain`: the study pictures and numbers of faceptor/explain.h for one photo: the
// Layer-Attention profile of each task (JSON + charts), each query's attention map over the face,
// and every encoder layer's PCA picture. All files are staged and renamed into place together
// (tools/staged_outputs.h), so a failed run leaves no partial output.
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "faceptor/explain.h"
#include "faceptor/model_io.h"
#include "faceptor/viz/explain_figures.h"
#include "tools/analysis_report.h"
#include "tools/cli_args.h"
#include "tools/commands.h"
#include "tools/face_region_args.h"
#include "tools/staged_outputs.h"

namespace fs = std::filesystem;

namespace fc::tools {

using namespace faceptor;
using nlohmann::ordered_json;

namespace {

std::vector<OptionSpec> explain_options() {
  std::vector<OptionSpec> specs = {
      {"weights", "W", "model file (.safetensors, from `faceptor convert`); required"},
      {"task", "LIST", "comma-separated task kinds (age, attributes, expression, parsing,\n"
                       "landmarks), exact task names, or all (default: all; recognition has no\n"
                       "queries and is skipped)"},
      {"out", "DIR", "output directory, created if missing (default: <image stem>_explain)"},
      {"layer", "L", "decoder layer of the attention maps and the task chart, 0-based\n"
                     "(default: the last)"},
      {"per-query", "", "also write each query's share per encoder layer to the JSON"},
      {"tile", "N", "tile size in pixels of the attention and PCA grids (default 128)"},
  };
  append_face_region_options(specs);
  specs.push_back({"threads", "N", "OpenMP threads (default: all cores)"});
  return specs;
}

const std::vector<OptionSpec> kOptions = explain_options();

constexpr const char* kUsage =
    "usage: faceptor explain IMAGE --weights W [--task LIST] [--out DIR] [options]\n"
    "\n"
    "Shows what Faceptor looks at. The picture is preprocessed as `faceptor analyze` does it and\n"
    "run once per input size with the decoder's cross-attention kept. Writes to DIR:\n"
    "  explain.json                 per task and decoder layer, the share of cross-attention mass\n"
    "                               on each encoder layer's tokens (Layer-Attention profile)\n"
    "  layer_attention.png          tasks x encoder layers at the chosen decoder layer\n"
    "  layer_attention_<task>.png   decoder layers x encoder layers for one task\n"
    "  attention_<task>.png         each query's attention map over the face crop\n"
    "  encoder_pca_<size>.png       each encoder layer's patch tokens, first 3 principal\n"
    "                               components as RGB\n"
    "With a stage-1 model (levels [11] only) every profile is 1.0 on layer 11; stage-2\n"
    "(new_levels) and all-levels models spread it over several layers.\n"
    "\n"
    "options:\n";

// sum(share * level): one number that orders tasks from shallow to deep readers.
double mean_level(const LayerProfile& profile, size_t decoder_layer) {
  double sum = 0;
  for (size_t i = 0; i < profile.levels.size(); ++i) sum += profile.shares[decoder_layer][i] * profile.levels[i];
  return sum;
}

ordered_json shares_json(const std::vector<int>& levels, const std::vector<double>& shares) {
  ordered_json out = ordered_json::object();
  for (size_t i = 0; i < levels.size(); ++i) out[std::to_string(levels[i])] = shares[i];
  return out;
}

ordered_json task_json(const TaskExplanation& t, const ExplainPass& pass, const ordered_json& chart,
                       const ordered_json& maps) {
  ordered_json j;
  j["kind"] = task_kind_name(t.spec->kind);
  j["input_size"] = pass.input_size;
  j["queries"] = t.spec->queries;
  j["levels"] = t.profile.levels;
  ordered_json layers = ordered_json::array();
  for (size_t d = 0; d < t.profile.shares.size(); ++d)
    layers.push_back({{"decoder_layer", d},
                      {"shares", shares_json(t.profile.levels, t.profile.shares[d])},
                      {"mean_level", mean_level(t.profile, d)}});
  j["profile"] = std::move(layers);
  if (!t.profile.query_shares.empty()) {
    j["query_labels"] = query_labels(*t.spec);
    j["query_shares"] = t.profile.query_shares;  // [decoder layer][query][level], levels as above
  }
  j["layer_chart"] = chart;
  j["attention_maps"] = maps;
  return j;
}

std::string summary_line(const TaskExplanation& t, size_t decoder_layer) {
  std::ostringstream line;
  char number[32];
  line << "  " << t.spec->name << ":";
  for (size_t i = 0; i < t.profile.levels.size(); ++i) {
    std::snprintf(number, sizeof number, " L%d %.3f", t.profile.levels[i], t.profile.shares[decoder_layer][i]);
    line << number;
  }
  std::snprintf(number, sizeof number, "  (mean layer %.2f)", mean_level(t.profile, decoder_layer));
  line << number << "\n";
  return line.str();
}

}  // namespace

int explain_command(const std::vector<std::string>& argv) {
  ParsedArgs args = parse_args("faceptor explain", argv, kOptions);
  if (args.help) {
    std::cout << kUsage << options_help(kOptions);
    return 0;
  }
  if (args.positional.size() != 1)
    throw UsageError(args.positional.empty() ? "faceptor explain: no input picture given"
                                             : "faceptor explain: give one picture, got " +
                                                   std::to_string(args.positional.size()));
  const std::string image_path = args.positional[0];
  const std::optional<std::string> weights = args.value("weights");
  if (!weights) throw UsageError("faceptor explain: --weights W is required");
  if (auto t = args.value("threads")) omp_set_num_threads(parse_int("--threads", *t, 1, 4096));
  const int tile = parse_int("--tile", args.value("tile").value_or("128"), 16, 1024);
  std::optional<int> layer;
  if (auto l = args.value("layer")) layer = parse_int("--layer", *l, 0, 1 << 16);
  const std::vector<std::string> task_words = split_list(args.value("task").value_or("all"));
  if (task_words.empty()) throw UsageError("--task: empty list");
  const FaceRegionArgs region = parse_face_region_args(args);
  const std::string out_dir = args.value("out").value_or(fs::path(image_path).stem().string() + "_explain");
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
    throw UsageError("--out: " + out_dir + " exists and is not a directory");

  const Image image = load_image(image_path);
  std::unique_ptr<FaceptorModel> model = load_model(*weights);
  FC_CHECK(model->decoder != nullptr, *weights, ": the model has no decoder (an encoder-only FaRL model): nothing "
                                                "to explain");
  ExplainOptions options;
  try {
    options.tasks = resolve_tasks(model->config, task_words);
  } catch (const Error& e) {
    throw UsageError(std::string("--task: ") + e.what());
  }
  const int decoder_layers = model->config.decoder.layers;
  if (layer && *layer >= decoder_layers)
    throw UsageError("--layer: " + std::to_string(*layer) + " is outside the model's decoder layers 0.." +
                     std::to_string(decoder_layers - 1));
  const int shown = layer.value_or(decoder_layers - 1);
  options.region = region.region;
  options.box_scale = region.box_scale;
  options.per_query = args.has("per-query");
  Explanation e;
  try {
    e = explain(*model, image, options);
  } catch (const Error& err) {
    throw Error(image_path + ": " + err.what());
  }

  // The directory is made only now that the work succeeded; files appear all together.
  const bool made_directory = !fs::exists(out_dir, ec);
  if (made_directory) fs::create_directories(out_dir);
  try {
    StagedOutputs staged;
    auto add_png = [&](const std::string& name, const Image& picture) {
      staged.add_file((fs::path(out_dir) / name).string(), encode_png(picture));
      return ordered_json{{"file", name}, {"width", picture.width}, {"height", picture.height}};
    };
    ordered_json doc;
    doc["input"] = image_path;
    doc["weights"] = *weights;
    doc["region"] = region_json(options.region);
    doc["decoder_layers"] = decoder_layers;
    doc["shown_decoder_layer"] = shown;
    doc["layer_attention_chart"] = add_png("layer_attention.png", viz::layer_attention_chart(e, shown));
    ordered_json passes = ordered_json::array();
    for (const ExplainPass& pass : e.passes) {
      const std::string name = "encoder_pca_" + std::to_string(pass.input_size) + ".png";
      passes.push_back({{"input_size", pass.input_size},
                        {"grid", pass.encoder.grid},
                        {"encoder_layers", pass.encoder.tokens.size()},
                        {"memory_levels", pass.memory_levels},
                        {"encoder_pca", add_png(name, viz::encoder_pca_grid(pass, tile))}});
    }
    doc["passes"] = std::move(passes);
    ordered_json tasks = ordered_json::object();
    for (const TaskExplanation& t : e.tasks) {
      const ordered_json chart = add_png("layer_attention_" + t.spec->name + ".png", viz::task_layer_chart(t));
      const ordered_json maps =
          add_png("attention_" + t.spec->name + ".png", viz::query_attention_grid(e, t, shown, tile));
      tasks[t.spec->name] = task_json(t, e.passes[t.pass], chart, maps);
    }
    doc["tasks"] = std::move(tasks);
    doc["skipped"] = e.skipped;
    staged.add_file((fs::path(out_dir) / "explain.json").string(), doc.dump(2) + "\n");
    staged.commit();
  } catch (...) {
    if (made_directory) fs::remove(out_dir, ec);  // only if still empty
    throw;
  }

  std::cout << image_path << ": Layer-Attention at decoder layer " << shown << " of " << decoder_layers
            << " (share of cross-attention per encoder layer L)\n";
  for (const TaskExplanation& t : e.tasks) std::cout << summary_line(t, static_cast<size_t>(shown));
  for (const std::string& s : e.skipped) std::cout << "  " << s << ": skipped (no decoder queries)\n";
  std::cout << "written: " << (fs::path(out_dir) / "explain.json").string() << " and "
            << 1 + e.passes.size() + 2 * e.tasks.size() << " PNG files\n";
  return 0;
}

}  // namespace fc::tools
