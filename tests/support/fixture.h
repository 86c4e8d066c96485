// Reader for the test fixtures written by tests/reference/*.py (format "FCFX", version 1):
//   magic "FCFX" | u32 version | u32 count | count x { u32 name_len | name | u32 ndim |
//   ndim x i64 size | float32 data, row-major }      (all little-endian)
// Fixtures are generated from PyTorch by `make fixtures` and committed; tests never need PyTorch.
//
//   const Fixture& fx = load_fixture("elementwise");   // tests/fixtures/ops_elementwise.fxt
//   Tensor expected = fx.get("add_broadcast/out");
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace fc::test {

class Fixture {
 public:
  explicit Fixture(const std::string& path);
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // A fresh copy (so tests may set requires_grad or write into it); throws naming the file.
  Tensor get(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::map<std::string, Tensor> tensors_;
};

// tests/fixtures/ops_<group>.fxt, loaded once per process.
const Fixture& load_fixture(const std::string& group);
std::string fixture_path(const std::string& file_name);

}  // namespace fc::test
