#include "weights/npy.h"

#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <variant>
#include <vector>

#include "core/error.h"
#include "weights/atomic_file.h"

namespace fc {

static_assert(std::endian::native == std::endian::little, "npy: the reader assumes a little-endian host");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

// The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
// Only the value kinds NumPy writes are understood: strings, True/False, tuples of integers.
struct HeaderValue {
  std::variant<std::string, bool, std::vector<int64_t>> value;
};

class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& what) : text_(text), what_(what) {}

  std::map<std::string, HeaderValue> parse_dict() {
    std::map<std::string, HeaderValue> dict;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      std::string key = parse_string();
      expect(':');
      dict[key] = parse_value();
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}'");
    }
    ++pos_;
    return dict;
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(str_cat(what_, ": bad .npy header (", problem, " at offset ", pos_, "): ", text_));
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  bool consume_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  std::string parse_string() {
    skip_space();
    char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return s;
  }
  int64_t parse_int() {
    skip_space();
    size_t start = pos_;
    while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
    if (pos_ == start) fail("expected a non-negative integer");
    if (pos_ - start > 18) fail("integer too large");
    int64_t v = std::stoll(std::string(text_.substr(start, pos_ - start)));
    if (peek() == 'L') ++pos_;  // Python 2 longs in old files
    return v;
  }
  HeaderValue parse_value() {
    skip_space();
    char c = peek();
    if (c == '\'' || c == '"') return {parse_string()};
    if (consume_word("True")) return {true};
    if (consume_word("False")) return {false};
    if (c == '(') {
      ++pos_;
      std::vector<int64_t> dims;
      while (true) {
        skip_space();
        if (peek() == ')') break;
        dims.push_back(parse_int());
        skip_space();
        if (peek() == ',') ++pos_;
        else if (peek() != ')') fail("expected ',' or ')' in the shape");
      }
      ++pos_;
      return {dims};
    }
    fail("unsupported value (expected a string, True/False or a tuple)");
  }

  std::string_view text_;
  const std::string& what_;
  size_t pos_ = 0;
};

struct DtypeInfo {
  size_t item_size;
  const char* note;  // null for float32
};

std::optional<DtypeInfo> dtype_info(const std::string& descr) {
  static const std::map<std::string, DtypeInfo> known = {
      {"<f4", {4, nullptr}},
      {"<f8", {8, "float64 converted to float32 (rounded to nearest)"}},
      {"<f2", {2, "float16 converted to float32 (exact)"}},
      {"<i8", {8, "int64 converted to float32 (exact only for |v| <= 2^24)"}},
      {"<i4", {4, "int32 converted to float32 (exact only for |v| <= 2^24)"}},
      {"<i2", {2, "int16 converted to float32 (exact)"}},
      {"|i1", {1, "int8 converted to float32 (exact)"}},
      {"|u1", {1, "uint8 converted to float32 (exact)"}},
      {"<u2", {2, "uint16 converted to float32 (exact)"}},
      {"<u4", {4, "uint32 converted to float32 (exact only for v <= 2^24)"}},
      {"|b1", {1, "bool converted to float32 (0 or 1)"}},
  };
  auto it = known.find(descr);
  if (it == known.end()) return std::nullopt;
  return it->second;
}

float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    float v = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -v : v;
  }
  uint32_t bits = exponent == 31 ? sign | 0x7f800000u | (mantissa << 13)
                                 : sign | ((exponent + 112) << 23) | (mantissa << 13);
  return std::bit_cast<float>(bits);
}

template <class T>
void convert(const char* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(v);
  }
}

void convert_to_float(const std::string& descr, const char* src, float* dst, int64_t n) {
  if (descr == "<f4") std::memcpy(dst, src, static_cast<size_t>(n) * 4);
  else if (descr == "<f8") convert<double>(src, dst, n);
  else if (descr == "<i8") convert<int64_t>(src, dst, n);
  else if (descr == "<i4") convert<int32_t>(src, dst, n);
  else if (descr == "<i2") convert<int16_t>(src, dst, n);
  else if (descr == "|i1") convert<int8_t>(src, dst, n);
  else if (descr == "|u1") convert<uint8_t>(src, dst, n);
  else if (descr == "<u2") convert<uint16_t>(src, dst, n);
  else if (descr == "<u4") convert<uint32_t>(src, dst, n);
  else if (descr == "|b1") {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i] != 0 ? 1.f : 0.f;
  } else if (descr == "<f2") {
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      dst[i] = half_to_float(h);
    }
  }
}

