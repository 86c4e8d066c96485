#include "faceptor/config.h"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace fc::faceptor {

using nlohmann::json;

ModelConfig ModelConfig::faceptor_base() {
  ModelConfig c;
  c.tasks = faceptor_base_tasks();
  return c;
}

ModelConfig ModelConfig::faceptor_full() {
  ModelConfig c;
  c.tasks = faceptor_full_tasks();
  return c;
}

ModelConfig ModelConfig::naive_faceptor_base() {
  ModelConfig c;
  c.architecture = kArchitectureNaive;
  c.tasks = faceptor_base_tasks();
  c.naive.heads = NaiveConfig::default_heads(c.tasks, c.encoder.layers);
  return c;
}

const char* naive_head_type_name(NaiveHeadType type) {
  switch (type) {
    case NaiveHeadType::recognition: return "recognition";
    case NaiveHeadType::attribute: return "attribute";
    case NaiveHeadType::dense: return "dense";
  }
  return "?";
}

namespace {

std::optional<NaiveHeadType> parse_naive_head_type(const std::string& name) {
  for (NaiveHeadType t : {NaiveHeadType::recognition, NaiveHeadType::attribute, NaiveHeadType::dense})
    if (name == naive_head_type_name(t)) return t;
  return std::nullopt;
}

NaiveHeadType head_type_for(InterpreterKind kind) {
  switch (kind) {
    case InterpreterKind::feature: return NaiveHeadType::recognition;
    case InterpreterKind::value: return NaiveHeadType::attribute;
    case InterpreterKind::map: return NaiveHeadType::dense;
  }
  return NaiveHeadType::attribute;
}

std::string task_prefix(const std::string& task) { return task.substr(0, task.find('_')); }

}  // namespace

std::vector<NaiveHeadSpec> NaiveConfig::default_heads(const std::vector<TaskSpec>& tasks, int layers) {
  std::vector<NaiveHeadSpec> heads;
  for (const TaskSpec& t : tasks) {
    const std::string name = task_prefix(t.name);
    auto it = std::find_if(heads.begin(), heads.end(), [&](const NaiveHeadSpec& h) { return h.name == name; });
    if (it != heads.end()) {
      it->tasks.push_back(t.name);
      continue;
    }
    const NaiveHeadType type = head_type_for(t.interpreter);
    heads.push_back({name, type, default_levels(type, layers), {t.name}});
  }
  return heads;
}

std::vector<int> NaiveConfig::default_levels(NaiveHeadType type, int layers) {
  if (type == NaiveHeadType::recognition) return {layers - 1};
  if (layers == 12) return type == NaiveHeadType::attribute ? std::vector<int>{5, 7, 9, 11} : std::vector<int>{3, 5, 7, 11};
  std::vector<int> levels;
  for (int i = 0; i < 4; ++i) levels.push_back(std::max(0, layers - 4 + i));  // repeats layer 0 below 4 layers
  return levels;
}

const NaiveHeadSpec* ModelConfig::naive_head_for(const std::string& task) const {
  for (const NaiveHeadSpec& h : naive.heads)
    if (std::find(h.tasks.begin(), h.tasks.end(), task) != h.tasks.end()) return &h;
  return nullptr;
}

const TaskSpec* ModelConfig::find_task(const std::string& name) const {
  for (const TaskSpec& t : tasks)
    if (t.name == name) return &t;
  return nullptr;
}

bool ModelConfig::has_decoder_tasks() const {
  if (is_naive()) return false;
  for (const TaskSpec& t : tasks)
    if (t.interpreter != InterpreterKind::feature) return true;
  return false;
}

std::string ModelConfig::to_json() const {
  json j;
  j["format"] = "faceptor.cpp model config 1";
  j["encoder"] = {{"width", encoder.width}, {"layers", encoder.layers}, {"heads", encoder.heads},
                  {"patch", encoder.patch}, {"pos_grid", encoder.pos_grid}};
  if (encoder.drop_path_rate != 0.0) j["encoder"]["drop_path_rate"] = encoder.drop_path_rate;
  j["decoder"] = {{"hidden", decoder.hidden}, {"heads", decoder.heads},   {"ffn", decoder.ffn},
                  {"layers", decoder.layers}, {"levels", decoder.levels}, {"new_levels", decoder.new_levels}};
  j["embedding_dim"] = embedding_dim;
  json tasks_json = json::array();
  for (const TaskSpec& t : tasks) {
    tasks_json.push_back({{"name", t.name},
                          {"kind", task_kind_name(t.kind)},
                          {"queries", t.queries},
                          {"interpreter", interpreter_name(t.interpreter)},
                          {"input_size", t.input_size},
                          {"labels", t.labels}});
    if (t.loss) tasks_json.back()["loss"] = loss_name(*t.loss);
  }
  j["tasks"] = tasks_json;
  // Faceptor files keep exactly the old keys, so older readers still open them.
  if (is_naive()) {
    j["architecture"] = architecture;
    json heads = json::array();
    for (const NaiveHeadSpec& h : naive.heads)
      heads.push_back({{"name", h.name}, {"type", naive_head_type_name(h.type)}, {"levels", h.levels}, {"tasks", h.tasks}});
    j["naive"] = {{"heads", heads},
                  {"attribute_channels", naive.attribute_channels},
                  {"attribute_kernel", naive.attribute_kernel},
                  {"gate_reduction", naive.gate_reduction},
                  {"attribute_dropout", naive.attribute_dropout},
                  {"dense_channels", naive.dense_channels},
                  {"pool_scales", naive.pool_scales},
                  {"dense_dropout", naive.dense_dropout}};
  }
  return j.dump();
}

