// weights/torch_checkpoint (+ zip_reader, pickle): torch.save files written by
// tests/reference/make_weights_fixtures.py, read without PyTorch and checked value by value.
#include <doctest/doctest.h>

#include "core/error.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"
#include "tests/support/temp_dir.h"
#include "weights/pickle.h"
#include "weights/torch_checkpoint.h"

using namespace fc;
using namespace fc::test;

namespace {

const Fixture& expected() {
  static Fixture fx(fixture_path("weights/expected.fxt"));
  return fx;
}

const std::vector<std::string> kNames = {"conv.weight", "fc.weight", "fc.weight_t", "fc.bias", "strided",
                                         "half", "bf16", "double", "bn.running_mean", "bn.num_batches_tracked",
                                         "param", "scalar", "empty"};

std::string checkpoint_error(const std::string& path) {
  try {
    TorchCheckpoint::open(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// The bytes of a string literal, embedded NULs included.
template <size_t N>
std::string bytes_of(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

std::string pickle_error(const std::string& bytes) {
  try {
    pickle_decode(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), {"collections.OrderedDict"}, "x.pkl");
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// Every tensor of the state dict against PyTorch's values; `aligned` says whether float32
// storages are expected to be zero-copy views of the mapping.
void check_state_dict(const TorchCheckpoint& ckpt, bool aligned) {
  NamedTorchTensors tensors = flatten_tensors(ckpt.state_dict());
  std::vector<std::string> names;
  for (const auto& [name, t] : tensors) names.push_back(name);
  REQUIRE(names == kNames);
  std::map<std::string, std::shared_ptr<const TorchTensor>> by_name(tensors.begin(), tensors.end());
  for (const auto& [name, t] : tensors) {
    CAPTURE(name);
    Tensor want = expected().get("sd/" + name);
    CHECK(t->shape == want.shape());
    if (t->is_float()) {
      Tensor got = t->to_float();
      check_close(got, want, {0, 0}, "checkpoint " + name);  // conversions are exact, as in torch
      CHECK(t->is_zero_copy() == (aligned && t->dtype == ElementType::f32));
      CHECK(got.storage()->read_only() == t->is_zero_copy());
    } else {
      CHECK_THROWS_AS(t->to_float(), Error);
    }
  }
  const TorchTensor& steps = *by_name.at("bn.num_batches_tracked");
  CHECK(steps.dtype == ElementType::i64);
  CHECK(steps.shape.ndim() == 0);
  CHECK(steps.to_int64() == std::vector<int64_t>{42});
  CHECK(by_name.at("half")->dtype == ElementType::f16);
  CHECK(by_name.at("bf16")->dtype == ElementType::bf16);
  CHECK(by_name.at("double")->dtype == ElementType::f64);
  // Views keep PyTorch's layout: a transpose and two views at offsets into one bigger storage.
  CHECK(by_name.at("fc.weight_t")->strides == Shape{1, 4});
  CHECK(by_name.at("fc.bias")->storage_offset == 5);
  CHECK(by_name.at("strided")->strides == Shape{3});
  CHECK(by_name.at("fc.bias")->storage_key == by_name.at("strided")->storage_key);
  if (aligned) {
    CHECK(by_name.at("fc.weight")->to_float().shares_storage_with(by_name.at("fc.weight_t")->to_float()));
    CHECK(by_name.at("fc.bias")->to_float().shares_storage_with(by_name.at("strided")->to_float()));
    CHECK_FALSE(by_name.at("fc.weight_t")->to_float().is_contiguous());
  }
}

}  // namespace

TEST_CASE("torch checkpoint: a top-level OrderedDict state dict, every tensor and dtype") {
  TorchCheckpoint ckpt = TorchCheckpoint::open(fixture_path("weights/state_dict.pth"));
  CHECK(&ckpt.state_dict() == &ckpt.root());
  check_state_dict(ckpt, true);
}

TEST_CASE("torch checkpoint: nested {state_dict: ...} and {model: ...} with scalar metadata") {
  TorchCheckpoint nested = TorchCheckpoint::open(fixture_path("weights/nested_state_dict.pth"));
  check_state_dict(nested, true);
  CHECK(nested.root().find("epoch")->integer == 7);
  CHECK(nested.root().find("lr")->floating == 0.1);
  CHECK(nested.root().find("note")->text == "nested");
  CHECK(nested.root().find("missing") == nullptr);

  TorchCheckpoint model = TorchCheckpoint::open(fixture_path("weights/nested_model.pth"));
  check_state_dict(model, true);
  CHECK(model.root().find("iteration")->integer == 1234567890123);  // LONG1
  // flatten_tensors on the root prefixes the nesting.
  CHECK(flatten_tensors(model.root()).front().first == "model.conv.weight");
}

TEST_CASE("torch checkpoint: pickle protocol 4 and a zip64, misaligned archive") {
  check_state_dict(TorchCheckpoint::open(fixture_path("weights/protocol4.pth")), true);
  // zip64 records with placeholders in the central directory; data starts are 1 mod 4, so
  // float32 storages are copied instead of viewed.
  check_state_dict(TorchCheckpoint::open(fixture_path("weights/zip64_unaligned.pth")), false);
}

TEST_CASE("torch checkpoint: zero-copy tensors keep the mapping alive after the checkpoint is gone") {
  Tensor w;
  {
    TorchCheckpoint ckpt = TorchCheckpoint::open(fixture_path("weights/state_dict.pth"));
    w = ckpt.state_dict().find("fc.weight_t")->tensor->to_float();
  }
  check_close(w, expected().get("sd/fc.weight_t"), {0, 0}, "fc.weight_t after close");
}

TEST_CASE("torch checkpoint: hostile and broken files are refused, naming the file") {
  auto fixture_error = [](const std::string& name) { return checkpoint_error(fixture_path("weights/" + name)); };
  CHECK(fixture_error("forbidden_global.pth") ==
        "forbidden_global.pth: pickle references non-whitelisted global 'os.system'; refusing to load");
  CHECK(fixture_error("compressed.pth") ==
        "compressed.pth: zip entry 'state_dict/data.pkl' is compressed (method 8, deflate); only stored entries "
        "can be memory-mapped (torch.save writes them uncompressed; re-save the checkpoint with torch.save "
        "instead of re-zipping it)");
  CHECK(fixture_error("short_storage.pth") ==
        "short_storage.pth: storage 'state_dict/data/0' holds 4 bytes, too few for 24 float32 elements");
  CHECK(fixture_error("overrun_view.pth") ==
        "overrun_view.pth: 'conv.weight': view (2,3,2,2) stride (12,4,2,1) at offset 0 overruns its storage of 4 elements");
  CHECK(fixture_error("cyclic.pth").starts_with("cyclic.pth: '0.0.0.0."));
  CHECK(fixture_error("cyclic.pth").ends_with("' nests deeper than 64 levels (or is cyclic)"));

  CHECK(fixture_error("doubling.pth") ==
        "doubling.pth: the pickle expands to more than 1000000 values (shared sub-trees); refusing to load");

  TempDir dir;
  std::string good = read_file(fixture_path("weights/state_dict.pth"));
  auto bad = [&](const std::string& bytes) {
    write_file(dir.path("bad.pth"), bytes);
    return checkpoint_error(dir.path("bad.pth"));
  };
  const std::string not_zip = "bad.pth: not a zip archive (no end-of-central-directory record); legacy pre-1.6 "
                              "torch.save files and truncated files are not supported";
  CHECK(bad(good.substr(0, good.size() / 2)) == not_zip);
  CHECK(bad("this is not a zip file, just some text") == not_zip);
  CHECK(bad("PK") == "bad.pth: file is 2 bytes, too short to be a zip archive (a torch.save checkpoint is a zip)");
  CHECK(bad("") == "bad.pth: file is 0 bytes, too short to be a zip archive (a torch.save checkpoint is a zip)");
  // The directory intact but the start (local headers, data) cut off.
  std::string shifted = good;
  shifted.replace(0, 64, std::string(64, '\0'));
  CHECK(bad(shifted) == "bad.pth: zip entry 'state_dict/data.pkl' has a corrupt local header");
  CHECK(checkpoint_error(dir.path("none.pth")).starts_with("none.pth: cannot open '"));
}

TEST_CASE("pickle: values, sharing through the memo, and refusals") {
  // [1, -1, -32768 (LONG1), 1.5, None, True, "hi"]
  std::string bytes = bytes_of("\x80\x02]q\x00(K\x01J\xff\xff\xff\xff\x8a\x02\x00\x80G?\xf8\x00\x00\x00\x00\x00\x00N\x88X\x02\x00\x00\x00hie.");
  PickleDocument doc = pickle_decode(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), {}, "x.pkl");
  const PickleValue& list = doc.root();
  REQUIRE(list.kind == PickleKind::list);
  REQUIRE(list.items.size() == 7);
  CHECK(list.items[0]->integer == 1);
  CHECK(list.items[1]->integer == -1);
  CHECK(list.items[2]->integer == -32768);
  CHECK(list.items[3]->floating == 1.5);
  CHECK(list.items[4]->kind == PickleKind::none);
  CHECK(list.items[5]->boolean);
  CHECK(list.items[6]->text == "hi");

  // A list appended to itself: the arena owns nodes, so the cycle is representable and freed.
  std::string cyclic = bytes_of("\x80\x02]q\x00h\x00" "a.");
  PickleDocument cycle = pickle_decode(reinterpret_cast<const std::byte*>(cyclic.data()), cyclic.size(), {}, "x.pkl");
  CHECK(cycle.root().items.at(0) == &cycle.root());

  CHECK(pickle_error(bytes_of("\x8c\x08" "builtins\x8c\x04" "eval\x93.")) ==
        "x.pkl: pickle references non-whitelisted global 'builtins.eval'; refusing to load");
  CHECK(pickle_error(bytes_of("\x80\x02\x81.")) ==
        "x.pkl: pickle: unsupported opcode 0x81 at byte 2 (this reader handles what torch.save writes)");
  CHECK(pickle_error(bytes_of("\x80\x02X\x05\x00\x00\x00" "ab")) == "x.pkl: pickle: truncated at byte 7 (needs 5 more)");
  CHECK(pickle_error("") == "x.pkl: pickle: truncated at byte 0 (needs 1 more)");
  CHECK(pickle_error("\x80\x02s.") == "x.pkl: pickle: stack underflow");
  CHECK(pickle_error("h\x05.") == "x.pkl: pickle: memo index 5 was never stored");
  CHECK(pickle_error("K\x01K\x02.") == "x.pkl: pickle ends with 2 values on the stack (malformed)");
  CHECK(pickle_error("]K\x01K\x02s.") == "x.pkl: pickle: SETITEM(S) on a list");
  CHECK(pickle_error(bytes_of("\x8a\x09" "123456789.")) == "x.pkl: pickle: integer of 9 bytes does not fit int64");
}
