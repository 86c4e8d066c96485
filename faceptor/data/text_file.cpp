#include "faceptor/data/text_file.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "weights/atomic_file.h"

namespace fc::faceptor::data {

std::vector<TextLine> read_text_lines(const std::string& path) {
  std::string bytes = read_file_bytes(path);
  std::vector<TextLine> lines;
  size_t start = 0;
  int number = 1;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    std::string text = bytes.substr(start, end - start);
    if (!text.empty() && text.back() == '\r') text.pop_back();  // files written on Windows
    lines.push_back({path, number++, std::move(text)});
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> split_whitespace(const std::string& text) {
  std::vector<std::string> tokens;
  std::istringstream in(text);
  std::string token;
  while (in >> token) tokens.push_back(token);
  return tokens;
}

std::vector<std::string> split_csv(const std::string& text, const TextLine& where) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) fail_at(where, "unterminated quote");
  return fields;
}

void fail_at(const TextLine& where, const std::string& message) {
  throw Error(str_cat(where.file, ":", where.number, ": ", message));
}

int parse_int(const std::string& token, const TextLine& where) {
  const char* begin = token.c_str();
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(begin, &end, 10);
  if (token.empty() || *end != '\0' || errno != 0 || v < INT32_MIN || v > INT32_MAX)
    fail_at(where, "'" + token + "' is not an integer");
  return static_cast<int>(v);
}

double parse_double(const std::string& token, const TextLine& where) {
  const char* begin = token.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(begin, &end);
  if (token.empty() || *end != '\0' || errno != 0 || !std::isfinite(v))
    fail_at(where, "'" + token + "' is not a finite number");
  return v;
}

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

Tensor load_image01(const std::string& path) { return image_to_tensor01(load_image(path)); }

}  // namespace fc::faceptor::data
