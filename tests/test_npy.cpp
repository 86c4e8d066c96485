// weights/npy.h: reading NumPy-written files of every supported dtype, round trips, refusals.
#include <doctest/doctest.h>


#include "core/error.h"
#include "tests/support/fixture.h"
#include "tests/support/temp_dir.h"
#include "weights/atomic_file.h"
#include "weights/npy.h"

using namespace fc;

namespace {

std::string npy_fixture(const std::string& name) { return test::fixture_path("npy/" + name); }

// The ramp make_npy_fixtures.py writes: (i - n/3) for i in [0, n), row-major.
std::vector<float> ramp(int64_t n, float scale = 1.f) {
  std::vector<float> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<float>(i - n / 3) * scale);
  return v;
}

}  // namespace

TEST_CASE("npy: float32 files written by NumPy load with their shape and values") {
  NpyArray a = npy_read(npy_fixture("f4_2x3x4.npy"));
  CHECK(a.file_dtype == "<f4");
  CHECK(a.note.empty());
  CHECK(a.tensor.shape() == Shape{2, 3, 4});
  CHECK(a.tensor.to_vector() == ramp(24, 0.25f));

  Tensor s = npy_load(npy_fixture("f4_scalar.npy"));
  CHECK(s.ndim() == 0);
  CHECK(s.item() == 3.5f);
  CHECK(npy_load(npy_fixture("f4_empty.npy")).shape() == Shape{0, 5});
  CHECK(npy_load(npy_fixture("f4_vector.npy")).to_vector() == ramp(7));
  CHECK(npy_load(npy_fixture("f4_v2.npy")).to_vector() == ramp(4));
}

TEST_CASE("npy: other dtypes are converted to float32 with a note") {
  NpyArray f8 = npy_read(npy_fixture("f8_3x2.npy"));
  CHECK(f8.file_dtype == "<f8");
  CHECK(f8.note.find("float64") != std::string::npos);
  std::vector<float> expected;
  for (int i = 0; i < 6; ++i) expected.push_back(static_cast<float>((i - 2) / 3.0));
  CHECK(f8.tensor.to_vector() == expected);

  NpyArray i8 = npy_read(npy_fixture("i8_5.npy"));
  CHECK(i8.note.find("int64") != std::string::npos);
  CHECK(i8.tensor.to_vector() == ramp(5));
  CHECK(npy_load(npy_fixture("i4_2x2.npy")).to_vector() == ramp(4));
  CHECK(npy_load(npy_fixture("b1_4.npy")).to_vector() == std::vector<float>{1, 0, 0, 1});
  CHECK(npy_load(npy_fixture("f2_3.npy")).to_vector() == std::vector<float>{1.5f, -2.25f, 65504.f});
  Tensor u1 = npy_load(npy_fixture("u1_4x3.npy"));
  CHECK(u1.shape() == Shape{4, 3});
  CHECK(u1.at({3, 2}) == 11 * 21.f);
}

