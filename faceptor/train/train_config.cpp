#include "faceptor/train/train_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "faceptor/data/open_dataset.h"
#include "faceptor/train/objective.h"

namespace fc::faceptor::train {

using nlohmann::json;

namespace {

// A JSON value with its path ("tasks[2].batch_size") and the file it came from, so every error
// says where to look.
struct Node {
  const json& value;
  std::string path;
  const std::string& source;

  [[noreturn]] void fail(const std::string& message) const {
    throw Error(str_cat(source, ": ", path.empty() ? "(top level)" : path, ": ", message));
  }
  std::string child_path(const std::string& key) const { return path.empty() ? key : path + "." + key; }
  bool has(const std::string& key) const { return value.contains(key) && !value.at(key).is_null(); }
  Node at(const std::string& key) const {
    if (!has(key)) Node{value, child_path(key), source}.fail("missing (required)");
    return Node{value.at(key), child_path(key), source};
  }
  Node at(size_t i) const { return Node{value.at(i), str_cat(path, "[", i, "]"), source}; }

  void expect_object() const {
    if (!value.is_object()) fail("expected an object");
  }
  // Rejects keys outside `known`: a misspelt optional field would otherwise silently keep its default.
  void only_keys(const std::set<std::string>& known) const {
    expect_object();
    for (const auto& [key, v] : value.items())
      if (!known.count(key)) {
        std::string list;
        for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
        Node{v, child_path(key), source}.fail("unknown field (known: " + list + ")");
      }
  }
  std::string string() const {
    if (!value.is_string()) fail("expected a string");
    return value.get<std::string>();
  }
  double number() const {
    if (!value.is_number()) fail("expected a number");
    return value.get<double>();
  }
  double non_negative() const {
    double v = number();
    if (!(v >= 0)) fail("expected a number >= 0");
    return v;
  }
  double positive() const {
    double v = number();
    if (!(v > 0)) fail("expected a positive number");
    return v;
  }
  int64_t integer(int64_t min, const char* what) const {
    if (!value.is_number_integer() || value.get<int64_t>() < min) fail(std::string("expected ") + what);
    return value.get<int64_t>();
  }
  int64_t positive_int() const { return integer(1, "a positive integer"); }
  int64_t non_negative_int() const { return integer(0, "an integer >= 0"); }
  bool boolean() const {
    if (!value.is_boolean()) fail("expected true or false");
    return value.get<bool>();
  }
  std::vector<std::string> strings() const {
    if (!value.is_array()) fail("expected a list of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < value.size(); ++i) out.push_back(at(i).string());
    return out;
  }
};

DatasetRef parse_dataset(const Node& n) {
  n.only_keys({"kind", "root", "split"});
  DatasetRef d;
  d.kind = n.at("kind").string();
  const auto& kinds = data::dataset_kinds();
  if (std::find(kinds.begin(), kinds.end(), d.kind) == kinds.end()) {
    std::string known;
    for (const std::string& k : kinds) known += (known.empty() ? "" : ", ") + k;
    n.at("kind").fail("unknown dataset kind '" + d.kind + "' (known: " + known + ")");
  }
  d.root = n.at("root").string();
  if (n.has("split")) d.split = n.at("split").string();
  if (!std::filesystem::is_directory(d.root)) n.at("root").fail("no such directory: " + d.root);
  d.json = n.value.dump();
  return d;
}

// A task's test set: a dataset as above, or for a recognition task LFW-style verification pairs.
DatasetRef parse_test_dataset(const Node& n, const TaskSpec& task) {
  n.expect_object();
  const bool pairs = n.has("kind") && n.at("kind").string() == kLfwPairsKind;
  if (task.kind != TaskKind::recognition) {
    if (pairs) n.at("kind").fail(str_cat(kLfwPairsKind, " is for recognition tasks; ", task.name, " needs a dataset"));
    return parse_dataset(n);
  }
  if (!pairs)
    n.fail(str_cat("a recognition task is evaluated on verification pairs: {\"kind\": \"", kLfwPairsKind,
                   "\", \"pairs\": \"pairs.txt\", \"root\": \"IMAGES_DIR\"}"));
  n.only_keys({"kind", "root", "pairs"});
  DatasetRef d;
  d.kind = kLfwPairsKind;
  d.split = "test";
  d.root = n.at("root").string();
  d.pairs = n.at("pairs").string();
  if (!std::filesystem::is_directory(d.root)) n.at("root").fail("no such directory: " + d.root);
  if (!std::filesystem::is_regular_file(d.pairs)) n.at("pairs").fail("no such file: " + d.pairs);
  d.json = n.value.dump();
  return d;
}

// A preset with partial overrides; tasks listed by official name or as {"name", overrides...}.
// "naive_base" is ModelConfig::naive_faceptor_base (the paper's first design).
ModelConfig parse_model(const Node& n) {
  if (n.value.is_string()) {
    const std::string name = n.string();
    if (name == "base") return ModelConfig::faceptor_base();
    if (name == "full") return ModelConfig::faceptor_full();
    if (name == "naive_base") return ModelConfig::naive_faceptor_base();
    n.fail("unknown preset '" + name + "' (known: base, full, naive_base; or a model config object)");
  }
  n.expect_object();
  if (!n.has("preset")) return ModelConfig::from_json(n.value.dump(), str_cat(n.source, ": ", n.path));
  n.only_keys({"preset", "encoder", "decoder", "naive", "tasks", "embedding_dim"});
  const std::string preset = n.at("preset").string();
  ModelConfig c;
  if (preset == "base")
    c = ModelConfig::faceptor_base();
  else if (preset == "full")
    c = ModelConfig::faceptor_full();
  else if (preset == "naive_base")
    c = ModelConfig::naive_faceptor_base();
  else
    n.at("preset").fail("unknown preset '" + preset + "' (known: base, full, naive_base)");
  if (c.is_naive() && n.has("decoder")) n.at("decoder").fail("a Naive Faceptor preset has no decoder");
  if (!c.is_naive() && n.has("naive")) n.at("naive").fail("only the naive_base preset has naive head settings");
  if (n.has("naive")) {
    Node h = n.at("naive");
    h.only_keys({"attribute_channels", "attribute_kernel", "gate_reduction", "attribute_dropout", "dense_channels",
                 "pool_scales", "dense_dropout"});
    NaiveConfig& nc = c.naive;
    if (h.has("attribute_channels")) nc.attribute_channels = static_cast<int>(h.at("attribute_channels").positive_int());
    if (h.has("attribute_kernel")) nc.attribute_kernel = static_cast<int>(h.at("attribute_kernel").positive_int());
    if (h.has("gate_reduction")) nc.gate_reduction = static_cast<int>(h.at("gate_reduction").positive_int());
    if (h.has("attribute_dropout")) nc.attribute_dropout = static_cast<float>(h.at("attribute_dropout").non_negative());
    if (h.has("dense_channels")) nc.dense_channels = static_cast<int>(h.at("dense_channels").positive_int());
    if (h.has("dense_dropout")) nc.dense_dropout = static_cast<float>(h.at("dense_dropout").non_negative());
    if (h.has("pool_scales")) {
      Node l = h.at("pool_scales");
      if (!l.value.is_array() || l.value.empty()) l.fail("expected a non-empty list of pool sizes");
      nc.pool_scales.clear();
      for (size_t i = 0; i < l.value.size(); ++i) nc.pool_scales.push_back(static_cast<int>(l.at(i).positive_int()));
    }
  }
  if (n.has("encoder")) {
    Node e = n.at("encoder");
    e.only_keys({"width", "layers", "heads", "patch", "pos_grid"});
    if (e.has("width")) c.encoder.width = static_cast<int>(e.at("width").positive_int());
    if (e.has("layers")) c.encoder.layers = static_cast<int>(e.at("layers").positive_int());
    if (e.has("heads")) c.encoder.heads = static_cast<int>(e.at("heads").positive_int());
    if (e.has("patch")) c.encoder.patch = static_cast<int>(e.at("patch").positive_int());
    if (e.has("pos_grid")) c.encoder.pos_grid = static_cast<int>(e.at("pos_grid").positive_int());
  }
  if (n.has("decoder")) {
    Node d = n.at("decoder");
    d.only_keys({"hidden", "heads", "ffn", "layers", "levels", "new_levels"});
    if (d.has("hidden")) c.decoder.hidden = static_cast<int>(d.at("hidden").positive_int());
    if (d.has("heads")) c.decoder.heads = static_cast<int>(d.at("heads").positive_int());
    if (d.has("ffn")) c.decoder.ffn = static_cast<int>(d.at("ffn").positive_int());
    if (d.has("layers")) c.decoder.layers = static_cast<int>(d.at("layers").positive_int());
    for (const char* key : {"levels", "new_levels"}) {
      if (!d.has(key)) continue;
      Node l = d.at(key);
      if (!l.value.is_array()) l.fail("expected a list of encoder layer indices");
      std::vector<int> levels;
      for (size_t i = 0; i < l.value.size(); ++i) levels.push_back(static_cast<int>(l.at(i).non_negative_int()));
      (std::string(key) == "levels" ? c.decoder.levels : c.decoder.new_levels) = levels;
    }
  }
  if (n.has("embedding_dim")) c.embedding_dim = static_cast<int>(n.at("embedding_dim").positive_int());
  if (n.has("tasks")) {
    Node t = n.at("tasks");
    if (!t.value.is_array() || t.value.empty()) t.fail("expected a non-empty list of task names or objects");
    std::vector<TaskSpec> tasks;
    for (size_t i = 0; i < t.value.size(); ++i) {
      Node item = t.at(i);
      Node name_node = item.value.is_string() ? item : item.at("name");
      const std::string name = name_node.string();
      const TaskSpec* official = find_official_task(name);
      if (item.value.is_string()) {
        if (official == nullptr) item.fail("unknown task '" + name + "' (give an object with its kind, queries, ...)");
        tasks.push_back(*official);
        continue;
      }
      item.only_keys({"name", "kind", "queries", "interpreter", "input_size", "labels", "loss"});
      TaskSpec spec;
      if (official != nullptr) spec = *official;
      spec.name = name;
      auto need = [&](const char* key) {
        if (official == nullptr && !item.has(key)) item.at(key);  // throws "missing"
        return item.has(key);
      };
      if (need("kind")) {
        auto kind = parse_task_kind(item.at("kind").string());
        if (!kind) item.at("kind").fail("unknown task kind");
        spec.kind = *kind;
      }
      if (need("queries")) spec.queries = static_cast<int>(item.at("queries").non_negative_int());
      if (need("interpreter")) {
        auto interp = parse_interpreter(item.at("interpreter").string());
        if (!interp) item.at("interpreter").fail("unknown interpreter");
        spec.interpreter = *interp;
      }
      if (need("input_size")) spec.input_size = static_cast<int>(item.at("input_size").positive_int());
      if (item.has("labels")) spec.labels = item.at("labels").strings();
      if (item.has("loss")) {
        auto loss = parse_loss(item.at("loss").string());
        if (!loss) item.at("loss").fail("unknown loss (known: cosface, age_dldl, binary_cross_entropy, cross_entropy, "
                                        "pixel_cross_entropy, landmark)");
        spec.loss = *loss;
      }
      tasks.push_back(spec);
    }
    c.tasks = tasks;
  }
  // One head per task-name prefix, reading the layers the official yaml does (for this depth).
  if (c.is_naive()) c.naive.heads = NaiveConfig::default_heads(c.tasks, c.encoder.layers);
  c.validate(str_cat(n.source, ": ", n.path));
  return c;
}

}  // namespace

std::map<std::string, double> TrainConfig::task_weights() const {
  std::vector<std::pair<std::string, double>> weights;
  for (const TrainTaskConfig& t : tasks) weights.emplace_back(t.name, t.loss_weight);
  return reweight_tasks(weights, task_weight);
}

TrainConfig parse_train_config(const std::string& text, const std::string& source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(str_cat(source, ": not valid JSON: ", e.what()));
  }
  TrainConfig c;
  c.source = source;
  c.json = root.dump();
  Node n{root, "", source};
  n.only_keys({"model", "init", "drop_path_rate", "tasks", "task_weight", "optimizer", "schedule", "max_iter",
               "clip_grad_norm", "seed", "threads", "workers", "eval", "checkpoint", "trainable", "log_interval"});

