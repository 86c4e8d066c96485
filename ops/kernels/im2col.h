// Data movement for convolution as GEMM: the geometry of one 2-D convolution, im2col/col2im
// (the general path: every kernel window becomes a column of a matrix), the patch gather/scatter
// of non-overlapping windows (kernel == stride, no padding: ViT patch embedding, 2x2 stride-2
// transposed convs), and the channels-first <-> channels-last transpose. No arithmetic besides
// col2im's accumulation; the multiplies live in ops/kernels/conv_gemm.h. Internal to ops/.
//
// Letters: N images, C input channels, H x W input, O output channels, kh x kw kernel,
// Ho x Wo output, K = C*kh*kw (one window flattened), P = Ho*Wo (windows per image).
//
//   ConvGeometry g{.batch = 1, .in_channels = 3, .in_h = 8, .in_w = 8, .out_channels = 4, .kernel_h = 3,
//                  .kernel_w = 3, .padding_h = 1, .padding_w = 1, .out_h = 8, .out_w = 8};
//   im2col(g, x_image, col, threads);   // x (3, 8, 8) -> col (27, 64)
#pragma once

#include <cstdint>

namespace fc {

// One convolution y = conv(x, w) in PyTorch's cross-correlation sense, groups = 1, dilation = 1:
// y[n, o, oh, ow] = sum_{c, i, j} w[o, c, i, j] * x[n, c, oh*stride_h - padding_h + i, ow*stride_w - padding_w + j]
// with out-of-range x reading 0.
struct ConvGeometry {
  int64_t batch = 0, in_channels = 0, in_h = 0, in_w = 0;  // x (N, C, H, W)
  int64_t out_channels = 0, kernel_h = 0, kernel_w = 0;     // w (O, C, kh, kw)
  int64_t stride_h = 1, stride_w = 1, padding_h = 0, padding_w = 0;
  int64_t out_h = 0, out_w = 0;  // y (N, O, Ho, Wo)

  int64_t window_size() const { return in_channels * kernel_h * kernel_w; }  // K
  int64_t out_pixels() const { return out_h * out_w; }                       // P
  int64_t in_pixels() const { return in_h * in_w; }
};

// x (C, H, W) of one image -> col (K, P): row (c, i, j) holds, for every output position, the
// input pixel that kernel tap (i, j) of channel c reads there (0 in the padding).
void im2col(const ConvGeometry& g, const float* x, float* col, int threads);
// col (K, P) -> x (C, H, W), the adjoint of im2col: x is overwritten with, for each pixel, the sum
// of the column entries that read it (0 for pixels no window covers).
void col2im(const ConvGeometry& g, const float* col, float* x, int threads);

// Windows that tile the input without overlap (kernel == stride, padding 0). When H or W is not
// a multiple of the kernel the last rows/columns belong to no window (PyTorch floors Ho, Wo).
// x (N, C, H, W) -> patches (N*P, K): one row per window, ordered (n, oh, ow), columns (c, i, j).
void patches_gather(const ConvGeometry& g, const float* x, float* patches, int threads);
// patches (N*P, K) -> x (N, C, H, W), the adjoint of patches_gather (uncovered pixels get 0).
void patches_scatter(const ConvGeometry& g, const float* patches, float* x, int threads);

// src (N, C, S) -> dst (N, S, C) and back: the gemm of the patch path works on one row per
// position (channels last), tensors are channels first.
void to_channels_last(const float* src, float* dst, int64_t n, int64_t channels, int64_t positions, int threads);
void from_channels_last(const float* src, float* dst, int64_t n, int64_t channels, int64_t positions,
                        int threads);

}  // namespace fc
