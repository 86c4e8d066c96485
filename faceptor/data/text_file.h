// Small helpers for the readers of annotation files: lines with their numbers, whitespace and
// CSV splitting, and number parsing whose errors name "file:line".
//
//   for (const TextLine& line : read_text_lines("list_attr_celeba.txt")) {
//     std::vector<std::string> tokens = split_whitespace(line.text);
//     int v = parse_int(tokens[1], line);   // throws "list_attr_celeba.txt:3: 'x' is not an integer"
//   }
#pragma once

#include <string>
#include <vector>

#include "faceptor/image.h"

namespace fc::faceptor::data {

struct TextLine {
  std::string file;
  int number = 0;  // 1-based
  std::string text;  // without the line break (and without a trailing '\r')
};

// Every line of a text file; throws naming the path when it cannot be read.
std::vector<TextLine> read_text_lines(const std::string& path);

std::vector<std::string> split_whitespace(const std::string& text);
// One CSV record: commas separate fields, double quotes group ("" is a quote inside quotes).
std::vector<std::string> split_csv(const std::string& text, const TextLine& where);

int parse_int(const std::string& token, const TextLine& where);
double parse_double(const std::string& token, const TextLine& where);

// "file:line: " + message, as an fc::Error.
[[noreturn]] void fail_at(const TextLine& where, const std::string& message);

// Joins path parts with '/'.
std::string join_path(const std::string& a, const std::string& b);
bool file_exists(const std::string& path);
// load_image, then (3, H, W) in [0, 1].
Tensor load_image01(const std::string& path);

}  // namespace fc::faceptor::data
