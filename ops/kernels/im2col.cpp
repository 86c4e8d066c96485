#include "ops/kernels/im2col.h"

#include <algorithm>
#include <cstring>

namespace fc {
namespace {

// The output columns [lo, hi) whose tap at offset `tap` lands inside an input row of `size`
// pixels: 0 <= o*stride - padding + tap < size. Outside it the window reads padding.
struct ValidRange {
  int64_t lo, hi;
};
ValidRange valid_outputs(int64_t size, int64_t out_size, int64_t stride, int64_t padding, int64_t tap) {
  const int64_t first = padding - tap;  // o*stride >= first
  const int64_t last = size - 1 + padding - tap;  // o*stride <= last
  int64_t lo = first > 0 ? (first + stride - 1) / stride : 0;
  int64_t hi = last >= 0 ? last / stride + 1 : 0;
  lo = std::min(lo, out_size);
  hi = std::clamp(hi, lo, out_size);
  return {lo, hi};
}

}  // namespace

void im2col(const ConvGeometry& g, const float* x, float* col, int threads) {
  const int64_t rows = g.window_size(), taps = g.kernel_h * g.kernel_w, P = g.out_pixels();
  // Rows are independent and each writes its own P floats, so they split across threads freely.
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r / taps, i = (r / g.kernel_w) % g.kernel_h, j = r % g.kernel_w;
    const ValidRange cols = valid_outputs(g.in_w, g.out_w, g.stride_w, g.padding_w, j);
    float* dst = col + r * P;
    for (int64_t oh = 0; oh < g.out_h; ++oh, dst += g.out_w) {
      const int64_t ih = oh * g.stride_h - g.padding_h + i;
      if (ih < 0 || ih >= g.in_h) {
        std::fill(dst, dst + g.out_w, 0.f);
        continue;
      }
      // Output column ow reads src[ow*stride_w + shift] (in range exactly inside cols).
      const float* src = x + (c * g.in_h + ih) * g.in_w;
      const int64_t shift = j - g.padding_w;
      std::fill(dst, dst + cols.lo, 0.f);
      if (g.stride_w == 1 && cols.hi > cols.lo) {
        std::memcpy(dst + cols.lo, src + cols.lo + shift, sizeof(float) * (cols.hi - cols.lo));
      } else {
        for (int64_t ow = cols.lo; ow < cols.hi; ++ow) dst[ow] = src[ow * g.stride_w + shift];
      }
      std::fill(dst + cols.hi, dst + g.out_w, 0.f);
    }
  }
}

void col2im(const ConvGeometry& g, const float* col, float* x, int threads) {
  const int64_t taps = g.kernel_h * g.kernel_w, P = g.out_pixels();
  // Split by channel: all rows of channel c write only into x[c], so no two threads share a pixel
  // and each pixel's sum is taken in the same (tap, position) order whatever the thread count.
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
  for (int64_t c = 0; c < g.in_channels; ++c) {
    float* x_c = x + c * g.in_pixels();
    std::fill(x_c, x_c + g.in_pixels(), 0.f);
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const ValidRange cols = valid_outputs(g.in_w, g.out_w, g.stride_w, g.padding_w, j);
        const float* src = col + (c * taps + i * g.kernel_w + j) * P;
        for (int64_t oh = 0; oh < g.out_h; ++oh, src += g.out_w) {
          const int64_t ih = oh * g.stride_h - g.padding_h + i;
          if (ih < 0 || ih >= g.in_h) continue;
          float* dst = x_c + ih * g.in_w;
          const int64_t shift = j - g.padding_w;
          for (int64_t ow = cols.lo; ow < cols.hi; ++ow) dst[ow * g.stride_w + shift] += src[ow];
        }
      }
    }
  }
}

void patches_gather(const ConvGeometry& g, const float* x, float* patches, int threads) {
  const int64_t K = g.window_size(), kh = g.kernel_h, kw = g.kernel_w;
  // One task per (image, row of windows): each writes Wo whole rows of the patch matrix.
#pragma omp parallel for collapse(2) num_threads(threads) if (threads > 1) schedule(static)
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        float* dst = patches + ((n * g.out_h + oh) * g.out_w + ow) * K;
        for (int64_t c = 0; c < g.in_channels; ++c) {
          const float* src = x + ((n * g.in_channels + c) * g.in_h + oh * kh) * g.in_w + ow * kw;
          for (int64_t i = 0; i < kh; ++i, dst += kw) std::memcpy(dst, src + i * g.in_w, sizeof(float) * kw);
        }
      }
    }
  }
}

void patches_scatter(const ConvGeometry& g, const float* patches, float* x, int threads) {
  const int64_t K = g.window_size(), kh = g.kernel_h, kw = g.kernel_w;
  // Rows/columns past the last whole window get no gradient; clearing everything first is
  // simpler than clearing the margins and costs one pass, only when the tiling is not exact.
  if (g.out_h * kh != g.in_h || g.out_w * kw != g.in_w)
    std::fill(x, x + g.batch * g.in_channels * g.in_pixels(), 0.f);
#pragma omp parallel for collapse(2) num_threads(threads) if (threads > 1) schedule(static)
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const float* src = patches + ((n * g.out_h + oh) * g.out_w + ow) * K;
        for (int64_t c = 0; c < g.in_channels; ++c) {
          float* dst = x + ((n * g.in_channels + c) * g.in_h + oh * kh) * g.in_w + ow * kw;
          for (int64_t i = 0; i < kh; ++i, src += kw) std::memcpy(dst + i * g.in_w, src, sizeof(float) * kw);
        }
      }
    }
  }
}

void to_channels_last(const float* src, float* dst, int64_t n, int64_t channels, int64_t positions, int threads) {
#pragma omp parallel for collapse(2) num_threads(threads) if (threads > 1) schedule(static)
  for (int64_t b = 0; b < n; ++b)
    for (int64_t p = 0; p < positions; ++p) {
      const float* s = src + b * channels * positions + p;
      float* d = dst + (b * positions + p) * channels;
      for (int64_t c = 0; c < channels; ++c) d[c] = s[c * positions];
    }
}

void from_channels_last(const float* src, float* dst, int64_t n, int64_t channels, int64_t positions,
                        int threads) {
#pragma omp parallel for collapse(2) num_threads(threads) if (threads > 1) schedule(static)
  for (int64_t b = 0; b < n; ++b)
    for (int64_t c = 0; c < channels; ++c) {
      const float* s = src + b * positions * channels + c;
      float* d = dst + (b * channels + c) * positions;
      for (int64_t p = 0; p < positions; ++p) d[p] = s[p * channels];
    }
}

}  // namespace fc