ModelConfig ModelConfig::from_json(const std::string& text, const std::string& source) {
  ModelConfig c;
  try {
    json j = json::parse(text);
    const json& e = j.at("encoder");
    c.encoder = {e.at("width").get<int>(), e.at("layers").get<int>(), e.at("heads").get<int>(),
                 e.at("patch").get<int>(), e.at("pos_grid").get<int>(), e.value("drop_path_rate", 0.0)};
    const json& d = j.at("decoder");
    c.decoder = {d.at("hidden").get<int>(),
                 d.at("heads").get<int>(),
                 d.at("ffn").get<int>(),
                 d.at("layers").get<int>(),
                 d.at("levels").get<std::vector<int>>(),
                 d.value("new_levels", std::vector<int>{})};
    c.embedding_dim = j.value("embedding_dim", 512);
    c.tasks.clear();
    for (const json& t : j.at("tasks")) {
      TaskSpec spec;
      spec.name = t.at("name").get<std::string>();
      auto kind = parse_task_kind(t.at("kind").get<std::string>());
      FC_CHECK(kind, source, ": task '", spec.name, "' has unknown kind '", t.at("kind").get<std::string>(), "'");
      spec.kind = *kind;
      spec.queries = t.at("queries").get<int>();
      auto interp = parse_interpreter(t.at("interpreter").get<std::string>());
      FC_CHECK(interp, source, ": task '", spec.name, "' has unknown interpreter '",
               t.at("interpreter").get<std::string>(), "'");
      spec.interpreter = *interp;
      spec.input_size = t.at("input_size").get<int>();
      spec.labels = t.value("labels", std::vector<std::string>{});
      if (t.contains("loss")) {
        auto loss = parse_loss(t.at("loss").get<std::string>());
        FC_CHECK(loss, source, ": task '", spec.name, "' has unknown loss '", t.at("loss").get<std::string>(), "'");
        spec.loss = *loss;
      }
      c.tasks.push_back(spec);
    }
    c.architecture = j.value("architecture", std::string(kArchitectureFaceptor));
    if (c.is_naive()) {
      const json& n = j.at("naive");
      for (const json& h : n.at("heads")) {
        auto type = parse_naive_head_type(h.at("type").get<std::string>());
        FC_CHECK(type, source, ": naive head '", h.at("name").get<std::string>(), "' has unknown type '",
                 h.at("type").get<std::string>(), "'");
        c.naive.heads.push_back({h.at("name").get<std::string>(), *type, h.at("levels").get<std::vector<int>>(),
                                 h.at("tasks").get<std::vector<std::string>>()});
      }
      c.naive.attribute_channels = n.at("attribute_channels").get<int>();
      c.naive.attribute_kernel = n.at("attribute_kernel").get<int>();
      c.naive.gate_reduction = n.at("gate_reduction").get<int>();
      c.naive.attribute_dropout = n.at("attribute_dropout").get<float>();
      c.naive.dense_channels = n.at("dense_channels").get<int>();
      c.naive.pool_scales = n.at("pool_scales").get<std::vector<int>>();
      c.naive.dense_dropout = n.at("dense_dropout").get<float>();
    }
  } catch (const json::exception& ex) {
    throw Error(str_cat(source, ": bad model config JSON: ", ex.what()));
  }
  c.validate(source);
  return c;
}

