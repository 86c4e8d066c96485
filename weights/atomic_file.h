// AtomicFileWriter: writes a file so that readers see either the old file or the complete new
// one, never a prefix. Bytes go to a temp file "<path>.tmp-XXXXXX" in the same directory (so the
// final rename stays on one filesystem, where it is atomic); commit() fsyncs and renames it over
// `path`. A writer destroyed without commit() -- an exception on the way -- removes the temp file.
//
//   AtomicFileWriter out("model.safetensors");
//   out.write(header.data(), header.size());
//   out.commit();
#pragma once

#include <span>

#include <cstddef>
#include <string>

namespace fc {

class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(const std::string& path);  // throws naming the path (e.g. no such directory)
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t bytes);
  void commit();
  const std::string& temp_path() const { return temp_path_; }

 private:
  void discard() noexcept;
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

// One-shot form of AtomicFileWriter for bytes already in memory (PNG, JSON, .npy).
void write_file_atomic(const std::string& path, std::span<const std::byte> bytes);

// The whole file as bytes; throws fc::Error naming the path when it cannot be read.
std::string read_file_bytes(const std::string& path);

}  // namespace fc
