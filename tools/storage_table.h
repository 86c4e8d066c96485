// The storage table behind the paper's argument for Faceptor over Naive Faceptor: what each
// design shares across tasks, what each task (or head) owns, and what one more task costs. For
// the loaded model and, built from the same encoder and task list, the other design (its
// constructors only allocate, so sizing a ViT-B model this way touches no weight memory).
//
//   StorageReport mine = storage_report(model);                 // either design
//   std::unique_ptr<faceptor::FaceModel> other = other_design(model.config);
//   std::cout << storage_table(mine, "this model") << storage_table(storage_report(*other), "same encoder and tasks");
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "faceptor/face_model.h"

namespace fc::tools {

struct StorageReport {
  std::string design;  // "Faceptor" or "Naive Faceptor"
  std::string shared_label;  // what every task shares: "encoder, decoder, interpreters" or "encoder"
  int64_t shared = 0;
  struct Owned {
    std::string label;  // a task (Faceptor: its queries) or a head with its tasks (Naive Faceptor)
    int64_t parameters = 0;
    std::string note;   // e.g. the per-task output layers inside a shared head
  };
  std::vector<Owned> owned;
  int64_t total = 0;
  std::string one_more_task;  // the cost of adding a task, in words and numbers
};

StorageReport storage_report(faceptor::FaceModel& model);
// The other architecture over the same encoder and tasks (Faceptor: Base decoder settings; Naive
// Faceptor: the released head settings and layers).
std::unique_ptr<faceptor::FaceModel> other_design(const faceptor::ModelConfig& config);
std::string storage_table(const StorageReport& report, const std::string& which);

}  // namespace fc::tools
