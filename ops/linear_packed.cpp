#include "ops/linear_packed.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "ops/matmul.h"

namespace fc {
namespace {

bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.defined() && b.defined() && a.storage() == b.storage() && a.offset() == b.offset() &&
         a.shape() == b.shape() && a.strides() == b.strides();
}

// Drops the whole pages inside a contiguous weight's bytes from this process (the partial pages at
// either end may hold neighbouring tensors, which keep them). Only for private read-only file
// mappings, where DONTNEED means "re-read from the file", never "zero-fill".
void release_file_pages(const Tensor& weight) {
  if (!weight.storage()->file_backed() || !weight.is_contiguous()) return;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(weight.data());
  const uintptr_t end = begin + static_cast<uintptr_t>(weight.numel()) * sizeof(float);
  const uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace

PackedB PackedLinearWeight::get(const Tensor& weight) {
  if (!weight.defined() || weight.ndim() != 2 || !weight.storage()->read_only() || weight.numel() == 0) return {};
  std::lock_guard<std::mutex> lock(mutex_);
  if (same_tensor(source_, weight) && packed_.defined()) return packed_;
  const int64_t out_features = weight.size(0), in_features = weight.size(1);
  // op(B) = W^T (I, O): row-major W is read transposed; a transposed view of W reads plainly.
  const bool trans = weight.stride(1) == 1;
  FC_CHECK(trans || weight.stride(0) == 1, "PackedLinearWeight: weight ", weight.shape(), " with strides ",
           weight.strides(), " is not a matrix view");
  const int64_t ld = trans ? weight.stride(0) : weight.stride(1);
  packed_ = PackedB();  // release the old pack before making the new one
  packed_ = gemm_pack_b(trans, in_features, out_features, weight.data(), std::max<int64_t>(ld, 1));
  source_ = weight.detach();
  release_file_pages(weight);
  return packed_;
}

void PackedLinearWeight::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  packed_ = PackedB();
  source_ = Tensor();
}

Tensor linear_prepacked(const Tensor& x, const PackedB& weight_t, const Tensor& bias) {
  FC_CHECK(x.defined() && weight_t.defined(), "linear_prepacked: undefined input or weight");
  const int64_t in_features = weight_t.k, out_features = weight_t.n;
  FC_CHECK(x.ndim() >= 1 && x.size(-1) == in_features, "linear_prepacked: input ", x.shape(), " x weight (",
           out_features, ", ", in_features, "): in_features differ");
  FC_CHECK(!bias.defined() || (bias.ndim() == 1 && bias.size(0) == out_features), "linear_prepacked: bias ",
           bias.defined() ? bias.shape() : Shape{}, " does not match out_features ", out_features);
  Tensor x_rows = x.detach().reshape({-1, in_features});
  if (x_rows.stride(1) != 1 || x_rows.stride(0) != in_features) x_rows = x_rows.contiguous();
  const int64_t rows = x_rows.size(0);
  Tensor out = linear_output_from_bias(x, out_features, bias);
  const float beta = bias.defined() ? 1.f : 0.f;
  gemm_prepacked_b({}, rows, 1.f, x_rows.data(), in_features, weight_t, beta, out.mutable_data(), out_features);
  return out;
}

}  // namespace fc