  c.model = parse_model(n.at("model"));
  // The optimizer defaults follow the released recipe of the model's design.
  if (c.model.is_naive()) c.optimizer = OptimizerConfig::naive_released();
  if (n.has("init")) {
    c.init = n.at("init").string();
    if (!std::filesystem::is_regular_file(c.init)) n.at("init").fail("no such file: " + c.init);
  }
  if (n.has("drop_path_rate")) {
    double rate = n.at("drop_path_rate").non_negative();
    if (rate >= 1) n.at("drop_path_rate").fail("expected a number in [0, 1)");
    c.model.encoder.drop_path_rate = rate;
  }

  Node tasks = n.at("tasks");
  if (!tasks.value.is_array() || tasks.value.empty()) tasks.fail("expected a non-empty list of tasks");
  std::set<std::string> names;
  for (size_t i = 0; i < tasks.value.size(); ++i) {
    Node t = tasks.at(i);
    t.only_keys({"name", "dataset", "test_dataset", "batch_size", "loss_weight", "classes"});
    TrainTaskConfig task;
    task.name = t.at("name").string();
    const TaskSpec* spec = c.model.find_task(task.name);
    if (spec == nullptr) {
      std::string known;
      for (const TaskSpec& s : c.model.tasks) known += (known.empty() ? "" : ", ") + s.name;
      t.at("name").fail("unknown task '" + task.name + "' (the model has: " + known + ")");
    }
    if (!names.insert(task.name).second) t.at("name").fail("task '" + task.name + "' listed twice");
    task.dataset = parse_dataset(t.at("dataset"));
    if (t.has("test_dataset")) task.test_dataset = parse_test_dataset(t.at("test_dataset"), *spec);
    task.batch_size = static_cast<int>(t.at("batch_size").positive_int());
    if (t.has("loss_weight")) task.loss_weight = t.at("loss_weight").positive();
    if (spec->kind == TaskKind::recognition)
      task.classes = t.at("classes").positive_int();
    else if (t.has("classes"))
      t.at("classes").fail("only recognition tasks have classes");
    c.tasks.push_back(task);
  }

