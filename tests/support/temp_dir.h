// Test helpers for file-format tests: a fresh temporary directory removed with everything in it
// when the test ends, and small whole-file byte helpers for crafting broken inputs.
//
//   TempDir dir;
//   write_file(dir.path("bad.safetensors"), std::string("\x03\0\0\0\0\0\0\0{}", 10));
//   CHECK(dir.list() == std::vector<std::string>{"bad.safetensors"});
#pragma once

#include <string>
#include <vector>

namespace fc::test {

class TempDir {
 public:
  TempDir();   // a new directory under the system temp dir
  ~TempDir();  // removes it recursively
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path(const std::string& name) const { return root_ + "/" + name; }
  const std::string& root() const { return root_; }
  std::vector<std::string> list() const;  // file names in the directory, sorted

 private:
  std::string root_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

}  // namespace fc::test
