// faceptor: the command-line tool. One subcommand per job (analyze, convert, eval, explain, info,
// synth, ...); each lives in tools/<name>_command.cpp and is listed once in kCommands below.
// Exit status: 0 success, 1 failure (the message names the file or step), 2 usage error.
#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "faceptor/synth/dataset_writer.h"
#include "tools/cli_args.h"
#include "tools/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>& args);
  const char* synopsis;  // "NAME ARGS" column of the usage
  const char* summary;   // what it does (may span lines, each indented to the summary column)
};

int synth_command(const std::vector<std::string>& args) {
  // synth parses its own arguments (faceptor/synth/dataset_writer.h) and reports its own errors.
  std::vector<const char*> argv{"synth"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return fc::faceptor::synth::run_synth_command(static_cast<int>(argv.size()), argv.data());
}

const Command kCommands[] = {
    {"analyze", fc::tools::analyze_command, "analyze IMAGE... --weights W",
     "face analysis: recognition embedding, age, attributes,\n"
     "expression, parsing, landmarks (table, JSON, overlay, dumps)"},
    {"convert", fc::tools::convert_command, "convert IN OUT.safetensors",
     "official Faceptor / FaRL checkpoint -> model file"},
    {"eval", fc::tools::eval_command, "eval --weights W --task T",
     "a task's official metric on a test set (--dataset KIND --root DIR,\n"
     "or --pairs pairs.txt --root IMAGES for recognition)"},
    {"explain", fc::tools::explain_command, "explain IMAGE --weights W",
     "what the model looks at: Layer-Attention profile per task,\n"
     "per-query attention maps, encoder layers as PCA pictures"},
    {"info", fc::tools::info_command, "info W", "architecture, tasks and parameter counts of a model file"},
    {"synth", synth_command, "synth --count N --out DIR",
     "synthetic faces with labels for all six tasks, written in the\n"
     "public datasets' formats"},
    {"train", fc::tools::train_command, "train CONFIG.json",
     "multi-task training from a JSON recipe (checkpoints, resume)"},
};

std::string usage() {
  constexpr size_t kColumn = 33;
  std::string text = "usage: faceptor COMMAND [options]   (faceptor COMMAND --help for its options)\n\ncommands:\n";
  for (const Command& c : kCommands) {
    std::string line = std::string("  ") + c.synopsis;
    line.resize(std::max(kColumn, line.size() + 1), ' ');
    std::string summary = c.summary;
    for (size_t pos = 0; (pos = summary.find('\n', pos)) != std::string::npos; pos += kColumn + 1)
      summary.insert(pos + 1, std::string(kColumn, ' '));
    text += line + summary + "\n";
  }
  return text;
}

const Command* find_command(const std::string& name) {
  for (const Command& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << usage();
    return 2;
  }
  const std::string name = args[0];
  if (name == "-h" || name == "--help" || name == "help") {
    std::cout << usage();
    return 0;
  }
  args.erase(args.begin());
  const Command* command = find_command(name);
  // Messages from the argument parser already name the command; others get it prepended.
  auto prefixed = [&](const std::string& message) {
    if (message.rfind("faceptor", 0) == 0) return message;
    return (command ? "faceptor " + name : std::string("faceptor")) + ": " + message;
  };
  try {
    if (!command) throw fc::tools::UsageError("unknown command '" + name + "'");
    return command->run(args);
  } catch (const fc::tools::UsageError& e) {
    std::cerr << prefixed(e.what()) << "\nTry 'faceptor " << (command ? name + " " : "") << "--help'.\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << prefixed(std::string("error: ") + e.what()) << "\n";
    return 1;
  }
}
