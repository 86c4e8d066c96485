#include "tools/cli_args.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace fc::tools {

bool ParsedArgs::has(const std::string& name) const {
  return values.count(name) > 0 || std::find(flags.begin(), flags.end(), name) != flags.end();
}

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

ParsedArgs parse_args(const std::string& command, const std::vector<std::string>& args,
                      const std::vector<OptionSpec>& specs) {
  ParsedArgs out;
  auto find_spec = [&](const std::string& name) -> const OptionSpec* {
    for (const OptionSpec& s : specs)
      if (s.name == name) return &s;
    return nullptr;
  };
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg == "-" || arg.rfind("-", 0) != 0) {
      out.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      out.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) throw UsageError(command + ": unknown option '" + arg + "'");
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = find_spec(name);
    if (spec == nullptr) throw UsageError(command + ": unknown option '--" + name + "'");
    if (spec->value_name.empty()) {
      if (inline_value) throw UsageError(command + ": option '--" + name + "' takes no value");
      out.flags.push_back(name);
      continue;
    }
    if (inline_value) {
      out.values[name] = *inline_value;
    } else {
      // A following "--something" is another option, not this one's value (negative numbers,
      // "-1,2", are still accepted as values).
      if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)
        throw UsageError(command + ": option '--" + name + "' needs a value (" + spec->value_name + ")");
      out.values[name] = args[++i];
    }
  }
  return out;
}

std::string options_help(const std::vector<OptionSpec>& specs) {
  std::vector<std::string> left;
  size_t width = 0;
  for (const OptionSpec& s : specs) {
    std::string line = "  --";
    line += s.name;
    if (!s.value_name.empty()) line.append(" ").append(s.value_name);
    left.push_back(line);
    width = std::max(width, left.back().size());
  }
  std::string out;
  for (size_t i = 0; i < specs.size(); ++i) {
    out += left[i] + std::string(width + 2 - left[i].size(), ' ');
    // Continuation lines of a long help text line up under its first line.
    for (char c : specs[i].help) {
      out += c;
      if (c == '\n') out.append(width + 2, ' ');
    }
    out += "\n";
  }
  return out;
}

int parse_int(const std::string& option, const std::string& text, int min_value, int max_value) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw UsageError(option + ": '" + text + "' is not an integer");
  if (value < min_value || value > max_value)
    throw UsageError(option + ": " + text + " is outside [" + std::to_string(min_value) + ", " +
                     std::to_string(max_value) + "]");
  return value;
}

double parse_double(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value))
    throw UsageError(option + ": '" + text + "' is not a finite number");
  return value;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::vector<double> parse_doubles(const std::string& option, const std::string& text, size_t count) {
  std::vector<double> out;
  for (const std::string& item : split_list(text)) out.push_back(parse_double(option, item));
  if (count > 0 && out.size() != count)
    throw UsageError(option + ": expected " + std::to_string(count) + " comma-separated numbers, got " +
                     std::to_string(out.size()) + " in '" + text + "'");
  return out;
}

std::vector<int> parse_ints(const std::string& option, const std::string& text) {
  std::vector<int> out;
  for (const std::string& item : split_list(text)) out.push_back(parse_int(option, item, 0, 1 << 20));
  return out;
}

}  // namespace fc::tools
