// NaiveFaceptorModel: the paper's first design: the shared FaRL encoder and one standardized head
// per task kind (recognition, attribute, dense), named as the official checkpoints name them
// under "heads.<kind>." (module.heads_module.heads.<kind>.* there; faceptor/convert.h renames).
// Port of model_entry.py AIOEntry + heads/task_specific_heads.py TaskSpecificHeadsHolder, run
// with the same contract as FaceptorModel (faceptor/face_model.h): one encoder pass per call,
// only the requested tasks, raw outputs in Faceptor's form (recognition (B, E), attribute-type
// (B, K) logits, dense (B, K, 4S, 4S) logits).
//
//   NaiveFaceptorModel model(ModelConfig::naive_faceptor_base());
//   model.eval();
//   PassResult r = model.run(x512, {"parsing_celebam", "align_300w"});   // x (B, 3, 512, 512)
//   Tensor labels = parsing_labels(parsing_logits_resized(r.tasks.at("parsing_celebam").raw, 512, 512));
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faceptor/face_model.h"
#include "faceptor/interpreters.h"
#include "faceptor/naive/attribute_head.h"
#include "faceptor/naive/dense_head.h"

namespace fc::faceptor::naive {

class NaiveFaceptorModel : public FaceModel {
 public:
  explicit NaiveFaceptorModel(ModelConfig config);

  PassResult run(const Tensor& input, std::vector<std::string> tasks, const RunOptions& options = {}) const override;
  // Every head's levels and the last layer.
  std::vector<int> encoder_layers_read() const override;
  // The task's head alone on `encoder` (training runs it on the task's own rows; the official
  // TaskSpecificHeadsHolder applies heads[task.split('_')[0]] to each task's input in turn).
  TaskResult run_task_head(const EncoderOutput& encoder, const std::string& task,
                           const RunOptions& options = {}) const override;

  // The module under "heads.<name>" (one of the three lists below).
  Module& head(const std::string& name);

  // RecognitionHead has the feature interpreter's layers and names (norm, head.0 .. head.3).
  std::vector<std::pair<NaiveHeadSpec, std::unique_ptr<FeatureInterpreter>>> recognition_heads;
  std::vector<std::unique_ptr<AttributeHead>> attribute_heads;
  std::vector<std::unique_ptr<DenseHead>> dense_heads;

 private:
  // `trunks` (by head name) lets tasks of one head share its trunk within a pass; null: no sharing.
  TaskResult run_head(const EncoderOutput& encoder, const std::string& task, const RunOptions& options,
                      std::map<std::string, Tensor>* trunks) const;
};

// The tensor names a Naive Faceptor of config `grown` has beyond one of config `base` (a task
// list that gained tasks): whole heads `base` lacks, and the per-task Linear (fcs.<task>) of an
// attribute task added to an existing head. Sorted. A dense head that gains a task changes its
// conv_seg shape and is not covered (loading then fails naming the tensor).
std::vector<std::string> tensors_of_new_tasks(const ModelConfig& base, NaiveFaceptorModel& grown);

}  // namespace fc::faceptor::naive
