#include "ops/matmul.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "ops/kernels/gemm.h"
#include "ops/kernels/pointwise.h"

namespace fc {
namespace {

// How gemm reads a (rows, cols) matrix with strides (s0, s1) in place: row-major with row stride
// ld, or (trans) as the transpose of a row-major (cols, rows) matrix with row stride ld. Neither
// works when no stride is 1 (e.g. a strided slice in both dims); ok is false then.
struct MatrixLayout {
  int64_t ld = 0;
  bool trans = false;
  bool ok = false;
};

MatrixLayout matrix_layout(int64_t rows, int64_t cols, int64_t s0, int64_t s1) {
  if (s1 == 1 || cols == 1) return {s0, false, true};
  if (s0 == 1 || rows == 1) return {s1, true, true};
  return {};
}

MatrixLayout last_two_layout(const Tensor& t) {
  const int nd = t.ndim();
  return matrix_layout(t.size(nd - 2), t.size(nd - 1), t.stride(nd - 2), t.stride(nd - 1));
}

// t detached, copied only when gemm cannot read its matrices in place.
Tensor gemm_ready(const Tensor& t) {
  Tensor d = t.detach();
  return last_two_layout(d).ok ? d : d.contiguous();
}

Shape batch_of(const Shape& s) {
  Shape b;
  for (int i = 0; i + 2 < s.ndim(); ++i) b.push_back(s[i]);
  return b;
}

Shape with_matrix(Shape batch, int64_t rows, int64_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

// True when the batch dims of t (batch..., r, c) and its dim `dim` (r or c) collapse into one
// dim of stride t.stride(dim), so the whole batch is a single taller matrix. Zero (broadcast)
// batch strides never fold: those slices repeat.
bool batch_folds_into(const Tensor& t, int dim) {
  const int nb = t.ndim() - 2;
  int64_t expected = t.stride(dim) * t.size(dim);
  for (int d = nb - 1; d >= 0; --d) {
    if (t.size(d) == 1) continue;
    if (t.stride(d) != expected) return false;
    expected *= t.size(d);
  }
  return true;
}

// Sum over the broadcast batch of x[z] @ y[z], written to a new tensor of shape `target`:
//   x (..x, P, R), y (..y, R, Q), batch = broadcast(..x, ..y) -> target (..t, P, Q)
// where ..t broadcasts to batch; batch dims that ..t lacks (or has as 1) are summed over. The
// forward is the plain case (..t = batch); the backward reduces gradients of broadcast operands.
Tensor batched_product(const Tensor& x_in, const Tensor& y_in, const Shape& batch, const Shape& target) {
  const int nb = batch.ndim();
  const int64_t P = x_in.size(-2), R = x_in.size(-1), Q = y_in.size(-1);
  Tensor x = gemm_ready(x_in).expand(with_matrix(batch, P, R).to_vector());
  Tensor y = gemm_ready(y_in).expand(with_matrix(batch, R, Q).to_vector());
  const MatrixLayout lx = last_two_layout(x), ly = last_two_layout(y);
  Tensor out = Tensor::empty(target);
  float* o = out.mutable_data();
  const int64_t count = batch.numel();
  if (count == 0) return Tensor::zeros(target);

  // Output batch strides aligned to `batch`: 0 along the dims that are summed over.
  const Shape target_strides = contiguous_strides(target);
  Shape out_strides;
  bool reduces = false;
  for (int i = 0, lead = nb - (target.ndim() - 2); i < nb; ++i) {
    const int j = i - lead;
    const bool summed = j < 0 || (target[j] == 1 && batch[i] > 1);
    out_strides.push_back(summed ? 0 : target_strides[j]);
    reduces = reduces || (summed && batch[i] > 1);
  }
  bool y_shared = true;  // y is the same matrix for every batch index (e.g. a weight)
  for (int i = 0; i < nb; ++i) y_shared = y_shared && (batch[i] == 1 || y.stride(i) == 0);

  if (!reduces && y_shared && !lx.trans && batch_folds_into(x, nb)) {
    // (B, P, R) x (R, Q): one (B*P, R) x (R, Q) product, the batch folded into the rows.
    gemm({.trans_a = false, .trans_b = ly.trans}, count * P, Q, R, 1.f, x.data(), lx.ld, y.data(), ly.ld, 0.f, o, Q);
    return out;
  }
  if (reduces && out.numel() == P * Q && lx.trans && !ly.trans && batch_folds_into(x, nb + 1) &&
      batch_folds_into(y, nb)) {
    // sum_z x[z] (P, R) @ y[z] (R, Q) with x[z] = a[z]^T: one (P, B*R) x (B*R, Q) product, the
    // batch folded into the contracted dim (a weight gradient summed over tokens).
    gemm({.trans_a = true, .trans_b = false}, P, Q, count * R, 1.f, x.data(), lx.ld, y.data(), ly.ld, 0.f, o, Q);
    return out;
  }

  // General case: one gemm per batch index. Slices summed into the same output start with
  // beta = 0 (their first visit: every summed index is 0, which row-major order reaches first).
  struct Slice {
    int64_t x, y, out;
    bool first;
  };
  std::vector<Slice> slices;
  slices.reserve(static_cast<size_t>(count));
  std::vector<int64_t> index(static_cast<size_t>(nb), 0);
  for (int64_t z = 0; z < count; ++z) {
    Slice s{0, 0, 0, true};
    for (int d = 0; d < nb; ++d) {
      s.x += index[d] * x.stride(d);
      s.y += index[d] * y.stride(d);
      s.out += index[d] * out_strides[d];
      if (out_strides[d] == 0 && batch[d] > 1 && index[d] != 0) s.first = false;
    }
    slices.push_back(s);
    for (int d = nb - 1; d >= 0 && ++index[d] == batch[d]; --d) index[d] = 0;
  }
  const float *xd = x.data(), *yd = y.data();
  GemmConfig config{.trans_a = lx.trans, .trans_b = ly.trans};
  // Many small products (attention heads) run one per thread; big ones use every thread each.
  // Summed slices stay sequential: they write the same output.
  const bool per_thread = !reduces && count > 1 && static_cast<double>(P) * Q * R < 256.0 * 256 * 256;
  if (per_thread) {
    config.threads = 1;
#pragma omp parallel for schedule(dynamic)
    for (int64_t z = 0; z < count; ++z) {
      const Slice& s = slices[z];
      gemm(config, P, Q, R, 1.f, xd + s.x, lx.ld, yd + s.y, ly.ld, 0.f, o + s.out, Q);
    }
  } else {
    for (const Slice& s : slices)
      gemm(config, P, Q, R, 1.f, xd + s.x, lx.ld, yd + s.y, ly.ld, s.first ? 0.f : 1.f, o + s.out, Q);
  }
  return out;
}

// d(a @ b): grad @ b^T and a^T @ grad, each summed over the batch dims its input broadcast.
struct MatmulBackward : Node {
  Tensor a, b;  // a (..a, M, K), b (..b, K, N), at least 2-D
  Shape batch;  // broadcast(..a, ..b)
  const char* name() const override { return "MatmulBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor grad_a, grad_b;
    if (next[0].node) grad_a = batched_product(grad, b.transpose(-2, -1), batch, a.shape());
    if (next[1].node) grad_b = batched_product(a.transpose(-2, -1), grad, batch, b.shape());
    return {grad_a, grad_b};
  }
};

// Both at least 2-D with matching inner dims (checked by matmul).
Tensor matmul_matrices(const Tensor& a, const Tensor& b) {
  Shape batch;
  try {
    batch = broadcast_shapes(batch_of(a.shape()), batch_of(b.shape()), "matmul");
  } catch (const Error&) {
    throw Error(str_cat("matmul: ", a.shape(), " x ", b.shape(), ": batch dimensions ", batch_of(a.shape()), " and ",
                        batch_of(b.shape()), " do not broadcast"));
  }
  FC_CHECK(batch.ndim() + 2 <= kMaxDims, "matmul: ", a.shape(), " x ", b.shape(), ": more than ", kMaxDims,
           " dimensions");
  Tensor out = batched_product(a, b, batch, with_matrix(batch, a.size(-2), b.size(-1)));
  if (needs_grad({a, b})) {
    auto node = std::make_shared<MatmulBackward>();
    node->a = a.detach();
    node->b = b.detach();
    node->batch = batch;
    connect(out, node, {a, b});
  }
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  FC_CHECK(a.defined() && b.defined(), "matmul: undefined tensor");
  FC_CHECK(a.ndim() >= 1 && b.ndim() >= 1, "matmul: ", a.shape(), " x ", b.shape(),
           ": both arguments need at least 1 dimension");
  const int64_t k_a = a.size(-1), k_b = b.ndim() == 1 ? b.size(0) : b.size(-2);
  FC_CHECK(k_a == k_b, "matmul: ", a.shape(), " x ", b.shape(), ": inner dimensions differ (", k_a, " vs ", k_b, ")");
  if (a.ndim() >= 2 && b.ndim() >= 2) return matmul_matrices(a, b);
  // torch.matmul's 1-D rules: a vector becomes a one-row (a) or one-column (b) matrix, and that
  // unit dim is removed from the result. The views carry the gradient back.
  Tensor out = matmul_matrices(a.ndim() == 1 ? a.unsqueeze(0) : a, b.ndim() == 1 ? b.unsqueeze(1) : b);
  if (b.ndim() == 1) out = out.squeeze(-1);
  if (a.ndim() == 1) out = out.squeeze(b.ndim() == 1 ? -1 : -2);
  return out;
}

namespace {

// out[c] = sum over r of g[r, c] for a row-major (rows, cols) g, in double and in row order (the
// bias gradient: a ViT's rows would lose bits in a float sum). 16 columns at a time in registers:
// one sweep that keeps the running sums in memory loads and stores them once per row, which cost
// more than reading g.
void column_sums(const float* g, int64_t rows, int64_t cols, float* out) {
  constexpr int64_t kBlock = 16;
  for_column_ranges(rows, cols, [&](int64_t c0, int64_t c1) {
    int64_t c = c0;
    for (; c + kBlock <= c1; c += kBlock) {
      double acc[kBlock] = {};
      for (int64_t r = 0; r < rows; ++r) {
        const float* row = g + r * cols + c;
#pragma GCC unroll 16
        for (int64_t j = 0; j < kBlock; ++j) acc[j] += row[j];
      }
      for (int64_t j = 0; j < kBlock; ++j) out[c + j] = static_cast<float>(acc[j]);
    }
    for (; c < c1; ++c) {
      double acc = 0;
      for (int64_t r = 0; r < rows; ++r) acc += g[r * cols + c];
      out[c] = static_cast<float>(acc);
    }
  });
}

// d(x W^T + b): dx = grad W, dW = grad^T x (summed over all leading dims), db = grad summed.
struct LinearBackward : Node {
  Tensor x_rows;  // x as (rows, I), contiguous
  Tensor weight;  // (O, I)
  Shape x_shape;
  const char* name() const override { return "LinearBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    const int64_t out_features = weight.size(0), in_features = weight.size(1), rows = x_rows.size(0);
    Tensor g = grad.reshape({rows, out_features});  // contiguous (rows, O)
    Tensor grad_x, grad_weight, grad_bias;
    if (next[0].node) {
      grad_x = Tensor::empty(x_shape);
      const MatrixLayout lw = matrix_layout(out_features, in_features, weight.stride(0), weight.stride(1));
      gemm({.trans_b = lw.trans}, rows, in_features, out_features, 1.f, g.data(), out_features, weight.data(), lw.ld,
           0.f, grad_x.mutable_data(), in_features);
    }
    if (next[1].node) {
      grad_weight = Tensor::empty({out_features, in_features});
      gemm({.trans_a = true}, out_features, in_features, rows, 1.f, g.data(), out_features, x_rows.data(),
           in_features, 0.f, grad_weight.mutable_data(), in_features);
    }
    if (next.size() > 2 && next[2].node) {
      grad_bias = Tensor::empty({out_features});
      column_sums(g.data(), rows, out_features, grad_bias.mutable_data());
    }
    return {grad_x, grad_weight, grad_bias};
  }
};

}  // namespace

Tensor linear_output_from_bias(const Tensor& x, int64_t out_features, const Tensor& bias) {
  Shape out_shape = x.shape();
  out_shape[-1] = out_features;
  Tensor out = Tensor::empty(out_shape);
  if (!bias.defined() || out.numel() == 0) return out;
  Tensor b = bias.detach().contiguous();
  float* o = out.mutable_data();
  const int64_t rows = out.numel() / out_features;
  // Threaded: this is the first touch of a fresh output, whose page faults then split too.
#pragma omp parallel for schedule(static) if (rows * out_features >= kPointwiseParallelElements)
  for (int64_t r = 0; r < rows; ++r) std::copy(b.data(), b.data() + out_features, o + r * out_features);
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  FC_CHECK(x.defined() && weight.defined(), "linear: undefined tensor");
  FC_CHECK(weight.ndim() == 2, "linear: weight ", weight.shape(), " must be 2-D (out_features, in_features)");
  FC_CHECK(x.ndim() >= 1 && x.size(-1) == weight.size(1), "linear: input ", x.shape(), " x weight ", weight.shape(),
           ": in_features differ (", x.ndim() >= 1 ? x.size(-1) : 0, " vs ", weight.size(1), ")");
  const int64_t out_features = weight.size(0), in_features = weight.size(1);
  FC_CHECK(!bias.defined() || (bias.ndim() == 1 && bias.size(0) == out_features), "linear: bias ",
           bias.defined() ? bias.shape() : Shape{}, " does not match weight ", weight.shape(), " (want (",
           out_features, "))");

  // The leading dims fold into rows: (..., I) -> (rows, I), a view unless x's rows are strided.
  Tensor x_rows = x.detach().reshape({-1, in_features});
  const int64_t rows = x_rows.size(0);
  Tensor out = linear_output_from_bias(x, out_features, bias);
  float* o = out.mutable_data();
  const float beta = bias.defined() ? 1.f : 0.f;
  Tensor w = gemm_ready(weight);
  // op(B) = W^T (I, O): a row-major W (O, I) is read transposed in place.
  const MatrixLayout lw_t = matrix_layout(in_features, out_features, w.stride(1), w.stride(0));
  gemm({.trans_b = lw_t.trans}, rows, out_features, in_features, 1.f, x_rows.data(), in_features, w.data(), lw_t.ld,
       beta, o, out_features);

  if (needs_grad({x, weight, bias})) {
    auto node = std::make_shared<LinearBackward>();
    node->x_rows = x_rows;
    node->weight = w;
    node->x_shape = x.shape();
    connect(out, node, {x, weight, bias});
  }
  return out;
}

}  // namespace fc