  if (n.has("task_weight")) {
    Node w = n.at("task_weight");
    w.expect_object();
    for (const auto& [type, v] : w.value.items()) c.task_weight[type] = w.at(type).non_negative();
  }

  if (n.has("optimizer")) {
    Node o = n.at("optimizer");
    o.only_keys({"type", "weight_decay", "betas", "eps", "decay_all", "multipliers"});
    if (o.has("type") && o.at("type").string() != "adamw") o.at("type").fail("only \"adamw\" is supported");
    if (o.has("weight_decay")) c.optimizer.weight_decay = o.at("weight_decay").non_negative();
    if (o.has("betas")) {
      Node b = o.at("betas");
      if (!b.value.is_array() || b.value.size() != 2) b.fail("expected [beta1, beta2]");
      c.optimizer.beta1 = b.at(0).non_negative();
      c.optimizer.beta2 = b.at(1).non_negative();
      if (c.optimizer.beta1 >= 1 || c.optimizer.beta2 >= 1) b.fail("betas must be < 1");
    }
    if (o.has("eps")) c.optimizer.eps = o.at("eps").positive();
    if (o.has("decay_all")) c.optimizer.decay_all = o.at("decay_all").boolean();
    if (o.has("multipliers")) {
      Node m = o.at("multipliers");
      m.only_keys({"backbone", "decoder", "interpreters", "heads", "losses"});
      if (m.has("backbone")) c.optimizer.backbone_multiplier = m.at("backbone").non_negative();
      if (m.has("decoder")) c.optimizer.decoder_multiplier = m.at("decoder").non_negative();
      if (m.has("interpreters")) c.optimizer.interpreters_multiplier = m.at("interpreters").non_negative();
      if (m.has("heads")) c.optimizer.heads_multiplier = m.at("heads").non_negative();
      if (m.has("losses")) c.optimizer.losses_multiplier = m.at("losses").non_negative();
    }
  }