uint32_t read_le(std::string_view bytes, size_t at, size_t width) {
  uint32_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  return v;
}

}  // namespace

NpyArray npy_parse(std::string_view bytes, const std::string& what) {
  FC_CHECK(bytes.size() >= kMagicSize + 2 && std::memcmp(bytes.data(), kMagic, kMagicSize) == 0, what,
           ": not a .npy file (missing the \\x93NUMPY magic)");
  int major = static_cast<unsigned char>(bytes[6]);
  int minor = static_cast<unsigned char>(bytes[7]);
  FC_CHECK((major == 1 || major == 2 || major == 3) && minor == 0, what, ": unsupported .npy format version ", major,
           ".", minor, " (supported: 1.0, 2.0, 3.0)");
  size_t length_width = major == 1 ? 2 : 4;
  size_t header_start = kMagicSize + 2 + length_width;
  FC_CHECK(bytes.size() >= header_start, what, ": truncated .npy file (", bytes.size(), " bytes, header length missing)");
  size_t header_length = read_le(bytes, kMagicSize + 2, length_width);
  FC_CHECK(bytes.size() >= header_start + header_length, what, ": truncated .npy file (header says ", header_length,
           " bytes of header, file has ", bytes.size() - header_start, ")");
  std::string_view header = bytes.substr(header_start, header_length);

  auto dict = HeaderParser(header, what).parse_dict();
  auto field = [&](const char* key) -> const HeaderValue& {
    auto it = dict.find(key);
    FC_CHECK(it != dict.end(), what, ": bad .npy header (no '", key, "' key): ", header);
    return it->second;
  };
  const auto* descr = std::get_if<std::string>(&field("descr").value);
  const auto* fortran = std::get_if<bool>(&field("fortran_order").value);
  const auto* dims = std::get_if<std::vector<int64_t>>(&field("shape").value);
  FC_CHECK(descr && fortran && dims, what, ": bad .npy header (descr must be a string, fortran_order a bool, shape a tuple): ",
           header);
  FC_CHECK(!*fortran, what, ": fortran_order=True arrays are not supported; save a C-ordered array ",
           "(numpy.ascontiguousarray) instead");
  auto info = dtype_info(*descr);
  FC_CHECK(info.has_value(), what, ": unsupported dtype '", *descr,
           "' (supported: <f4 <f8 <f2 <i8 <i4 <i2 |i1 |u1 <u2 <u4 |b1; big-endian data is not)");
  FC_CHECK(static_cast<int>(dims->size()) <= kMaxDims, what, ": ", dims->size(), "-dimensional array; at most ", kMaxDims,
           " dimensions are supported");

  Shape shape(*dims);
  int64_t count = shape.numel();
  size_t data_start = header_start + header_length;
  size_t data_bytes = static_cast<size_t>(count) * info->item_size;
  size_t available = bytes.size() - data_start;
  FC_CHECK(available >= data_bytes, what, ": truncated .npy file (shape ", shape, " of ", *descr, " needs ", data_bytes,
           " data bytes, file has ", available, ")");
  FC_CHECK(available == data_bytes, what, ": ", available - data_bytes, " unexpected bytes after the array data (shape ",
           shape, " of ", *descr, ")");

  Tensor tensor = Tensor::empty(shape);
  convert_to_float(*descr, bytes.data() + data_start, tensor.mutable_data(), count);
  return {tensor, *descr, info->note ? info->note : ""};
}

NpyArray npy_read(const std::string& path) {
  std::string bytes = read_file_bytes(path);
  return npy_parse(bytes, path);
}

Tensor npy_load(const std::string& path) { return npy_read(path).tensor; }

std::string npy_serialize(const Tensor& tensor) {
  FC_CHECK(tensor.defined(), "npy_save: undefined tensor");
  // Python tuple syntax: (), (3,), (2, 3)
  std::string shape = "(";
  for (int d = 0; d < tensor.ndim(); ++d) shape += (d > 0 ? ", " : "") + std::to_string(tensor.size(d));
  shape += tensor.ndim() == 1 ? ",)" : ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  // NumPy pads with spaces and a final newline so the data starts on a 64-byte boundary.
  size_t unpadded = kMagicSize + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  FC_CHECK(header.size() <= 65535, "npy_save: header too long for format 1.0");

  std::string out(kMagic, kMagicSize);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  std::vector<float> values = tensor.to_vector();
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  return out;
}

void npy_save(const std::string& path, const Tensor& tensor) {
  std::string bytes = npy_serialize(tensor);
  write_file_atomic(path, std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
}

}  // namespace fc
