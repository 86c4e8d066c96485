// All-or-nothing output for one tool run: every file (and dump directory) is first written under
// a temporary name beside its destination; commit() renames them all into place at the end. If
// the run fails before that (an unreadable image, a model error, a full disk), the destructor
// removes every temporary and any directory this run created, so no partial output remains.
//
//   StagedOutputs out;
//   out.add_file("result.json", json_text);
//   std::string dir = out.add_directory("dump/photo");   // write files into `dir`
//   npy_save(dir + "/input_112.npy", x);
//   out.commit();
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fc::tools {

class StagedOutputs {
 public:
  StagedOutputs() = default;
  ~StagedOutputs();  // rolls back unless committed
  StagedOutputs(const StagedOutputs&) = delete;
  StagedOutputs& operator=(const StagedOutputs&) = delete;

  // The parent directory must exist. Throws naming the path.
  void add_file(const std::string& path, std::string_view bytes);
  // Creates missing parent directories (removed again on rollback) and returns the staging
  // directory to fill. At commit an existing `path` is replaced only if it holds nothing but
  // .npy files (a previous dump); check_replaceable_dump says so up front.
  std::string add_directory(const std::string& path);
  void commit();

 private:
  struct Entry {
    std::string final_path, staged_path;
    bool directory = false;
  };
  void rollback() noexcept;
  std::vector<Entry> entries_;
  std::vector<std::string> created_directories_;  // innermost last
  bool committed_ = false;
};

// Throws fc::Error when `path` exists and is not a directory of .npy files only.
void check_replaceable_dump(const std::string& path);
// Throws fc::Error when the directory a file would go into does not exist.
void check_parent_directory(const std::string& path);

}  // namespace fc::tools
