#include "ops/kernels/conv_gemm.h"

#include <omp.h>

#include <algorithm>
#include <memory>

#include "core/buffer_pool.h"
#include "ops/kernels/gemm.h"

namespace fc {
namespace {

// Scratch buffers (im2col columns, patch matrices) live for one call but come from the process
// BufferPool: the pixel decoder's patch matrix alone is 16 MiB, and a fresh allocation per call
// is unmapped on free and page-faulted back in (~13 us per 4 KiB page) on every pass.
struct ReleaseToPool {
  size_t bytes = 0;
  void operator()(float* data) const { BufferPool::process().release(data, bytes); }
};
using Scratch = std::unique_ptr<float[], ReleaseToPool>;

Scratch scratch(int64_t size) {
  if (size <= 0) return Scratch(nullptr, ReleaseToPool{});
  const size_t bytes = static_cast<size_t>(size) * sizeof(float);
  return Scratch(static_cast<float*>(BufferPool::process().acquire(bytes)), ReleaseToPool{bytes});
}

// Runs body(n, scratch, inner_threads) for every image. With at least as many images as threads,
// images run in parallel, each with its own scratch and a single-threaded gemm; otherwise they
// run one after another and gemm/im2col get every thread. Never both, so parallel regions do not
// nest (gemm is threaded itself).
template <class Body>
void for_each_image(int64_t batch, int64_t scratch_size, Body&& body) {
  const int threads = omp_get_max_threads();
  if (threads > 1 && batch >= threads) {
#pragma omp parallel num_threads(threads)
    {
      Scratch buffer = scratch(scratch_size);
#pragma omp for schedule(static)
      for (int64_t n = 0; n < batch; ++n) body(n, buffer.get(), 1);
    }
  } else {
    Scratch buffer = scratch(scratch_size);
    for (int64_t n = 0; n < batch; ++n) body(n, buffer.get(), threads);
  }
}

GemmConfig gemm_config(bool trans_a, bool trans_b, int threads) {
  GemmConfig config;
  config.trans_a = trans_a;
  config.trans_b = trans_b;
  config.threads = threads;
  return config;
}

// ---- forward ----

void forward_general(const ConvGeometry& g, const float* x, const float* w, float* y) {
  const int64_t K = g.window_size(), P = g.out_pixels(), O = g.out_channels;
  for_each_image(g.batch, K * P, [&](int64_t n, float* col, int threads) {
    im2col(g, x + n * g.in_channels * g.in_pixels(), col, threads);
    // y_n (O, P) = w (O, K) col (K, P)
    gemm(gemm_config(false, false, threads), O, P, K, 1.f, w, K, col, P, 0.f, y + n * O * P, P);
  });
}

void forward_pointwise(const ConvGeometry& g, const float* x, const float* w, float* y) {
  const int64_t C = g.in_channels, P = g.out_pixels(), O = g.out_channels;
  for_each_image(g.batch, 0, [&](int64_t n, float*, int threads) {
    // y_n (O, P) = w (O, C) x_n (C, P)
    gemm(gemm_config(false, false, threads), O, P, C, 1.f, w, C, x + n * C * P, P, 0.f, y + n * O * P, P);
  });
}

void forward_patches(const ConvGeometry& g, const float* x, const float* w, float* y) {
  const int64_t K = g.window_size(), rows = g.batch * g.out_pixels(), O = g.out_channels;
  const int threads = omp_get_max_threads();
  Scratch patches = scratch(rows * K), out_rows = scratch(rows * O);
  patches_gather(g, x, patches.get(), threads);
  // out_rows (N*P, O) = patches (N*P, K) w^T (K, O)
  gemm(gemm_config(false, true, 0), rows, O, K, 1.f, patches.get(), K, w, K, 0.f, out_rows.get(), O);
  from_channels_last(out_rows.get(), y, g.batch, O, g.out_pixels(), threads);
}

// ---- input gradient ----

void input_grad_general(const ConvGeometry& g, const float* w, const float* dy, float* dx) {
  const int64_t K = g.window_size(), P = g.out_pixels(), O = g.out_channels;
  for_each_image(g.batch, K * P, [&](int64_t n, float* dcol, int threads) {
    // dcol (K, P) = w^T (K, O) dy_n (O, P)
    gemm(gemm_config(true, false, threads), K, P, O, 1.f, w, K, dy + n * O * P, P, 0.f, dcol, P);
    col2im(g, dcol, dx + n * g.in_channels * g.in_pixels(), threads);
  });
}

void input_grad_pointwise(const ConvGeometry& g, const float* w, const float* dy, float* dx) {
  const int64_t C = g.in_channels, P = g.out_pixels(), O = g.out_channels;
  for_each_image(g.batch, 0, [&](int64_t n, float*, int threads) {
    // dx_n (C, P) = w^T (C, O) dy_n (O, P)
    gemm(gemm_config(true, false, threads), C, P, O, 1.f, w, C, dy + n * O * P, P, 0.f, dx + n * C * P, P);
  });
}

// ---- weight gradient ----
// Images are summed one after another into dw with a fully threaded gemm: running them in
// parallel would need a private (O, K) dw per thread and a reduction; worth it only for large
// batches of small images, not our shapes yet.

void weight_grad_general(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const int64_t K = g.window_size(), P = g.out_pixels(), O = g.out_channels;
  const int threads = omp_get_max_threads();
  Scratch col = scratch(K * P);
  std::fill(dw, dw + O * K, 0.f);
  for (int64_t n = 0; n < g.batch; ++n) {
    im2col(g, x + n * g.in_channels * g.in_pixels(), col.get(), threads);
    // dw (O, K) += dy_n (O, P) col^T (P, K)
    gemm(gemm_config(false, true, threads), O, K, P, 1.f, dy + n * O * P, P, col.get(), P, 1.f, dw, K);
  }
}

void weight_grad_pointwise(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const int64_t C = g.in_channels, P = g.out_pixels(), O = g.out_channels;
  std::fill(dw, dw + O * C, 0.f);
  for (int64_t n = 0; n < g.batch; ++n) {
    // dw (O, C) += dy_n (O, P) x_n^T (P, C)
    gemm(gemm_config(false, true, 0), O, C, P, 1.f, dy + n * O * P, P, x + n * C * P, P, 1.f, dw, C);
  }
}

void backward_patches(const ConvGeometry& g, const float* x, const float* w, const float* dy, float* dx,
                      float* dw) {
  const int64_t K = g.window_size(), rows = g.batch * g.out_pixels(), O = g.out_channels;
  const int threads = omp_get_max_threads();
  Scratch dy_rows = scratch(rows * O), patches = scratch(rows * K);
  to_channels_last(dy, dy_rows.get(), g.batch, O, g.out_pixels(), threads);
  if (dx) {
    // d_patches (N*P, K) = dy_rows (N*P, O) w (O, K)
    gemm(gemm_config(false, false, 0), rows, K, O, 1.f, dy_rows.get(), O, w, K, 0.f, patches.get(), K);
    patches_scatter(g, patches.get(), dx, threads);
  }
  if (dw) {
    patches_gather(g, x, patches.get(), threads);
    // dw (O, K) = dy_rows^T (O, N*P) patches (N*P, K); beta 0 also covers an empty batch
    gemm(gemm_config(true, false, 0), O, K, rows, 1.f, dy_rows.get(), O, patches.get(), K, 0.f, dw, K);
  }
}

}  // namespace

ConvPath choose_conv_path(const ConvGeometry& g, ConvAlgorithm algorithm) {
  if (algorithm == ConvAlgorithm::general) return ConvPath::general;
  const bool no_padding = g.padding_h == 0 && g.padding_w == 0;
  if (g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && no_padding)
    return ConvPath::pointwise;
  if (g.kernel_h == g.stride_h && g.kernel_w == g.stride_w && no_padding) return ConvPath::patches;
  return ConvPath::general;
}

const char* conv_path_name(ConvPath path) {
  switch (path) {
    case ConvPath::general: return "general";
    case ConvPath::pointwise: return "pointwise";
    case ConvPath::patches: return "patches";
  }
  return "?";
}

void conv_forward_gemm(const ConvGeometry& g, ConvPath path, const float* x, const float* w, float* y) {
  switch (path) {
    case ConvPath::general: return forward_general(g, x, w, y);
    case ConvPath::pointwise: return forward_pointwise(g, x, w, y);
    case ConvPath::patches: return forward_patches(g, x, w, y);
  }
}

void conv_backward_gemm(const ConvGeometry& g, ConvPath path, const float* x, const float* w, const float* dy,
                        float* dx, float* dw) {
  if (path == ConvPath::patches) return backward_patches(g, x, w, dy, dx, dw);
  const bool pointwise = path == ConvPath::pointwise;
  if (dx) pointwise ? input_grad_pointwise(g, w, dy, dx) : input_grad_general(g, w, dy, dx);
  if (dw) pointwise ? weight_grad_pointwise(g, x, dy, dw) : weight_grad_general(g, x, dy, dw);
}

void add_channel_bias(float* y, const float* b, int64_t n, int64_t channels, int64_t positions) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < channels; ++c) {
      float* row = y + (i * channels + c) * positions;
      const float bias = b[c];
      for (int64_t p = 0; p < positions; ++p) row[p] += bias;
    }
}

void sum_channels(const float* dy, float* db, int64_t n, int64_t channels, int64_t positions) {
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < channels; ++c) {
    double acc = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float* row = dy + (i * channels + c) * positions;
#pragma omp simd reduction(+ : acc)
      for (int64_t p = 0; p < positions; ++p) acc += row[p];
    }
    db[c] = static_cast<float>(acc);
  }
}

}  // namespace fc
