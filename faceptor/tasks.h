// The task registry: what each Faceptor task is (kind, query count, interpreter, input size,
// label names), for the Faceptor-Base and Faceptor-Full task sets of the official code
// (faceptor_project/expreiments/faceptor/stage_1 and stage_2 yaml files).
//
//   const TaskSpec* age = find_official_task("age_morph2");   // 101 queries, value, 112
//   std::vector<TaskSpec> tasks = faceptor_full_tasks();
//
// A task is data, not code: a new one is a TaskSpec in the model config (name, kind, query count,
// interpreter, input size, labels, optionally a loss) whose kind has an output rule
// (faceptor/outputs.h): a "head pose in 5 bins" task is {kind expression (softmax over the
// queries), 5 queries, value interpreter, 5 labels}; its loss follows the kind (cross-entropy)
// unless the config names another. add_task (faceptor/model.h) grows a trained model by one task.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fc::faceptor {

enum class TaskKind { recognition, age, attributes, expression, parsing, landmarks };
enum class InterpreterKind { feature, value, map };

const char* task_kind_name(TaskKind kind);
std::optional<TaskKind> parse_task_kind(const std::string& name);
const char* interpreter_name(InterpreterKind kind);
std::optional<InterpreterKind> parse_interpreter(const std::string& name);

// The training loss of a task and the Batch label it reads (train/objective.h task_loss):
// cosface (feature output, Batch::identity), age_dldl (value, Batch::age), binary_cross_entropy
// (value, Batch::attributes, -1 masked), cross_entropy (value, Batch::expression: the class index
// of any single-label task), pixel_cross_entropy (map, Batch::parsing), landmark (map,
// Batch::landmarks: point L2 + heatmap BCE).
enum class LossKind { cosface, age_dldl, binary_cross_entropy, cross_entropy, pixel_cross_entropy, landmark };
const char* loss_name(LossKind loss);
std::optional<LossKind> parse_loss(const std::string& name);
LossKind default_loss(TaskKind kind);               // the official loss of each kind
InterpreterKind loss_interpreter(LossKind loss);    // the output the loss takes

struct TaskSpec {
  std::string name;         // official name, e.g. "parsing_celebam"
  TaskKind kind;
  int queries = 0;          // decoder queries (0 for recognition: it has no decoder queries)
  InterpreterKind interpreter;
  int input_size = 112;     // 112 for attribute-type tasks, 512 for dense tasks
  std::vector<std::string> labels;  // attribute, expression or parsing class names; empty otherwise
  std::optional<LossKind> loss;     // unset: default_loss(kind) (model files then omit "loss")

  LossKind training_loss() const { return loss.value_or(default_loss(kind)); }
};

const TaskSpec* find_official_task(const std::string& name);
std::vector<TaskSpec> faceptor_base_tasks();  // the stage-1 Base set (7 tasks)
std::vector<TaskSpec> faceptor_full_tasks();  // the "plus" set (13 tasks)

// Label sets, in the datasets' own orders as the official readers use them.
const std::vector<std::string>& celeba_attribute_names();    // 40, list_attr_celeba.txt order
const std::vector<std::string>& expression_names();          // 7, AffectNet order (all datasets mapped to it)
const std::vector<std::string>& celebamask_hq_class_names();  // 19
const std::vector<std::string>& lapa_class_names();           // 11

}  // namespace fc::faceptor
