#include "tests/support/fixture.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>

#include "core/error.h"

namespace fc::test {
namespace {

template <class T>
T read_pod(std::ifstream& in, const std::string& path) {
  T value{};
  in.read(reinterpret_cast<char*>(&value), sizeof(T));
  FC_CHECK(in.good(), path, ": truncated fixture file (re-run `make fixtures`)");
  return value;
}

}  // namespace

Fixture::Fixture(const std::string& path) : path_(path) {
  std::ifstream in(path, std::ios::binary);
  FC_CHECK(in.good(), path, ": cannot open fixture file (re-run `make fixtures`)");
  char magic[4];
  in.read(magic, 4);
  FC_CHECK(in.good() && std::memcmp(magic, "FCFX", 4) == 0, path, ": not a fixture file (bad magic)");
  uint32_t version = read_pod<uint32_t>(in, path);
  FC_CHECK(version == 1, path, ": fixture version ", version, ", this reader knows 1 (re-run `make fixtures`)");
  uint32_t count = read_pod<uint32_t>(in, path);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len = read_pod<uint32_t>(in, path);
    std::string name(len, '\0');
    in.read(name.data(), len);
    uint32_t ndim = read_pod<uint32_t>(in, path);
    FC_CHECK(ndim <= kMaxDims, path, ": ", name, " has ", ndim, " dims");
    std::vector<int64_t> sizes(ndim);
    for (auto& s : sizes) s = read_pod<int64_t>(in, path);
    Tensor t = Tensor::empty(Shape(sizes));
    in.read(reinterpret_cast<char*>(t.mutable_data()), static_cast<std::streamsize>(t.numel() * sizeof(float)));
    FC_CHECK(in.good(), path, ": truncated data for ", name);
    tensors_.emplace(name, t);
  }
}

Tensor Fixture::get(const std::string& name) const {
  auto it = tensors_.find(name);
  FC_CHECK(it != tensors_.end(), path_, ": no tensor named '", name, "' (re-run `make fixtures`?)");
  return it->second.clone();
}

std::vector<std::string> Fixture::names() const {
  std::vector<std::string> out;
  for (auto& [name, t] : tensors_) out.push_back(name);
  return out;
}

std::string fixture_path(const std::string& file_name) {
  return std::string(FC_SOURCE_DIR) + "/tests/fixtures/" + file_name;
}

const Fixture& load_fixture(const std::string& group) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<Fixture>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[group];
  if (!slot) slot = std::make_unique<Fixture>(fixture_path("ops_" + group + ".fxt"));
  return *slot;
}

}  // namespace fc::test
