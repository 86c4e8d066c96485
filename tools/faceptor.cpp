// faceptor: the command-line tool. `faceptor analyze` runs the model on pictures, `faceptor
// convert` turns official checkpoints into model files, `faceptor info` describes a model file,
// `faceptor synth` writes a synthetic labelled dataset.
// Exit status: 0 success, 1 failure (the message names the file or step), 2 usage error.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "faceptor/synth/dataset_writer.h"
#include "tools/cli_args.h"
#include "tools/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: faceptor COMMAND [options]   (faceptor COMMAND --help for its options)\n"
    "\n"
    "commands:\n"
    "  analyze IMAGE... --weights W   face analysis: recognition embedding, age, attributes,\n"
    "                                 expression, parsing, landmarks (table, JSON, overlay, dumps)\n"
    "  convert IN OUT.safetensors     official Faceptor / FaRL checkpoint -> model file\n"
    "  info W                         architecture, tasks and parameter counts of a model file\n"
    "  synth --count N --out DIR      synthetic faces with labels for all six tasks, written in the\n"
    "                                 public datasets' formats\n"
    "  train CONFIG.json              multi-task training from a JSON recipe (checkpoints, resume)\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = args[0];
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  // synth parses its own arguments (faceptor/synth/dataset_writer.h) and reports its own errors.
  if (command == "synth") return fc::faceptor::synth::run_synth_command(argc - 1, argv + 1);
  args.erase(args.begin());
  const bool known = command == "analyze" || command == "convert" || command == "info" ||
                     command == "train";
  // Messages from the argument parser already name the command; others get it prepended.
  auto prefixed = [&](const std::string& message) {
    if (message.rfind("faceptor", 0) == 0) return message;
    return (known ? "faceptor " + command : std::string("faceptor")) + ": " + message;
  };
  try {
    if (command == "analyze") return fc::tools::analyze_command(args);
    if (command == "convert") return fc::tools::convert_command(args);
    if (command == "info") return fc::tools::info_command(args);
    if (command == "train") return fc::tools::train_command(args);
    throw fc::tools::UsageError("unknown command '" + command + "'");
  } catch (const fc::tools::UsageError& e) {
    std::cerr << prefixed(e.what()) << "\nTry 'faceptor " << (known ? command + " " : "") << "--help'.\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << prefixed(std::string("error: ") + e.what()) << "\n";
    return 1;
  }
}
