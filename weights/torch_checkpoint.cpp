// The layout interpreted here is what torch/serialization.py's `_save` writes and `_load`
// (with `persistent_load`) reads; tensors are rebuilt as torch/_utils.py's `_rebuild_tensor_v2`
// does, from (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).
#include "weights/torch_checkpoint.h"

#include <map>
#include <set>

#include "core/error.h"
#include "weights/pickle.h"
#include "weights/zip_reader.h"

namespace fc {
namespace {

// Legitimate state dicts nest a few levels; deeper means a hostile (possibly cyclic) pickle.
constexpr int kMaxDepth = 64;
// The memo lets a small pickle reference one sub-tree many times (a doubling DAG expands to 2^depth
// values); converting copies each reference, so the total is capped well above any real checkpoint.
constexpr int64_t kMaxValues = 1'000'000;

struct StorageType {
  const char* global;
  ElementType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"torch.FloatStorage", ElementType::f32},   {"torch.HalfStorage", ElementType::f16},
    {"torch.BFloat16Storage", ElementType::bf16}, {"torch.DoubleStorage", ElementType::f64},
    {"torch.LongStorage", ElementType::i64},    {"torch.IntStorage", ElementType::i32},
    {"torch.ShortStorage", ElementType::i16},   {"torch.CharStorage", ElementType::i8},
    {"torch.ByteStorage", ElementType::u8},     {"torch.BoolStorage", ElementType::boolean},
};

std::set<std::string> allowed_globals() {
  std::set<std::string> names = {"collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                                 "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"};
  for (const auto& s : kStorageTypes) names.insert(s.global);
  return names;
}

struct MappedStorage {
  std::string key;
  ElementType dtype;
  const std::byte* data;
  uint64_t bytes;
  std::shared_ptr<Storage> storage;  // float32 and aligned only
};

class Converter {
 public:
  Converter(const ZipArchive& zip, std::string prefix, std::string file)
      : zip_(zip), prefix_(std::move(prefix)), file_(std::move(file)) {}

  CheckpointValue convert(const PickleValue& v, const std::string& path, int depth) {
    FC_CHECK(depth <= kMaxDepth, file_, ": '", path, "' nests deeper than ", kMaxDepth, " levels (or is cyclic)");
    FC_CHECK(++values_ <= kMaxValues, file_, ": the pickle expands to more than ", kMaxValues,
             " values (shared sub-trees); refusing to load");
    CheckpointValue out;
    using Kind = CheckpointValue::Kind;
    switch (v.kind) {
      case PickleKind::none: break;
      case PickleKind::boolean: out.kind = Kind::boolean, out.boolean = v.boolean; break;
      case PickleKind::integer: out.kind = Kind::integer, out.integer = v.integer; break;
      case PickleKind::floating: out.kind = Kind::floating, out.floating = v.floating; break;
      case PickleKind::string: out.kind = Kind::string, out.text = v.text; break;
      case PickleKind::list:
      case PickleKind::tuple:
        out.kind = Kind::list;
        for (size_t i = 0; i < v.items.size(); ++i)
          out.items.push_back(convert(*v.items[i], join(path, std::to_string(i)), depth + 1));
        break;
      case PickleKind::dict:
        out.kind = Kind::dict;
        for (const auto& [key, value] : v.entries) {
          std::string name = key->kind == PickleKind::string    ? key->text
                             : key->kind == PickleKind::integer ? std::to_string(key->integer)
                                                                : str_cat("<", pickle_kind_name(key->kind), ">");
          out.entries.emplace_back(name, convert(*value, join(path, name), depth + 1));
        }
        break;
      case PickleKind::reduce: {
        const std::string& callable = v.items[0]->text;
        const PickleValue& args = *v.items[1];
        if (callable == "torch._utils._rebuild_tensor_v2") {
          out.kind = Kind::tensor;
          out.tensor = rebuild_tensor(args, path);
        } else if ((callable == "torch._utils._rebuild_parameter" ||
                    callable == "torch._utils._rebuild_parameter_with_state") &&
                   !args.items.empty() && args.items[0]->kind == PickleKind::reduce) {
          // (data, requires_grad, backward_hooks[, state]): a Parameter is its data tensor here.
          out = convert(*args.items[0], path, depth + 1);
          FC_CHECK(out.kind == Kind::tensor, file_, ": '", path, "': a parameter whose data is not a tensor");
        } else {
          out.kind = Kind::other, out.text = "reduce " + callable;
        }
        break;
      }
      default: out.kind = Kind::other, out.text = pickle_kind_name(v.kind); break;
    }
    return out;
  }

 private:
  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  static std::vector<int64_t> int_tuple(const PickleValue& v, const std::string& file, const std::string& what) {
    FC_CHECK(v.kind == PickleKind::tuple || v.kind == PickleKind::list, file, ": ", what, " is a ",
             pickle_kind_name(v.kind), ", not a tuple of ints");
    std::vector<int64_t> out;
    for (const PickleValue* item : v.items) {
      FC_CHECK(item->kind == PickleKind::integer, file, ": ", what, " holds a ", pickle_kind_name(item->kind));
      out.push_back(item->integer);
    }
    return out;
  }

  const MappedStorage& storage(const PickleValue& pid, const std::string& path) {
    // ('storage', storage_type, key, location, numel), as torch.save's persistent_id writes it.
    const PickleValue* id = pid.items.empty() ? nullptr : pid.items[0];
    FC_CHECK(id && id->kind == PickleKind::tuple && id->items.size() == 5 && id->items[0]->text == "storage" &&
                 id->items[1]->kind == PickleKind::global && id->items[2]->kind == PickleKind::string &&
                 id->items[4]->kind == PickleKind::integer,
             file_, ": '", path, "': malformed storage reference");
    const std::string& type = id->items[1]->text;
    const StorageType* st = nullptr;
    for (const auto& s : kStorageTypes)
      if (type == s.global) st = &s;
    FC_CHECK(st, file_, ": '", path, "': '", type, "' is not a storage type");
    std::string key = prefix_ + "/data/" + id->items[2]->text;
    int64_t numel = id->items[4]->integer;

    auto it = storages_.find(key);
    if (it != storages_.end()) {
      FC_CHECK(it->second.dtype == st->dtype, file_, ": storage '", key, "' is used both as ",
               element_type_name(it->second.dtype), " and as ", element_type_name(st->dtype));
      return it->second;
    }
    const ZipEntry* entry = zip_.find(key);
    FC_CHECK(entry, file_, ": '", path, "' refers to storage '", key, "', which the archive does not contain");
    uint64_t bytes = 0;
    FC_CHECK(numel >= 0 && !__builtin_mul_overflow(static_cast<uint64_t>(numel), element_type_size(st->dtype), &bytes) &&
                 bytes <= entry->size,
             file_, ": storage '", key, "' holds ", entry->size, " bytes, too few for ", numel, " ",
             element_type_name(st->dtype), " elements");
    MappedStorage m{key, st->dtype, zip_.data(*entry), bytes, nullptr};
    if (st->dtype == ElementType::f32 && reinterpret_cast<uintptr_t>(m.data) % alignof(float) == 0)
      m.storage = Storage::wrap_read_only(m.data, bytes, zip_.file());
    return storages_.emplace(key, std::move(m)).first->second;
  }

  std::shared_ptr<const TorchTensor> rebuild_tensor(const PickleValue& args, const std::string& path) {
    FC_CHECK(args.items.size() >= 4 && args.items[0]->kind == PickleKind::persistent_id &&
                 args.items[1]->kind == PickleKind::integer,
             file_, ": '", path, "': malformed _rebuild_tensor_v2 arguments");
    const MappedStorage& m = storage(*args.items[0], path);
    std::vector<int64_t> sizes = int_tuple(*args.items[2], file_, "'" + path + "' size");
    std::vector<int64_t> strides = int_tuple(*args.items[3], file_, "'" + path + "' stride");
    FC_CHECK(sizes.size() <= static_cast<size_t>(kMaxDims), file_, ": '", path, "' has ", sizes.size(),
             " dims; the runtime supports at most ", kMaxDims);
    auto t = std::make_shared<TorchTensor>();
    t->dtype = m.dtype;
    t->shape = Shape(sizes);
    FC_CHECK(strides.size() == sizes.size(), file_, ": '", path, "': size ", t->shape, " and stride rank differ");
    t->strides = Shape(strides);
    t->storage_offset = args.items[1]->integer;
    t->storage_key = m.key;
    t->storage_data = m.data;
    t->storage_bytes = m.bytes;
    t->mapped_storage = m.storage;
    int64_t extent = strided_extent(t->shape, t->strides, file_ + ": '" + path + "'");
    int64_t end = 0;
    int64_t capacity = static_cast<int64_t>(m.bytes / element_type_size(m.dtype));
    FC_CHECK(t->storage_offset >= 0 && !__builtin_add_overflow(t->storage_offset, extent, &end) && end <= capacity,
             file_, ": '", path, "': view ", t->shape, " stride ", t->strides, " at offset ", t->storage_offset,
             " overruns its storage of ", capacity, " elements");
    return t;
  }

  const ZipArchive& zip_;
  std::string prefix_;
  std::string file_;
  std::map<std::string, MappedStorage> storages_;
  int64_t values_ = 0;
};

// The archive's record directory: the "<dir>" of the single "<dir>/data.pkl".
std::string record_prefix(const ZipArchive& zip, const std::string& file) {
  std::string prefix;
  for (const ZipEntry& e : zip.entries()) {
    size_t slash = e.name.find('/');
    if (slash == std::string::npos || e.name.substr(slash) != "/data.pkl") continue;
    FC_CHECK(prefix.empty(), file, ": archive holds more than one data.pkl");
    prefix = e.name.substr(0, slash);
  }
  FC_CHECK(!prefix.empty(), file, ": zip archive has no <dir>/data.pkl; not a torch.save checkpoint "
                                  "(TorchScript archives from torch.jit.save are not supported)");
  return prefix;
}

}  // namespace

Tensor TorchTensor::to_float() const {
  FC_CHECK(is_float(), "TorchTensor::to_float: tensor ", shape, " is ", element_type_name(dtype),
           "; read integer tensors with to_int64()");
  if (mapped_storage) return Tensor::from_storage(mapped_storage, shape, strides, storage_offset);
  return copy_to_f32(storage_data, dtype, shape, strides, storage_offset);
}

std::vector<int64_t> TorchTensor::to_int64() const {
  FC_CHECK(!is_float(), "TorchTensor::to_int64: tensor ", shape, " is ", element_type_name(dtype),
           "; read float tensors with to_float()");
  return copy_to_int64(storage_data, dtype, shape, strides, storage_offset);
}

const CheckpointValue* CheckpointValue::find(const std::string& key) const {
  if (kind != Kind::dict) return nullptr;
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

TorchCheckpoint TorchCheckpoint::open(const std::string& path) {
  TorchCheckpoint out;
  out.file_ = MappedFile::open(path);
  const std::string file = out.file_->display_name();
  ZipArchive zip = ZipArchive::open(out.file_);
  std::string prefix = record_prefix(zip, file);
  if (const ZipEntry* order = zip.find(prefix + "/byteorder")) {
    std::string value(reinterpret_cast<const char*>(zip.data(*order)), order->size);
    FC_CHECK(value == "little", file, ": byteorder is '", value, "'; only little-endian checkpoints are supported");
  }
  const ZipEntry* pickle = zip.find(prefix + "/data.pkl");
  PickleDocument doc = pickle_decode(zip.data(*pickle), pickle->size, allowed_globals(), file);
  out.root_ = Converter(zip, prefix, file).convert(doc.root(), "", 0);
  return out;
}

const CheckpointValue& TorchCheckpoint::state_dict() const {
  for (const char* key : {"state_dict", "model_state_dict", "model", "module"}) {
    const CheckpointValue* v = root_.find(key);
    if (v && v->kind == CheckpointValue::Kind::dict) return *v;
  }
  if (!flatten_tensors(root_).empty()) return root_;
  std::string keys;
  for (const auto& [k, v] : root_.entries) keys += (keys.empty() ? "" : ", ") + k;
  throw Error(str_cat(file_->display_name(), ": no state dict found (no tensors; top-level keys: ",
                      keys.empty() ? "none" : keys, ")"));
}

NamedTorchTensors flatten_tensors(const CheckpointValue& value, const std::string& prefix) {
  NamedTorchTensors out;
  auto visit = [&](auto&& self, const CheckpointValue& v, const std::string& name) -> void {
    if (v.kind == CheckpointValue::Kind::tensor) out.emplace_back(name, v.tensor);
    auto child = [&](const std::string& key) { return name.empty() ? key : name + "." + key; };
    for (const auto& [key, item] : v.entries) self(self, item, child(key));
    for (size_t i = 0; i < v.items.size(); ++i) self(self, v.items[i], child(std::to_string(i)));
  };
  visit(visit, value, prefix);
  return out;
}

}  // namespace fc
