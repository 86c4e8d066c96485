#include "weights/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace fc {

std::string file_display_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  FC_CHECK(fd >= 0, file_display_name(path), ": cannot open '", path, "': ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = errno;
    ::close(fd);
    throw Error(str_cat(file_display_name(path), ": '", path, "' is not a regular file",
                        err ? std::string(": ") + std::strerror(err) : std::string()));
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* data = nullptr;
  if (size > 0) {
    // MAP_PRIVATE: a later writer of the file cannot change what we already handed out as
    // tensors (pages we read stay ours), and nothing we do can write the file.
    data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      throw Error(str_cat(file_display_name(path), ": cannot mmap ", size, " bytes: ", std::strerror(err)));
    }
  }
  ::close(fd);  // the mapping keeps its own reference to the file
  return std::shared_ptr<const MappedFile>(new MappedFile(path, static_cast<const std::byte*>(data), size));
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

std::string MappedFile::display_name() const { return file_display_name(path_); }

}  // namespace fc
