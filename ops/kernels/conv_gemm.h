// Convolution as GEMM on raw contiguous buffers: the forward product and its two adjoints
// (input gradient, weight gradient), each with three algorithms that must agree:
//   general   — im2col + gemm per image (col2im for the input gradient);
//   pointwise — 1x1 kernel, stride 1, no padding: x itself is the (C, H*W) matrix, no copies;
//   patches   — kernel == stride, no padding (ViT patch embedding; 2x2 stride-2 transposed convs):
//               windows do not overlap, so the whole batch becomes one (N*P, K) matrix and one gemm.
// conv_transpose2d is the input-gradient product run forward, so it shares all of this.
// Every multiply goes through fc::gemm; what is here is data movement and the thread split.
// Bias is not part of these products (see add_channel_bias / sum_channels). Internal to ops/.
//
// Letters as in ops/kernels/im2col.h: N images, C in channels, O out channels, K = C*kh*kw, P = Ho*Wo.
//
//   ConvPath path = choose_conv_path(g, ConvAlgorithm::automatic);
//   conv_forward_gemm(g, path, x, w, y);                         // y = conv(x, w)
//   conv_backward_gemm(g, path, x, w, dy, dx, dw);               // dx, dw from dy
#pragma once

#include <cstdint>

#include "ops/kernels/im2col.h"

namespace fc {

// automatic picks a fast path when the shape allows; general forces im2col (tests compare the two).
enum class ConvAlgorithm { automatic, general };
enum class ConvPath { general, pointwise, patches };

ConvPath choose_conv_path(const ConvGeometry& g, ConvAlgorithm algorithm);
const char* conv_path_name(ConvPath path);

// x (N, C, H, W), w (O, C, kh, kw) -> y (N, O, Ho, Wo), overwritten.
void conv_forward_gemm(const ConvGeometry& g, ConvPath path, const float* x, const float* w, float* y);

// dy (N, O, Ho, Wo) -> dx (N, C, H, W) when dx is not null (needs w), and
// dw (O, C, kh, kw) summed over the batch when dw is not null (needs x). Both are overwritten.
// Asked together they share work (the patch path transposes dy once).
void conv_backward_gemm(const ConvGeometry& g, ConvPath path, const float* x, const float* w, const float* dy,
                        float* dx, float* dw);

// y (N, O, S) += b (O) broadcast over N and S.
void add_channel_bias(float* y, const float* b, int64_t n, int64_t channels, int64_t positions);
// dy (N, O, S) -> db (O): the sum over N and S (overwritten), accumulated in double.
void sum_channels(const float* dy, float* db, int64_t n, int64_t channels, int64_t positions);

}  // namespace fc