TEST_CASE("npy: refused files say which file and why") {
  CHECK_THROWS_WITH_AS(npy_load(npy_fixture("f4_fortran.npy")), doctest::Contains("f4_fortran.npy: fortran_order=True"), Error);
  CHECK_THROWS_WITH_AS(npy_load(npy_fixture("f4_bigendian.npy")), doctest::Contains("unsupported dtype '>f4'"), Error);
  CHECK_THROWS_WITH_AS(npy_load(npy_fixture("c8_2.npy")), doctest::Contains("c8_2.npy: unsupported dtype '<c8'"), Error);
  CHECK_THROWS_WITH_AS(npy_load(npy_fixture("missing.npy")), doctest::Contains("missing.npy: cannot open"), Error);

  std::string good = read_file_bytes(npy_fixture("f4_2x3x4.npy"));
  test::TempDir dir;
  test::write_file(dir.path("truncated.npy"), good.substr(0, good.size() - 5));
  CHECK_THROWS_WITH_AS(npy_load(dir.path("truncated.npy")), doctest::Contains("truncated.npy: truncated .npy file"), Error);
  test::write_file(dir.path("short.npy"), good.substr(0, 20));
  CHECK_THROWS_WITH_AS(npy_load(dir.path("short.npy")), doctest::Contains("truncated"), Error);
  test::write_file(dir.path("magic.npy"), "PK\x03\x04" + good.substr(4));
  CHECK_THROWS_WITH_AS(npy_load(dir.path("magic.npy")), doctest::Contains("magic.npy: not a .npy file"), Error);
  test::write_file(dir.path("extra.npy"), good + "xx");
  CHECK_THROWS_WITH_AS(npy_load(dir.path("extra.npy")), doctest::Contains("2 unexpected bytes"), Error);

  // Header dicts NumPy would never write.
  auto with_header = [](const std::string& dict) {
    std::string out = std::string("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(dict.size());
    out += '\0';
    return out + dict;
  };
  CHECK_THROWS_WITH_AS(npy_parse(with_header("{'descr': '<f4', 'shape': (2,), }"), "x.npy"),
                       doctest::Contains("x.npy: bad .npy header (no 'fortran_order' key)"), Error);
  CHECK_THROWS_WITH_AS(npy_parse(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': [2], }"), "x.npy"),
                       doctest::Contains("unsupported value"), Error);
  CHECK_THROWS_WITH_AS(npy_parse(with_header("{'descr': '<f4' 'fortran_order': False}"), "x.npy"),
                       doctest::Contains("expected ',' or '}'"), Error);
  CHECK_THROWS_WITH_AS(npy_parse(with_header("{'descr': 4, 'fortran_order': False, 'shape': (), }"), "x.npy"),
                       doctest::Contains("unsupported value"), Error);
  CHECK_THROWS_WITH_AS(npy_parse(std::string("\x93NUMPY\x04\x00", 8) + "xxxx", "x.npy"),
                       doctest::Contains("unsupported .npy format version 4.0"), Error);
}

TEST_CASE("npy: save then load round-trips shapes, values and strided views") {
  test::TempDir dir;
  Tensor x = Tensor::from_vector(ramp(24, 0.37f), {2, 3, 4});
  npy_save(dir.path("x.npy"), x);
  CHECK(npy_load(dir.path("x.npy")).to_vector() == x.to_vector());
  CHECK(npy_load(dir.path("x.npy")).shape() == x.shape());

  Tensor view = x.permute({2, 0, 1}).narrow(0, 1, 2);  // not contiguous
  npy_save(dir.path("view.npy"), view);
  Tensor back = npy_load(dir.path("view.npy"));
  CHECK(back.shape() == Shape{2, 2, 3});
  CHECK(back.to_vector() == view.to_vector());

  npy_save(dir.path("scalar.npy"), Tensor::scalar(-2.f));
  CHECK(npy_load(dir.path("scalar.npy")).item() == -2.f);
  npy_save(dir.path("vec.npy"), Tensor::from_vector({1, 2, 3}, {3}));
  std::string bytes = read_file_bytes(dir.path("vec.npy"));
  CHECK(bytes.find("'shape': (3,)") != std::string::npos);
  CHECK((bytes.size() - 12) % 4 == 0);
  CHECK(bytes.size() == 128 + 12);  // header padded to a multiple of 64 bytes like NumPy's

  // Overwrite is atomic: the destination is replaced, no temporary is left behind.
  npy_save(dir.path("x.npy"), view);
  CHECK(npy_load(dir.path("x.npy")).shape() == Shape{2, 2, 3});
  CHECK(dir.list().size() == 4);  // x, view, scalar, vec
}

TEST_CASE("npy: the writer produces NumPy's exact bytes (header text, padding, data)") {
  for (const char* name : {"f4_2x3x4.npy", "f4_vector.npy", "f4_scalar.npy", "f4_empty.npy"}) {
    std::string numpy_bytes = read_file_bytes(npy_fixture(name));
    CHECK_MESSAGE(npy_serialize(npy_load(npy_fixture(name))) == numpy_bytes, name);
  }
}

TEST_CASE("npy: a failed save leaves no file behind") {
  test::TempDir dir;
  CHECK_THROWS_WITH_AS(npy_save(dir.path("no/such/dir/x.npy"), Tensor::zeros({2})),
                       doctest::Contains("cannot create a temporary file"), Error);
  CHECK(dir.list().empty());
}
