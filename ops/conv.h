// 2-D convolution and transposed convolution (PyTorch's F.conv2d / F.conv_transpose2d), forward
// and backward, built on fc::gemm. Only groups = 1 and dilation = 1 are supported (all Faceptor
// needs: ViT patch embedding, the pixel decoder's 3x3 / 1x1 convs and its 2x2 stride-2 upsampling).
//
// Shape key: N images, C (C_in) input channels, O (C_out) output channels, H x W input,
// kh x kw kernel, Ho x Wo output.
//
//   Tensor tokens = conv2d(image, patch_weight, Tensor(), {.stride_h = 16, .stride_w = 16});
//                   // image (N, 3, 224, 224), patch_weight (768, 3, 16, 16) -> (N, 768, 14, 14)
//   Tensor up = conv_transpose2d(x, w, b, {.stride_h = 2, .stride_w = 2});
//                   // x (N, 256, 32, 32), w (256, 256, 2, 2), b (256) -> (N, 256, 64, 64)
//
// Internally a shape picks one of three algorithms (ops/kernels/conv_gemm.h): im2col + gemm in
// general, a plain gemm for 1x1 stride-1 unpadded kernels, and one batched gemm over patch rows
// when kernel == stride without padding. `algorithm = ConvAlgorithm::general` forces the first,
// which tests use as the reference for the other two.
#pragma once

#include "core/tensor.h"
#include "ops/kernels/conv_gemm.h"

namespace fc {

struct Conv2dOptions {
  int64_t stride_h = 1, stride_w = 1;
  int64_t padding_h = 0, padding_w = 0;  // zeros on each side
  ConvAlgorithm algorithm = ConvAlgorithm::automatic;
};

// x (N, C, H, W), weight (O, C, kh, kw), bias (O) or undefined -> (N, O, Ho, Wo) with
// Ho = floor((H + 2*padding_h - kh) / stride_h) + 1 (likewise Wo): trailing rows/columns that do
// not fill a whole window are dropped, as in PyTorch.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options = {});

struct ConvTranspose2dOptions {
  int64_t stride_h = 1, stride_w = 1;
  int64_t padding_h = 0, padding_w = 0;  // removed from each side of the full output
  int64_t output_padding_h = 0, output_padding_w = 0;  // extra rows/columns at the end; < stride
  ConvAlgorithm algorithm = ConvAlgorithm::automatic;
};

// The adjoint of conv2d with the same weight: x (N, C_in, H, W), weight (C_in, C_out, kh, kw),
// bias (C_out) or undefined -> (N, C_out, Ho, Wo) with
// Ho = (H - 1)*stride_h - 2*padding_h + kh + output_padding_h (likewise Wo).
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const ConvTranspose2dOptions& options = {});

}  // namespace fc
