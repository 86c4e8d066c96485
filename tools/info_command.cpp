// `faceptor info`: what a model file holds: architecture, tasks, and where the parameters are.
#include <iostream>

#include "core/error.h"
#include "faceptor/model_io.h"
#include "tools/cli_args.h"
#include "tools/commands.h"
#include "tools/model_summary.h"
#include "tools/storage_table.h"

namespace fc::tools {

int info_command(const std::vector<std::string>& argv) {
  const std::vector<OptionSpec> options;
  ParsedArgs args = parse_args("faceptor info", argv, options);
  if (args.help) {
    std::cout << "usage: faceptor info MODEL.safetensors\n\n"
                 "Prints the architecture (encoder, decoder, Layer-Attention levels), the tasks (name,\n"
                 "kind, queries, input size, interpreter), the parameter count of each part, and the\n"
                 "storage table of the paper's argument: parameters shared by every task and owned per task\n"
                 "for this model and for the other design (Faceptor / Naive Faceptor) over the same encoder\n"
                 "and tasks, with the cost of one more task in each.\n";
    return 0;
  }
  if (args.positional.size() != 1)
    throw UsageError("faceptor info: expected one model file, got " + std::to_string(args.positional.size()));
  const std::string& path = args.positional[0];
  std::unique_ptr<faceptor::FaceModel> model = faceptor::load_face_model(path);
  std::cout << "model: " << path << "\n" << architecture_summary(model->config) << task_table(model->config);
  if (auto* faceptor_model = dynamic_cast<faceptor::FaceptorModel*>(model.get()))
    std::cout << parameter_table(parameter_breakdown(*faceptor_model), model->config);
  // The paper's storage comparison: this model, and the other design over the same encoder and tasks.
  std::cout << storage_table(storage_report(*model), "this model");
  if (!model->config.tasks.empty()) {
    try {
      std::cout << storage_table(storage_report(*other_design(model->config)), "same encoder and tasks");
    } catch (const Error& e) {
      std::cout << "(the other design cannot be built over this encoder and tasks: " << e.what() << ")\n";
    }
  }
  return 0;
}

}  // namespace fc::tools
