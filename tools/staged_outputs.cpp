#include "tools/staged_outputs.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <span>

#include "core/error.h"
#include "weights/atomic_file.h"

namespace fs = std::filesystem;

namespace fc::tools {

namespace {

std::string staging_name(const std::string& path) {
  static std::atomic<int> counter{0};
  const fs::path p(path);
  std::string name = ".";
  name.append(p.filename().string()).append(".staged-").append(std::to_string(::getpid()));
  name.append("-").append(std::to_string(counter++));
  return (p.parent_path().empty() ? fs::path(name) : p.parent_path() / name).string();
}

bool is_dump_directory(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return false;
  for (const fs::directory_entry& e : fs::directory_iterator(path, ec))
    if (!e.is_regular_file() || e.path().extension() != ".npy") return false;
  return !ec;
}

}  // namespace

void check_parent_directory(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  FC_CHECK(parent.empty() || fs::is_directory(parent, ec), path, ": directory ", parent.string(), " does not exist");
  FC_CHECK(!fs::is_directory(path, ec), path, ": is a directory");
}

void check_replaceable_dump(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return;
  FC_CHECK(is_dump_directory(path), path,
           ": exists and is not a previous dump (a directory of .npy files only); not replacing it");
}

StagedOutputs::~StagedOutputs() {
  if (!committed_) rollback();
}

void StagedOutputs::add_file(const std::string& path, std::string_view bytes) {
  check_parent_directory(path);
  Entry e{path, staging_name(path), false};
  write_file_atomic(e.staged_path, std::as_bytes(std::span(bytes.data(), bytes.size())));
  entries_.push_back(std::move(e));
}

std::string StagedOutputs::add_directory(const std::string& path) {
  check_replaceable_dump(path);
  // Record each directory level we create, outermost first, so rollback can remove them.
  std::vector<fs::path> missing;
  for (fs::path p = fs::path(path).parent_path(); !p.empty() && !fs::exists(p); p = p.parent_path())
    missing.insert(missing.begin(), p);
  for (const fs::path& p : missing) {
    std::error_code ec;
    fs::create_directory(p, ec);
    FC_CHECK(!ec, p.string(), ": cannot create directory: ", ec.message());
    created_directories_.push_back(p.string());
  }
  Entry e{path, staging_name(path), true};
  std::error_code ec;
  fs::create_directory(e.staged_path, ec);
  FC_CHECK(!ec, e.staged_path, ": cannot create directory: ", ec.message());
  entries_.push_back(e);
  return e.staged_path;
}

void StagedOutputs::commit() {
  for (Entry& e : entries_) {
    std::error_code ec;
    if (e.directory && fs::exists(e.final_path)) {
      // rename(2) does not replace a non-empty directory: move the old dump aside first.
      const std::string old = staging_name(e.final_path) + ".old";
      fs::rename(e.final_path, old, ec);
      FC_CHECK(!ec, e.final_path, ": cannot replace the previous dump: ", ec.message());
      fs::rename(e.staged_path, e.final_path, ec);
      FC_CHECK(!ec, e.final_path, ": cannot move the dump into place: ", ec.message());
      fs::remove_all(old, ec);
    } else {
      fs::rename(e.staged_path, e.final_path, ec);
      FC_CHECK(!ec, e.final_path, ": cannot move the output into place: ", ec.message());
    }
    e.staged_path.clear();
  }
  committed_ = true;
}

void StagedOutputs::rollback() noexcept {
  for (const Entry& e : entries_) {
    std::error_code ec;
    if (!e.staged_path.empty()) fs::remove_all(e.staged_path, ec);
  }
  for (auto it = created_directories_.rbegin(); it != created_directories_.rend(); ++it) {
    std::error_code ec;
    fs::remove(*it, ec);  // only succeeds while empty
  }
}

}  // namespace fc::tools
