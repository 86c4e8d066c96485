// `faceptor info`: what a model file holds: architecture, tasks, and where the parameters are.
#include <iostream>

#include "faceptor/model_io.h"
#include "tools/cli_args.h"
#include "tools/commands.h"
#include "tools/model_summary.h"

namespace fc::tools {

int info_command(const std::vector<std::string>& argv) {
  const std::vector<OptionSpec> options;
  ParsedArgs args = parse_args("faceptor info", argv, options);
  if (args.help) {
    std::cout << "usage: faceptor info MODEL.safetensors\n\n"
                 "Prints the architecture (encoder, decoder, Layer-Attention levels), the tasks (name,\n"
                 "kind, queries, input size, interpreter) and the parameter count of each part.\n";
    return 0;
  }
  if (args.positional.size() != 1)
    throw UsageError("faceptor info: expected one model file, got " + std::to_string(args.positional.size()));
  const std::string& path = args.positional[0];
  std::unique_ptr<faceptor::FaceptorModel> model = faceptor::load_model(path);
  std::cout << "model: " << path << "\n"
            << architecture_summary(model->config) << task_table(model->config)
            << parameter_table(parameter_breakdown(*model), model->config);
  return 0;
}

}  // namespace fc::tools