  Node s = n.at("schedule");
  s.only_keys({"type", "base_lr", "warmup_lr", "warmup_steps", "eta_min"});
  if (s.has("type") && s.at("type").string() != "cosine") s.at("type").fail("only \"cosine\" is supported");
  c.schedule.base_lr = s.at("base_lr").non_negative();
  c.schedule.warmup_lr = s.at("warmup_lr").positive();
  if (s.has("warmup_steps")) c.schedule.warmup_steps = s.at("warmup_steps").non_negative_int();
  if (s.has("eta_min")) c.schedule.eta_min = s.at("eta_min").non_negative();

  c.max_iter = n.at("max_iter").positive_int();
  if (c.schedule.warmup_steps > 0 && c.schedule.warmup_steps >= c.max_iter)
    s.at("warmup_steps").fail(str_cat("the warm-up (", c.schedule.warmup_steps, " steps) must end before max_iter (",
                                      c.max_iter, ")"));
  if (n.has("clip_grad_norm")) c.clip_grad_norm = n.at("clip_grad_norm").non_negative();
  if (n.has("seed")) c.seed = static_cast<uint64_t>(n.at("seed").non_negative_int());
  if (n.has("threads")) c.threads = static_cast<int>(n.at("threads").non_negative_int());
  if (n.has("workers")) c.workers = static_cast<int>(n.at("workers").non_negative_int());
  if (n.has("eval")) {
    Node e = n.at("eval");
    e.only_keys({"interval", "max_samples", "batch_size"});
    if (e.has("interval")) c.eval.interval = e.at("interval").non_negative_int();
    if (e.has("max_samples")) c.eval.max_samples = static_cast<int>(e.at("max_samples").non_negative_int());
    if (e.has("batch_size")) c.eval.batch_size = static_cast<int>(e.at("batch_size").positive_int());
  }
  if (n.has("checkpoint")) {
    Node k = n.at("checkpoint");
    k.only_keys({"dir", "interval", "keep_last"});
    c.checkpoint.dir = k.at("dir").string();
    if (k.has("interval")) c.checkpoint.interval = k.at("interval").non_negative_int();
    if (k.has("keep_last")) c.checkpoint.keep_last = static_cast<int>(k.at("keep_last").non_negative_int());
  }
  if (n.has("trainable")) c.trainable = n.at("trainable").strings();
  if (n.has("log_interval")) c.log_interval = n.at("log_interval").positive_int();
  return c;
}

TrainConfig load_train_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  FC_CHECK(in.good(), path, ": cannot open the training config");
  std::stringstream text;
  text << in.rdbuf();
  return parse_train_config(text.str(), path);
}

}  // namespace fc::faceptor::train
