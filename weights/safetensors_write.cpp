// Safetensors writer: float32 only, header padded like the reference writer
// (safetensors/src/tensor.rs, `prepare`: spaces up to a multiple of 8 bytes).
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "weights/atomic_file.h"
#include "weights/safetensors.h"

namespace fc {

void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata, const WriteProgress& progress) {
  const std::string file = file_display_name(path);
  // Everything, validation included, happens while the temp file exists, so every failure path
  // goes through the writer's cleanup (and the tests can see that it leaves nothing behind).
  AtomicFileWriter out(path);

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header["__metadata__"] = meta;
  }
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    FC_CHECK(!name.empty() && name != "__metadata__", file, ": cannot write a tensor named '", name, "'");
    FC_CHECK(seen.insert(name).second, file, ": tensor name '", name, "' appears twice");
    FC_CHECK(tensor.defined(), file, ": tensor '", name, "' is undefined");
    uint64_t bytes = static_cast<uint64_t>(tensor.numel()) * sizeof(float);
    header[name] = {{"dtype", "F32"}, {"shape", tensor.shape().to_vector()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  uint64_t header_bytes = text.size();
  out.write(&header_bytes, sizeof(header_bytes));
  out.write(text.data(), text.size());
  size_t done = 0;
  for (const auto& [name, tensor] : tensors) {
    if (tensor.is_contiguous()) {
      out.write(tensor.data(), static_cast<size_t>(tensor.numel()) * sizeof(float));
    } else {
      std::vector<float> values = tensor.to_vector();
      out.write(values.data(), values.size() * sizeof(float));
    }
    if (progress) progress(++done, tensors.size());
  }
  out.commit();
}

void write_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_safetensors(path, NamedTensors(tensors.begin(), tensors.end()), metadata);
}

}  // namespace fc
