#include "faceptor/config.h"

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

const TaskSpec* ModelConfig::find_task(const std::string& name) const {
  for (const TaskSpec& t : tasks)
    if (t.name == name) return &t;
  return nullptr;
}

bool ModelConfig::has_decoder_tasks() const {
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
  }
  j["tasks"] = tasks_json;
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
      c.tasks.push_back(spec);
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
    if (!t.labels.empty())
      FC_CHECK(static_cast<int>(t.labels.size()) == t.queries, source, ": task ", t.name, " has ", t.labels.size(),
               " labels for ", t.queries, " queries");
    for (size_t j = 0; j < i; ++j) FC_CHECK(tasks[j].name != t.name, source, ": task ", t.name, " listed twice");
  }
}

}  // namespace fc::faceptor
