// weights/safetensors: reading files written by Python (tests/reference/make_weights_fixtures.py),
// zero-copy views of the mapping, the atomic writer, and every kind of broken header.
#include <doctest/doctest.h>

#include <cstring>

#include "core/error.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"
#include "tests/support/temp_dir.h"
#include "weights/safetensors.h"

using namespace fc;
using namespace fc::test;

namespace {

const Fixture& expected() {
  static Fixture fx(fixture_path("weights/expected.fxt"));
  return fx;
}

// Whether t's data lies inside the mapped file (a zero-copy view) rather than in owned memory.
bool points_into(const Tensor& t, const MappedFile& file) {
  auto p = reinterpret_cast<const std::byte*>(t.data());
  return t.storage()->read_only() && p >= file.data() && p < file.data() + file.size();
}

// A safetensors file: u64 header length, the header text, `data_bytes` zero bytes.
std::string safetensors_bytes(const std::string& header, size_t data_bytes) {
  uint64_t n = header.size();
  std::string out(8, '\0');
  std::memcpy(out.data(), &n, 8);
  return out + header + std::string(data_bytes, '\0');
}

std::string error_of(const std::string& path) {
  try {
    SafetensorsFile::open(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("safetensors: reads every dtype and the metadata of a file written by Python") {
  SafetensorsFile f = SafetensorsFile::open(fixture_path("weights/python_written.safetensors"));
  CHECK(f.names() == std::vector<std::string>{"weight", "half", "bf16", "double", "steps", "scalar", "empty"});
  CHECK(f.metadata().at("format") == "pt");
  CHECK(f.metadata().at("config") == R"({"embed_dim": 8, "depth": 2})");
  CHECK(f.entry("bf16").dtype_name == "BF16");
  CHECK(f.entry("bf16").shape == Shape{2, 3});
  for (const std::string name : {"weight", "half", "bf16", "double", "scalar", "empty"}) {
    Tensor t = f.get(name);
    Tensor want = expected().get("st/" + name);
    REQUIRE(t.shape() == want.shape());
    // f16/bf16 widen exactly; f64 rounds to nearest like torch's .to(float32): bit-exact either way.
    check_close(t, want, {0, 0}, "safetensors " + name);
  }
  CHECK(f.get_int64("steps") == std::vector<int64_t>{7, -3, int64_t{1} << 40});
  CHECK_THROWS_WITH_AS(f.get("steps"), "python_written.safetensors: tensor 'steps' has dtype I64, which is not a float type; read it with get_int64()", Error);
  CHECK_THROWS_WITH_AS(f.get("nope"), "python_written.safetensors: no tensor named 'nope'", Error);
}

TEST_CASE("safetensors: aligned F32 is a zero-copy view that keeps the mapping alive") {
  Tensor weight, half;
  std::shared_ptr<const MappedFile> file;
  {
    SafetensorsFile f = SafetensorsFile::open(fixture_path("weights/python_written.safetensors"));
    CHECK(f.is_zero_copy("weight"));
    CHECK_FALSE(f.is_zero_copy("half"));
    weight = f.get("weight");
    half = f.get("half");
    CHECK(points_into(weight, *f.file()));
    CHECK_FALSE(points_into(half, *f.file()));
    CHECK_THROWS_AS(weight.mutable_data(), Error);
    file = f.file();
  }
  CHECK(file.use_count() >= 2);  // the tensor's storage still owns the mapping
  file.reset();
  check_close(weight, expected().get("st/weight"), {0, 0}, "weight after the reader is gone");
}

TEST_CASE("safetensors: unaligned F32 data is copied, values intact") {
  SafetensorsFile f = SafetensorsFile::open(fixture_path("weights/unaligned.safetensors"));
  CHECK_FALSE(f.is_zero_copy("weight"));
  Tensor t = f.get("weight");
  CHECK_FALSE(t.storage()->read_only());
  check_close(t, expected().get("st/weight"), {0, 0}, "unaligned weight");
}

TEST_CASE("safetensors: write then read round trip with metadata and strided inputs") {
  TempDir dir;
  Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor at = a.transpose(0, 1);  // non-contiguous: written row-major
  Tensor s = Tensor::scalar(-7.5f);
  Tensor empty = Tensor::zeros({0, 4});
  std::string path = dir.path("out.safetensors");
  write_safetensors(path, NamedTensors{{"a", a}, {"a_t", at}, {"s", s}, {"empty", empty}},
                    {{"config", R"({"depth": 12})"}, {"note", "round trip"}});
  CHECK(dir.list() == std::vector<std::string>{"out.safetensors"});  // no temp file left

  SafetensorsFile f = SafetensorsFile::open(path);
  CHECK(f.names() == std::vector<std::string>{"a", "a_t", "s", "empty"});
  CHECK(f.metadata() == std::map<std::string, std::string>{{"config", R"({"depth": 12})"}, {"note", "round trip"}});
  check_close(f.get("a"), a, {0, 0}, "a");
  check_close(f.get("a_t"), at.contiguous(), {0, 0}, "a_t");
  CHECK(f.get("a_t").shape() == Shape{3, 2});
  CHECK(f.get("s").ndim() == 0);
  CHECK(f.get("s").item() == -7.5f);
  CHECK(f.get("empty").shape() == Shape{0, 4});
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, read_file(path).data(), 8);
  CHECK(header_bytes % 8 == 0);  // padded like the reference writer: data 8-byte aligned
  for (const std::string& name : f.names()) CHECK(f.is_zero_copy(name));

  // Overwriting replaces the whole file; the map overload writes in name order.
  write_safetensors(path, std::map<std::string, Tensor>{{"z", s}, {"b", a}});
  SafetensorsFile g = SafetensorsFile::open(path);
  CHECK(g.names() == std::vector<std::string>{"b", "z"});
  CHECK(g.metadata().empty());
}

TEST_CASE("safetensors: a failing write leaves no partial or temporary file") {
  TempDir dir;
  std::string path = dir.path("out.safetensors");
  write_safetensors(path, NamedTensors{{"a", Tensor::ones({2})}});
  std::string before = read_file(path);

  CHECK_THROWS_WITH_AS(write_safetensors(path, NamedTensors{{"a", Tensor::ones({3})}, {"b", Tensor()}}),
                       "out.safetensors: tensor 'b' is undefined", Error);
  CHECK_THROWS_WITH_AS(write_safetensors(path, NamedTensors{{"a", Tensor::ones({3})}, {"a", Tensor::ones({1})}}),
                       "out.safetensors: tensor name 'a' appears twice", Error);
  CHECK_THROWS_WITH_AS(write_safetensors(path, NamedTensors{{"__metadata__", Tensor::ones({1})}}),
                       "out.safetensors: cannot write a tensor named '__metadata__'", Error);
  CHECK(dir.list() == std::vector<std::string>{"out.safetensors"});
  CHECK(read_file(path) == before);  // the old file is untouched

  std::string missing = dir.path("no_such_dir/out.safetensors");
  try {
    write_safetensors(missing, NamedTensors{{"a", Tensor::ones({2})}});
    FAIL("writing into a missing directory succeeded");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).starts_with("out.safetensors: cannot create a temporary file next to '" + missing));
  }
  CHECK(dir.list() == std::vector<std::string>{"out.safetensors"});
}

TEST_CASE("safetensors: broken files are refused with a message naming the file") {
  TempDir dir;
  auto bad = [&](const std::string& bytes) {
    write_file(dir.path("bad.safetensors"), bytes);
    return error_of(dir.path("bad.safetensors"));
  };
  CHECK(error_of(dir.path("missing.safetensors")).starts_with("missing.safetensors: cannot open '"));
  CHECK(bad("abc") == "bad.safetensors: file is 3 bytes, too short for the 8-byte header length");
  CHECK(bad(std::string("\xff\xe0\xf5\x05\0\0\0\0{}", 10) + std::string(10, ' ')) ==
        "bad.safetensors: header length 99999999 exceeds file size 20 (truncated, or not a safetensors file)");
  // A zip (or any other format) read as safetensors: its magic is a huge header length.
  CHECK(bad(std::string("PK\x03\x04\x14\0\0\0", 8) + std::string(40, 'x')) ==
        "bad.safetensors: header length 85966670672 exceeds file size 48 (truncated, or not a safetensors file)");
  CHECK(bad(safetensors_bytes("[1, 2]", 0)) == "bad.safetensors: header does not start with '{' (not a safetensors file)");
  CHECK(bad(safetensors_bytes("{\"a\": ", 0)).starts_with("bad.safetensors: header is not valid JSON: "));
  CHECK(bad(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,400]}})", 16)) ==
        "bad.safetensors: tensor 'w': data_offsets [0, 400] lie outside the data buffer of 16 bytes (file truncated?)");
  CHECK(bad(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", 16)) ==
        "bad.safetensors: tensor 'w': data_offsets [0, 12] span 12 bytes but F32 (2,2) needs 16");
  CHECK(bad(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 16)) ==
        "bad.safetensors: tensor 'w': data_offsets [8, 0] end before they begin");
  CHECK(bad(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 16)) ==
        "bad.safetensors: tensor 'w' shape entry must be a non-negative integer, got -2");
  CHECK(bad(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 16)) ==
        "bad.safetensors: tensors 'a' [0, 8) and 'b' [4, 12) overlap");
  CHECK(bad(safetensors_bytes(R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,1]}})", 16)) ==
        "bad.safetensors: tensor 'w' has unknown dtype 'Q4' (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");
  CHECK(bad(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2]}})", 16)) ==
        "bad.safetensors: tensor 'w' has no \"data_offsets\"");
  CHECK(bad(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1],"data_offsets":[0,4]}})", 16)) ==
        "bad.safetensors: tensor 'w': shape must be an array of at most 6 sizes, got [1,1,1,1,1,1,1]");
  CHECK(bad(safetensors_bytes(R"({"__metadata__":{"epoch":3}})", 0)) ==
        "bad.safetensors: __metadata__ value 'epoch' must be a string, got 3");

  // A real file cut short: the last tensor's bytes are missing.
  std::string good = read_file(fixture_path("weights/python_written.safetensors"));
  CHECK(bad(good.substr(0, good.size() - 4)).starts_with("bad.safetensors: tensor 'scalar': data_offsets ["));
  CHECK(bad(good.substr(0, 7)) == "bad.safetensors: file is 7 bytes, too short for the 8-byte header length");
}
