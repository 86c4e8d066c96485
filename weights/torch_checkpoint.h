// Reading PyTorch checkpoints (the zip format torch.save writes since 1.6) without PyTorch and
// without executing any code. The archive "<dir>/data.pkl" is decoded by weights/pickle.h with a
// whitelist of globals (OrderedDict, the tensor/parameter rebuild functions, the storage types);
// anything else -- os.system, a custom class -- is refused by name. Tensor storages are the
// archive's "<dir>/data/<key>" entries, memory-mapped in place.
//
//   TorchCheckpoint ckpt = TorchCheckpoint::open("faceptor.pth");
//   const CheckpointValue& sd = ckpt.state_dict();        // root["state_dict"], ["model"], or root
//   for (const auto& [name, t] : flatten_tensors(sd)) {   // "backbone.blocks.0.attn.qkv.weight"
//     if (t->is_float()) Tensor w = t->to_float();         // float32; zero-copy when f32 and aligned
//     else int64_t steps = t->to_int64()[0];               // e.g. BatchNorm num_batches_tracked
//   }
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "weights/element_type.h"
#include "weights/mapped_file.h"

namespace fc {

// One tensor of a checkpoint: a strided view (sizes, strides and offset in elements, as PyTorch
// stores them) into a storage that lies inside the mapped file.
struct TorchTensor {
  ElementType dtype = ElementType::f32;
  Shape shape;
  Shape strides;
  int64_t storage_offset = 0;     // elements
  std::string storage_key;        // "<dir>/data/<key>" in the archive
  const std::byte* storage_data = nullptr;  // inside the mapping
  uint64_t storage_bytes = 0;
  // Shared by every float32 tensor on the same aligned storage, so views that shared storage in
  // PyTorch share it here (Tensor::shares_storage_with holds); null otherwise.
  std::shared_ptr<Storage> mapped_storage;

  bool is_float() const { return element_type_is_float(dtype); }
  // Whether to_float() returns a view of the mapping rather than a copy: float32 storage that is
  // 4-byte aligned (torch.save aligns storages to 64 bytes). Strided views stay zero-copy views.
  bool is_zero_copy() const { return mapped_storage != nullptr; }
  Tensor to_float() const;             // float types; f16/bf16/f64 are converted (a copy)
  std::vector<int64_t> to_int64() const;  // integer/bool types, row-major
};

struct CheckpointValue {
  enum class Kind : uint8_t { none, boolean, integer, floating, string, list, dict, tensor, other };
  Kind kind = Kind::none;
  bool boolean = false;
  int64_t integer = 0;
  double floating = 0;
  std::string text;  // string; for `other`, what it was ("bytes", "reduce torch._utils._rebuild_...")
  std::vector<CheckpointValue> items;                             // list (and tuple)
  std::vector<std::pair<std::string, CheckpointValue>> entries;   // dict; int keys written in decimal
  std::shared_ptr<const TorchTensor> tensor;

  const CheckpointValue* find(const std::string& key) const;  // dict lookup; nullptr when absent
};

class TorchCheckpoint {
 public:
  // Throws fc::Error naming the file: not a zip, compressed entries, non-whitelisted globals,
  // storages missing or too small for the tensors that view them, big-endian archives.
  static TorchCheckpoint open(const std::string& path);

  const CheckpointValue& root() const { return root_; }
  // The parameter dict: root["state_dict"], root["model_state_dict"], root["model"] or
  // root["module"] when one is a dict, else the root itself when it holds tensors.
  const CheckpointValue& state_dict() const;
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  CheckpointValue root_;
};

// Tensors of a (nested) dict, depth first in file order, with keys joined by '.'
// ({"a": {"b": t}} -> "a.b"). Non-tensor leaves are skipped; lists are indexed ("a.0").
using NamedTorchTensors = std::vector<std::pair<std::string, std::shared_ptr<const TorchTensor>>>;
NamedTorchTensors flatten_tensors(const CheckpointValue& value, const std::string& prefix = "");

}  // namespace fc
