#include "faceptor/convert.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "faceptor/model.h"
#include "faceptor/model_io.h"
#include "faceptor/naive/model.h"
#include "weights/safetensors.h"
#include "weights/torch_checkpoint.h"

namespace fc::faceptor {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The largest index + 1 among names "<prefix><i>.<rest>".
int count_indexed(const std::map<std::string, Tensor>& tensors, const std::string& prefix) {
  int n = 0;
  for (const auto& [name, t] : tensors) {
    if (!starts_with(name, prefix)) continue;
    size_t end = name.find('.', prefix.size());
    n = std::max(n, std::stoi(name.substr(prefix.size(), end - prefix.size())) + 1);
  }
  return n;
}

const Tensor& require(const std::map<std::string, Tensor>& tensors, const std::string& name,
                      const std::string& source) {
  auto it = tensors.find(name);
  FC_CHECK(it != tensors.end(), source, ": tensor '", name, "' not found; is this a Faceptor or FaRL checkpoint?");
  return it->second;
}

int default_encoder_heads(int width) {
  if (width == 768) return 12;
  if (width == 1024 || width == 1280) return 16;
  return width % 64 == 0 ? width / 64 : 1;
}

std::vector<int> infer_levels(int count, int layers, bool new_levels, const std::string& source) {
  std::vector<int> out;
  if (!new_levels && count == 1) return {layers - 1};
  if (count == layers) {
    for (int i = 0; i < layers; ++i) out.push_back(i);
    return out;
  }
  if (new_levels && count == 5 && layers == 12) return {1, 3, 5, 7, 9};
  throw Error(str_cat(source, ": cannot tell which encoder layers the ", count, new_levels ? " new" : "",
                      " input projections read (", layers, " encoder layers); pass ",
                      new_levels ? "--new-levels" : "--levels"));
}

// Official task order (the Full yaml), so converted configs list tasks the way the paper does.
int official_rank(const std::string& name) {
  std::vector<TaskSpec> all = faceptor_full_tasks();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].name == name) return static_cast<int>(i);
  return static_cast<int>(all.size());
}

ModelConfig infer_config(const std::map<std::string, Tensor>& t, bool faceptor, const ConvertOptions& options,
                         const std::string& source) {
  ModelConfig c;
  c.tasks.clear();
  const Tensor& conv1 = require(t, "encoder.conv1.weight", source);
  c.encoder.width = static_cast<int>(conv1.size(0));
  c.encoder.patch = static_cast<int>(conv1.size(2));
  c.encoder.layers = count_indexed(t, "encoder.transformer.resblocks.");
  c.encoder.heads = options.encoder_heads.value_or(default_encoder_heads(c.encoder.width));
  const int64_t rows = require(t, "encoder.positional_embedding", source).size(0) - 1;
  c.encoder.pos_grid = static_cast<int>(std::lround(std::sqrt(static_cast<double>(rows))));
  FC_CHECK(int64_t{c.encoder.pos_grid} * c.encoder.pos_grid == rows, source, ": positional_embedding has ", rows + 1,
           " rows, not 1 + a square grid");
  c.decoder.levels = {c.encoder.layers - 1};  // unused without decoder tasks, but kept valid
  if (!faceptor) return c;

  if (t.count("decoder.level_embed.weight")) {
    const Tensor& level = t.at("decoder.level_embed.weight");
    c.decoder.hidden = static_cast<int>(level.size(1));
    c.decoder.heads = options.decoder_heads.value_or(std::max(1, c.decoder.hidden / 32));
    c.decoder.ffn = static_cast<int>(require(t, "decoder.transformer_ffn_layers.0.linear1.weight", source).size(0));
    c.decoder.layers = count_indexed(t, "decoder.transformer_ffn_layers.");
    c.decoder.levels = options.levels ? *options.levels
                                      : infer_levels(static_cast<int>(level.size(0)), c.encoder.layers, false, source);
    if (t.count("decoder.new_level_embed.weight")) {
      const int n = static_cast<int>(t.at("decoder.new_level_embed.weight").size(0));
      c.decoder.new_levels = options.new_levels ? *options.new_levels : infer_levels(n, c.encoder.layers, true, source);
    }
  }
  for (const auto& [name, tensor] : t) {
    const std::string prefix = "decoder.query_feat.";
    if (!starts_with(name, prefix)) continue;
    const std::string task = name.substr(prefix.size(), name.size() - prefix.size() - std::string(".weight").size());
    const TaskSpec* known = find_official_task(task);
    FC_CHECK(known != nullptr, source, ": task '", task,
             "' is not an official Faceptor task; convert with a config that describes it");
    TaskSpec spec = *known;
    spec.queries = static_cast<int>(tensor.size(0));
    if (!spec.labels.empty() && static_cast<int>(spec.labels.size()) != spec.queries) spec.labels.clear();
    c.tasks.push_back(spec);
  }
  if (t.count("interpreters.feature_v2.head.3.weight")) {
    c.embedding_dim = static_cast<int>(t.at("interpreters.feature_v2.head.3.weight").size(0));
    c.tasks.push_back(*find_official_task("recog_ms1mv3"));
  }
  std::sort(c.tasks.begin(), c.tasks.end(),
            [](const TaskSpec& a, const TaskSpec& b) { return official_rank(a.name) < official_rank(b.name); });
  return c;
}

