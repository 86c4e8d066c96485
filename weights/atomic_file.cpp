#include "weights/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace fc {

namespace {

std::string directory_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

void write_file_atomic(const std::string& path, std::span<const std::byte> bytes) {
  FC_CHECK(!path.empty() && path.back() != '/', "write_file_atomic: '", path, "' is not a file path");
  // Same directory as the destination, so rename() never crosses a file system. The leading dot
  // keeps the temporary out of casual directory listings.
  std::string temp = directory_of(path) + "/." + base_name_of(path) + ".tmp.XXXXXX";
  std::vector<char> temp_name(temp.begin(), temp.end());
  temp_name.push_back('\0');
  int fd = ::mkstemp(temp_name.data());
  FC_CHECK(fd >= 0, path, ": cannot create a temporary file in '", directory_of(path), "': ", std::strerror(errno));
  std::string failure;
  const std::byte* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0 && failure.empty()) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) failure = std::string("write failed: ") + std::strerror(errno);
    else {
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  if (failure.empty() && ::fsync(fd) != 0) failure = std::string("fsync failed: ") + std::strerror(errno);
  if (::close(fd) != 0 && failure.empty()) failure = std::string("close failed: ") + std::strerror(errno);
  // mkstemp creates 0600; give the file the usual permissions a plain fopen would.
  if (failure.empty()) {
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::chmod(temp_name.data(), 0666 & ~mask);
  }
  if (failure.empty() && std::rename(temp_name.data(), path.c_str()) != 0)
    failure = std::string("rename failed: ") + std::strerror(errno);
  if (!failure.empty()) {
    ::unlink(temp_name.data());
    throw Error(str_cat(path, ": ", failure));
  }
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
