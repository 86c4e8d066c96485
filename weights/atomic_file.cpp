#include "weights/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "weights/mapped_file.h"

namespace fc {

namespace {

// The process umask, read without changing it (umask(2) can only swap it, which would race with
// other threads creating files); /proc/self/status has it since Linux 4.7.
mode_t current_umask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
  return 022;
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(const std::string& path) : path_(path) {
  std::vector<char> name(path.begin(), path.end());
  const char suffix[] = ".tmp-XXXXXX";
  name.insert(name.end(), suffix, suffix + sizeof(suffix));  // includes the terminating NUL
  fd_ = ::mkostemp(name.data(), O_CLOEXEC);
  FC_CHECK(fd_ >= 0, file_display_name(path), ": cannot create a temporary file next to '", path,
           "': ", std::strerror(errno));
  temp_path_ = name.data();
  // mkostemp creates the file 0600; give it the mode a plain open(O_CREAT, 0666) would.
  ::fchmod(fd_, 0666 & ~current_umask());
}

AtomicFileWriter::~AtomicFileWriter() {
  if (!committed_) discard();
}

void AtomicFileWriter::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::write(const void* data, size_t bytes) {
  FC_CHECK(fd_ >= 0 && !committed_, file_display_name(path_), ": write after commit");
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t n = ::write(fd_, p, bytes);
    if (n < 0 && errno == EINTR) continue;
    FC_CHECK(n > 0, file_display_name(path_), ": writing '", temp_path_, "' failed: ", std::strerror(errno));
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

void AtomicFileWriter::commit() {
  FC_CHECK(fd_ >= 0 && !committed_, file_display_name(path_), ": commit twice");
  // fsync before rename: otherwise a crash can leave the new name pointing at unwritten blocks.
  FC_CHECK(::fsync(fd_) == 0, file_display_name(path_), ": fsync failed: ", std::strerror(errno));
  int rc = ::close(fd_);
  fd_ = -1;
  FC_CHECK(rc == 0, file_display_name(path_), ": close failed: ", std::strerror(errno));
  FC_CHECK(std::rename(temp_path_.c_str(), path_.c_str()) == 0, file_display_name(path_), ": cannot rename '",
           temp_path_, "' to '", path_, "': ", std::strerror(errno));
  committed_ = true;
  // Persist the rename itself; failure here does not undo a completed write, so it is not fatal.
  size_t slash = path_.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

void write_file_atomic(const std::string& path, std::span<const std::byte> bytes) {
  AtomicFileWriter out(path);
  out.write(bytes.data(), bytes.size());
  out.commit();
}

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  FC_CHECK(in.good(), path, ": cannot open: ", std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  FC_CHECK(!in.bad(), path, ": read failed");
  return std::move(buffer).str();
}

}  // namespace fc