// The official tasks of one kind (name prefix), in official order, whose output counts sum to
// `channels`: the channel split of a dense head, whose checkpoint names no task.
std::vector<std::string> dense_tasks_for(const std::string& head, int64_t channels, const std::string& source) {
  std::vector<TaskSpec> candidates;
  for (const TaskSpec& t : faceptor_full_tasks())
    if (t.name.substr(0, t.name.find('_')) == head) candidates.push_back(t);
  std::vector<std::vector<std::string>> matches;
  for (uint32_t mask = 1; mask < (1u << candidates.size()); ++mask) {
    int64_t sum = 0;
    std::vector<std::string> names;
    for (size_t i = 0; i < candidates.size(); ++i)
      if (mask & (1u << i)) {
        sum += candidates[i].queries;
        names.push_back(candidates[i].name);
      }
    if (sum == channels) matches.push_back(names);
  }
  FC_CHECK(matches.size() == 1, source, ": naive dense head '", head, "' has ", channels, " output channels, which ",
           matches.empty() ? "no" : "more than one", " set of official '", head,
           "' tasks adds up to; convert with a config that describes it");
  return matches[0];
}

// Naive Faceptor: heads.<name>.* in checkpoint order; each head's type from its tensor names.
void infer_naive_heads(ModelConfig& c, const std::map<std::string, Tensor>& t, const std::vector<std::string>& order,
                       const ConvertOptions& options, const std::string& source) {
  c.architecture = kArchitectureNaive;
  c.tasks.clear();
  const int layers = c.encoder.layers;
  const std::vector<int> attribute_levels =
      options.naive_attribute_levels.value_or(NaiveConfig::default_levels(NaiveHeadType::attribute, layers));
  const std::vector<int> dense_levels =
      options.naive_dense_levels.value_or(NaiveConfig::default_levels(NaiveHeadType::dense, layers));
  for (const std::string& name : order) {
    const std::string p = "heads." + name + ".";
    NaiveHeadSpec h;
    h.name = name;
    if (t.count(p + "channel_attention.mlp.1.weight")) {
      h.type = NaiveHeadType::attribute;
      h.levels = attribute_levels;
      const Tensor& f0 = require(t, p + "feature.0.weight", source);
      c.naive.attribute_channels = static_cast<int>(f0.size(0));
      c.naive.attribute_kernel = static_cast<int>(require(t, p + "conv.0.weight", source).size(2));
      c.naive.gate_reduction =
          static_cast<int>(f0.size(0) / t.at(p + "channel_attention.mlp.1.weight").size(0));
      for (const auto& [n, tensor] : t) {
        if (!starts_with(n, p + "fcs.") || !ends_with(n, ".weight")) continue;
        const std::string task = n.substr(p.size() + 4, n.size() - p.size() - 4 - 7);
        const TaskSpec* known = find_official_task(task);
        FC_CHECK(known != nullptr, source, ": task '", task, "' is not an official Faceptor task");
        TaskSpec spec = *known;
        spec.queries = static_cast<int>(tensor.size(0));
        if (!spec.labels.empty() && static_cast<int>(spec.labels.size()) != spec.queries) spec.labels.clear();
        h.tasks.push_back(task);
        c.tasks.push_back(spec);
      }
    } else if (t.count(p + "fpns.0.0.weight")) {
      h.type = NaiveHeadType::dense;
      h.levels = dense_levels;
      c.naive.dense_channels = static_cast<int>(require(t, p + "head.fpn_bottleneck.conv.weight", source).size(0));
      const int scales = count_indexed(t, p + "head.psp_modules.");
      FC_CHECK(scales == 4, source, ": naive dense head '", name, "' has ", scales,
               " pyramid pooling branches; only the released (1, 2, 3, 6) is known");
      h.tasks = dense_tasks_for(name, require(t, p + "head.conv_seg.weight", source).size(0), source);
      for (const std::string& task : h.tasks) c.tasks.push_back(*find_official_task(task));
    } else if (t.count(p + "head.3.weight")) {
      h.type = NaiveHeadType::recognition;
      h.levels = {layers - 1};
      c.embedding_dim = static_cast<int>(t.at(p + "head.3.weight").size(0));
      const TaskSpec* recog = nullptr;
      for (const TaskSpec& task : faceptor_full_tasks())
        if (task.interpreter == InterpreterKind::feature && task.name.substr(0, task.name.find('_')) == name)
          recog = find_official_task(task.name);
      FC_CHECK(recog != nullptr, source, ": naive recognition head '", name, "' matches no official task");
      h.tasks = {recog->name};
      c.tasks.push_back(*recog);
    } else {
      throw Error(str_cat(source, ": naive head '", name, "' is neither a recognition, attribute nor dense head"));
    }
    c.naive.heads.push_back(h);
  }
  std::sort(c.tasks.begin(), c.tasks.end(),
            [](const TaskSpec& a, const TaskSpec& b) { return official_rank(a.name) < official_rank(b.name); });
}

