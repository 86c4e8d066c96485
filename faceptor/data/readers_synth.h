// Readers of labels only the synthetic dataset has (faceptor/synth, `faceptor synth`), for tasks
// that exist only in configuration. The head pose reader serves a task such as
//   {"name": "headpose_synth", "kind": "expression", "queries": 5, "interpreter": "value",
//    "input_size": 112, "labels": ["yaw -0.40..-0.24", ...]}
// whose class label (Sample::expression, the class index of single-label tasks) is the yaw bin.
//
//   SynthHeadPose train("data/synth", "train");   // annotations.jsonl + celeba/img_align_celeba
//   Sample s = train.get(0, rng);                  // s.expression = yaw bin 0-4
#pragma once

#include <string>

#include "faceptor/data/records.h"

namespace fc::faceptor::data {

// <root>/annotations.jsonl (one object per image: "celeba_file", "partition" 0 train / 1 val /
// 2 test, "yaw_bin") with the pictures in <root>/celeba/img_align_celeba/. Splits: train, val,
// test, train_val, all. A line without those fields throws naming the file and line.
class SynthHeadPose : public RecordDataset {
 public:
  SynthHeadPose(const std::string& root, const std::string& split);
};

}  // namespace fc::faceptor::data
