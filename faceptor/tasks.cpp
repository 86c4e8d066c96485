#include "faceptor/tasks.h"

namespace fc::faceptor {

const char* task_kind_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::recognition: return "recognition";
    case TaskKind::age: return "age";
    case TaskKind::attributes: return "attributes";
    case TaskKind::expression: return "expression";
    case TaskKind::parsing: return "parsing";
    case TaskKind::landmarks: return "landmarks";
  }
  return "?";
}

std::optional<TaskKind> parse_task_kind(const std::string& name) {
  for (TaskKind k : {TaskKind::recognition, TaskKind::age, TaskKind::attributes, TaskKind::expression,
                     TaskKind::parsing, TaskKind::landmarks})
    if (name == task_kind_name(k)) return k;
  return std::nullopt;
}

const char* interpreter_name(InterpreterKind kind) {
  switch (kind) {
    case InterpreterKind::feature: return "feature";
    case InterpreterKind::value: return "value";
    case InterpreterKind::map: return "map";
  }
  return "?";
}

std::optional<InterpreterKind> parse_interpreter(const std::string& name) {
  for (InterpreterKind k : {InterpreterKind::feature, InterpreterKind::value, InterpreterKind::map})
    if (name == interpreter_name(k)) return k;
  return std::nullopt;
}

const char* loss_name(LossKind loss) {
  switch (loss) {
    case LossKind::cosface: return "cosface";
    case LossKind::age_dldl: return "age_dldl";
    case LossKind::binary_cross_entropy: return "binary_cross_entropy";
    case LossKind::cross_entropy: return "cross_entropy";
    case LossKind::pixel_cross_entropy: return "pixel_cross_entropy";
    case LossKind::landmark: return "landmark";
  }
  return "?";
}

std::optional<LossKind> parse_loss(const std::string& name) {
  for (LossKind l : {LossKind::cosface, LossKind::age_dldl, LossKind::binary_cross_entropy, LossKind::cross_entropy,
                     LossKind::pixel_cross_entropy, LossKind::landmark})
    if (name == loss_name(l)) return l;
  return std::nullopt;
}

LossKind default_loss(TaskKind kind) {
  switch (kind) {
    case TaskKind::recognition: return LossKind::cosface;
    case TaskKind::age: return LossKind::age_dldl;
    case TaskKind::attributes: return LossKind::binary_cross_entropy;
    case TaskKind::expression: return LossKind::cross_entropy;
    case TaskKind::parsing: return LossKind::pixel_cross_entropy;
    case TaskKind::landmarks: return LossKind::landmark;
  }
  return LossKind::cross_entropy;
}

InterpreterKind loss_interpreter(LossKind loss) {
  switch (loss) {
    case LossKind::cosface: return InterpreterKind::feature;
    case LossKind::pixel_cross_entropy:
    case LossKind::landmark: return InterpreterKind::map;
    default: return InterpreterKind::value;
  }
}

const std::vector<std::string>& celeba_attribute_names() {
  static const std::vector<std::string> names = {
      "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive",   "Bags_Under_Eyes",   "Bald",
      "Bangs",            "Big_Lips",        "Big_Nose",     "Black_Hair",        "Blond_Hair",
      "Blurry",           "Brown_Hair",      "Bushy_Eyebrows", "Chubby",          "Double_Chin",
      "Eyeglasses",       "Goatee",          "Gray_Hair",    "Heavy_Makeup",      "High_Cheekbones",
      "Male",             "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes",       "No_Beard",
      "Oval_Face",        "Pale_Skin",       "Pointy_Nose",  "Receding_Hairline", "Rosy_Cheeks",
      "Sideburns",        "Smiling",         "Straight_Hair", "Wavy_Hair",        "Wearing_Earrings",
      "Wearing_Hat",      "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young"};
  return names;
}

// core/data/dataset/affect_dataset.py maps RAF-DB and FERPlus labels onto AffectNet's order.
const std::vector<std::string>& expression_names() {
  static const std::vector<std::string> names = {"neutral", "happy", "sad", "surprise", "fear", "disgust", "anger"};
  return names;
}

// core/data/dataset/parsing_dataset.py, label_type "all": background, then the mask-file suffixes.
const std::vector<std::string>& celebamask_hq_class_names() {
  static const std::vector<std::string> names = {
      "background", "neck", "skin", "cloth", "l_ear", "r_ear", "l_brow", "r_brow", "l_eye", "r_eye",
      "nose",       "mouth", "l_lip", "u_lip", "hair", "eye_g", "hat", "ear_r", "neck_l"};
  return names;
}

const std::vector<std::string>& lapa_class_names() {
  static const std::vector<std::string> names = {"background", "skin",        "left_eyebrow", "right_eyebrow",
                                                 "left_eye",   "right_eye",   "nose",         "upper_lip",
                                                 "inner_mouth", "lower_lip", "hair"};
  return names;
}

namespace {

std::vector<TaskSpec> all_official_tasks() {
  using K = TaskKind;
  using I = InterpreterKind;
  // Official tasks train with their kind's loss (TaskSpec::loss unset).
  auto task = [](const char* name, K kind, int queries, I interpreter, int input_size,
                 std::vector<std::string> labels) {
    TaskSpec t;
    t.name = name;
    t.kind = kind;
    t.queries = queries;
    t.interpreter = interpreter;
    t.input_size = input_size;
    t.labels = std::move(labels);
    return t;
  };
  return {
      task("recog_ms1mv3", K::recognition, 0, I::feature, 112, {}),
      task("age_morph2", K::age, 101, I::value, 112, {}),
      task("age_utkface", K::age, 101, I::value, 112, {}),
      task("biattr_celeba", K::attributes, 40, I::value, 112, celeba_attribute_names()),
      task("affect_affectnet", K::expression, 7, I::value, 112, expression_names()),
      task("affect_rafdb", K::expression, 7, I::value, 112, expression_names()),
      task("affect_ferplus", K::expression, 7, I::value, 112, expression_names()),
      task("parsing_celebam", K::parsing, 19, I::map, 512, celebamask_hq_class_names()),
      task("parsing_lapa", K::parsing, 11, I::map, 512, lapa_class_names()),
      task("align_300w", K::landmarks, 68, I::map, 512, {}),
      task("align_cofw", K::landmarks, 29, I::map, 512, {}),
      task("align_wflw", K::landmarks, 98, I::map, 512, {}),
      task("align_aflw", K::landmarks, 19, I::map, 512, {}),
  };
}

}  // namespace

const TaskSpec* find_official_task(const std::string& name) {
  static const std::vector<TaskSpec> tasks = all_official_tasks();
  for (const TaskSpec& t : tasks)
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<TaskSpec> faceptor_base_tasks() {
  std::vector<TaskSpec> out;
  for (const char* n : {"recog_ms1mv3", "age_morph2", "biattr_celeba", "affect_affectnet", "affect_rafdb",
                        "parsing_celebam", "align_300w"})
    out.push_back(*find_official_task(n));
  return out;
}

std::vector<TaskSpec> faceptor_full_tasks() { return all_official_tasks(); }

}  // namespace fc::faceptor