bool same_values(const Tensor& a, const Tensor& b) { return a.shape() == b.shape() && a.to_vector() == b.to_vector(); }

}  // namespace

ConvertedModel convert_state(const std::string& path, const ConvertOptions& options) {
  TorchCheckpoint ckpt = TorchCheckpoint::open(path);
  NamedTorchTensors named = flatten_tensors(ckpt.state_dict());
  FC_CHECK(!named.empty(), path, ": the checkpoint holds no tensors");

  ConvertedModel out;
  std::map<std::string, Tensor> renamed;
  std::vector<std::pair<std::string, Tensor>> losses;
  bool faceptor = false, farl = false;
  std::vector<std::string> naive_heads;  // heads_module.heads.<name>, in checkpoint order
  for (const auto& [raw_name, record] : named) {
    std::string name = starts_with(raw_name, "module.") ? raw_name.substr(7) : raw_name;
    auto drop = [&](const std::string& why) { out.dropped.push_back(name + ": " + why); };
    if (!record->is_float()) {
      drop(ends_with(name, "num_batches_tracked") ? "BatchNorm step counter (no effect at a fixed momentum)" : "integer tensor");
      continue;
    }
    std::string ours;
    if (starts_with(name, "backbone_module.visual.")) {
      faceptor = true;
      ours = "encoder." + name.substr(23);
    } else if (starts_with(name, "visual.")) {
      farl = true;
      ours = "encoder." + name.substr(7);
    } else if (starts_with(name, "heads_module.decoder.")) {
      ours = "decoder." + name.substr(21);
    } else if (starts_with(name, "heads_module.heads.")) {
      ours = "heads." + name.substr(19);
      const std::string head = ours.substr(6, ours.find('.', 6) - 6);
      if (std::find(naive_heads.begin(), naive_heads.end(), head) == naive_heads.end()) naive_heads.push_back(head);
    } else if (starts_with(name, "heads_module.interpreters.")) {
      ours = "interpreters." + name.substr(26);
    } else if (starts_with(name, "losses_module.losses.")) {
      if (options.keep_training_tensors) losses.emplace_back("losses." + name.substr(21), record->to_float());
      else drop("training only (kept with --keep-training-tensors)");
      continue;
    } else {
      drop("not part of the visual model (e.g. FaRL's text tower)");
      continue;
    }
    if (ours == "encoder.ln_post.weight" || ours == "encoder.ln_post.bias" || ours == "encoder.proj") {
      drop("FaRL's output projection, unused by Faceptor");
      continue;
    }
    renamed[ours] = record->to_float();
  }
  FC_CHECK(faceptor || farl, path, ": no 'backbone_module.visual.*' or 'visual.*' tensors; not a Faceptor, Naive Faceptor or FaRL "
                                   "checkpoint (first tensor: '", named.front().first, "')");
  // The pixel decoder's Norm2d registers its weight twice (mask_map.1.weight and .ln.weight).
  for (const char* p : {"weight", "bias"}) {
    const std::string alias = std::string("interpreters.map_v2.mask_map.1.ln.") + p;
    auto it = renamed.find(alias);
    if (it == renamed.end()) continue;
    const Tensor& main = require(renamed, std::string("interpreters.map_v2.mask_map.1.") + p, path);
    FC_CHECK(same_values(it->second, main), path, ": '", alias, "' differs from its alias '",
             "interpreters.map_v2.mask_map.1.", p, "'");
    out.dropped.push_back(alias + ": alias of interpreters.map_v2.mask_map.1." + p);
    renamed.erase(it);
  }

  const bool naive = faceptor && !naive_heads.empty();
  out.source_kind = naive ? kArchitectureNaive : faceptor ? "faceptor" : "farl";
  out.config = infer_config(renamed, faceptor && !naive, options, path);
  if (naive) infer_naive_heads(out.config, renamed, naive_heads, options, path);
  out.config.validate(path);
  std::unique_ptr<FaceModel> model;
  if (naive) model = std::make_unique<naive::NaiveFaceptorModel>(out.config);
  else model = std::make_unique<FaceptorModel>(out.config);
  LoadReport report = model->load_state(renamed);
  FC_CHECK(report.ok(), path, ": the tensors do not match the model they describe:\n", report.summary());
  for (auto& [name, slot] : model->named_parameters()) out.tensors.emplace_back(name, renamed.at(name));
  for (auto& [name, slot] : model->named_buffers()) out.tensors.emplace_back(name, renamed.at(name));
  for (auto& l : losses) out.tensors.push_back(l);
  return out;
}

ConversionReport convert_checkpoint(const std::string& path, const std::string& out_path,
                                    const ConvertOptions& options) {
  ConvertedModel m = convert_state(path, options);
  ConversionReport r;
  r.config = m.config;
  r.source_kind = m.source_kind;
  r.dropped = m.dropped;
  r.tensors_written = m.tensors.size();
  for (auto& [name, t] : m.tensors) r.parameters_written += t.numel();
  write_model_file(out_path, m.config, m.tensors, {{"converted_from", path}}, options.progress);
  return r;
}

}  // namespace fc::faceptor