void ModelConfig::validate(const std::string& source) const {
  const auto& e = encoder;
  FC_CHECK(e.drop_path_rate >= 0.0 && e.drop_path_rate < 1.0, source, ": encoder drop_path_rate ",
           e.drop_path_rate, " must be in [0, 1)");
  FC_CHECK(e.width > 0 && e.layers > 0 && e.heads > 0 && e.width % e.heads == 0 && e.patch > 0 && e.pos_grid > 0,
           source, ": bad encoder config (width ", e.width, ", layers ", e.layers, ", heads ", e.heads, ", patch ",
           e.patch, ", pos_grid ", e.pos_grid, ")");
  if (has_decoder_tasks()) {
    const auto& d = decoder;
    FC_CHECK(d.hidden > 0 && d.heads > 0 && d.hidden % d.heads == 0 && d.hidden % 4 == 0 && d.ffn > 0 &&
                 d.layers > 0,
             source, ": bad decoder config (hidden ", d.hidden, ", heads ", d.heads, ", ffn ", d.ffn, ", layers ",
             d.layers, ")");
    FC_CHECK(!d.levels.empty(), source, ": decoder levels must not be empty");
    for (int l : d.levels)
      FC_CHECK(l >= 0 && l < e.layers, source, ": decoder level ", l, " outside the encoder's ", e.layers, " layers");
    for (int l : d.new_levels)
      FC_CHECK(l >= 0 && l < e.layers, source, ": decoder new level ", l, " outside the encoder's ", e.layers,
               " layers");
  }
  // No tasks is allowed: an encoder-only model (a converted FaRL backbone) still gives features.
  for (size_t i = 0; i < tasks.size(); ++i) {
    const TaskSpec& t = tasks[i];
    FC_CHECK(t.input_size % e.patch == 0, source, ": task ", t.name, " input size ", t.input_size,
             " is not a multiple of the patch size ", e.patch);
    if (t.interpreter == InterpreterKind::feature) {
      FC_CHECK(t.kind == TaskKind::recognition, source, ": task ", t.name, " uses the feature interpreter but is a ",
               task_kind_name(t.kind), " task");
    } else {
      FC_CHECK(t.queries > 0, source, ": task ", t.name, " needs decoder queries");
    }
    FC_CHECK(loss_interpreter(t.training_loss()) == t.interpreter, source, ": task ", t.name, " has loss ",
             loss_name(t.training_loss()), ", which takes the ", interpreter_name(loss_interpreter(t.training_loss())),
             " interpreter's output, not the ", interpreter_name(t.interpreter), " interpreter's");
    if (!t.labels.empty())
      FC_CHECK(static_cast<int>(t.labels.size()) == t.queries, source, ": task ", t.name, " has ", t.labels.size(),
               " labels for ", t.queries, " queries");
    for (size_t j = 0; j < i; ++j) FC_CHECK(tasks[j].name != t.name, source, ": task ", t.name, " listed twice");
  }
  FC_CHECK(architecture == kArchitectureFaceptor || architecture == kArchitectureNaive, source,
           ": unknown architecture '", architecture, "' (expected '", kArchitectureFaceptor, "' or '",
           kArchitectureNaive, "')");
  if (is_naive()) validate_naive(source);
}

void ModelConfig::validate_naive(const std::string& source) const {
  const NaiveConfig& n = naive;
  FC_CHECK(n.attribute_channels > 0 && n.attribute_channels % 4 == 0 && n.gate_reduction > 0 &&
               n.attribute_channels / n.gate_reduction > 0 && n.attribute_kernel % 2 == 1,
           source, ": bad naive attribute head config (channels ", n.attribute_channels, ", kernel ",
           n.attribute_kernel, ", gate reduction ", n.gate_reduction, ")");
  FC_CHECK(n.dense_channels > 0 && !n.pool_scales.empty(), source, ": bad naive dense head config (channels ",
           n.dense_channels, ", ", n.pool_scales.size(), " pool scales)");
  for (int s : n.pool_scales) FC_CHECK(s > 0, source, ": naive dense head pool scale ", s, " must be positive");
  FC_CHECK(n.attribute_dropout >= 0 && n.attribute_dropout < 1 && n.dense_dropout >= 0 && n.dense_dropout < 1, source,
           ": naive dropout rates must be in [0, 1)");
  for (size_t i = 0; i < n.heads.size(); ++i) {
    const NaiveHeadSpec& h = n.heads[i];
    for (size_t j = 0; j < i; ++j) FC_CHECK(n.heads[j].name != h.name, source, ": naive head ", h.name, " listed twice");
    const size_t want_levels = h.type == NaiveHeadType::recognition ? 1 : 4;
    FC_CHECK(h.levels.size() == want_levels, source, ": naive ", naive_head_type_name(h.type), " head ", h.name,
             " reads ", h.levels.size(), " encoder layers, expected ", want_levels);
    for (int l : h.levels)
      FC_CHECK(l >= 0 && l < encoder.layers, source, ": naive head ", h.name, " level ", l, " outside the encoder's ",
               encoder.layers, " layers");
    FC_CHECK(!h.tasks.empty(), source, ": naive head ", h.name, " serves no task");
    FC_CHECK(h.type != NaiveHeadType::recognition || h.tasks.size() == 1, source, ": naive recognition head ", h.name,
             " serves ", h.tasks.size(), " tasks; it has one output");
    for (const std::string& name : h.tasks) {
      const TaskSpec* t = find_task(name);
      FC_CHECK(t != nullptr, source, ": naive head ", h.name, " serves unknown task '", name, "'");
      // The official holder picks a task's head by its name prefix.
      FC_CHECK(task_prefix(name) == h.name, source, ": task ", name, " cannot be served by naive head '", h.name,
               "' (heads are chosen by the task-name prefix)");
      FC_CHECK(head_type_for(t->interpreter) == h.type, source, ": task ", name, " (", interpreter_name(t->interpreter),
               " output) on a naive ", naive_head_type_name(h.type), " head");
    }
  }
  for (const TaskSpec& t : tasks) {
    int count = 0;
    for (const NaiveHeadSpec& h : n.heads) count += static_cast<int>(std::count(h.tasks.begin(), h.tasks.end(), t.name));
    FC_CHECK(count == 1, source, ": task ", t.name, " is served by ", count, " naive heads, expected 1");
  }
}

}  // namespace fc::faceptor
