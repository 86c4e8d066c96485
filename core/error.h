// Errors of the runtime: one exception type whose message names the op and the shapes involved,
// e.g. "matmul: (2,3) x (4,5): inner dimensions differ".
//
//   FC_CHECK(a.size(-1) == b.size(0), "matmul: ", a.shape(), " x ", b.shape(), ": inner dimensions differ");
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace fc {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Streams every argument into one string; anything with operator<< works (shapes do).
template <class... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

}  // namespace fc

#define FC_CHECK(cond, ...)                                    \
  do {                                                         \
    if (!(cond)) throw ::fc::Error(::fc::str_cat(__VA_ARGS__)); \
  } while (0)
