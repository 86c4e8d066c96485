// Command-line parsing for the faceptor tool: options declared as data (name, value or flag,
// help text), parsed into positional arguments and option values. Anything the user typed wrong
// is a UsageError (the tool exits with status 2 and points at --help); failures while doing the
// work are fc::Error (status 1).
//
//   const std::vector<OptionSpec> specs = {{"weights", "W", "model file (.safetensors)"},
//                                          {"verbose", "", "more output"}};
//   ParsedArgs args = parse_args("faceptor info", argv_tail, specs);
//   int threads = parse_int("--threads", args.value_or("threads", "0"));
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fc::tools {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;        // without the leading "--"
  std::string value_name;  // empty: a flag that takes no value
  std::string help;
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // options given with a value (the last one wins)
  std::vector<std::string> flags;             // flags given
  bool help = false;                          // -h or --help anywhere

  bool has(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
};

// Accepts "--name value", "--name=value", flags, "-h"/"--help", and "--" (everything after it is
// positional). Unknown options and missing values are UsageErrors naming the option and `command`.
ParsedArgs parse_args(const std::string& command, const std::vector<std::string>& args,
                      const std::vector<OptionSpec>& specs);

// "  --name VALUE   help" lines, aligned.
std::string options_help(const std::vector<OptionSpec>& specs);

// Value parsers: UsageErrors name the option and the text.
int parse_int(const std::string& option, const std::string& text, int min_value, int max_value);
double parse_double(const std::string& option, const std::string& text);
// "a,b,c" -> numbers; `count` > 0 requires exactly that many.
std::vector<double> parse_doubles(const std::string& option, const std::string& text, size_t count = 0);
std::vector<int> parse_ints(const std::string& option, const std::string& text);
// "a,b,,c" -> {"a", "b", "c"} (empty items dropped).
std::vector<std::string> split_list(const std::string& text);

}  // namespace fc::tools
