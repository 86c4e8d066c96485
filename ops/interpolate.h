// Resizing image-shaped tensors to a given output size, as torch.nn.functional.interpolate(x,
// size=(out_h, out_w), mode=...) without antialias: used to resize positional embeddings (bicubic
// 32x32 -> 7x7) and to upsample parsing logits (bilinear 128 -> 512).
//
// Letters: N batch, C channels, H W input size.
//
//   Tensor pos = fc::interpolate(grid, 7, 7, InterpolateMode::bicubic);            // (1, D, 32, 32) -> (1, D, 7, 7)
//   Tensor up = fc::interpolate(logits, 512, 512, InterpolateMode::bilinear);
//   Tensor ac = fc::interpolate(x, 9, 9, InterpolateMode::bilinear, /*align_corners=*/true);
//
// Every output is a fixed weighted sum of input pixels, so the backward scatters the gradient with
// the same weights. PyTorch's scale_factor form is not offered: pass the size it would compute.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace fc {

enum class InterpolateMode {
  // PyTorch's legacy 'nearest': source index floor(dst * H / out_h) (computed in float like PyTorch).
  nearest,
  // Two taps per axis; align_corners=false samples at half-pixel centres, source index clamped at 0.
  bilinear,
  // Four taps per axis, Keys' cubic with A = -0.75, indices clamped to the border
  // (PyTorch's upsample_bicubic2d, also used when downsampling).
  bicubic,
};

// x (N, C, H, W) -> (N, C, out_h, out_w). align_corners maps the corner pixels' centres onto each
// other (source = dst * (H - 1) / (out_h - 1)); only bilinear and bicubic accept it, like PyTorch.
Tensor interpolate(const Tensor& x, int64_t out_h, int64_t out_w, InterpolateMode mode, bool align_corners = false);

const char* interpolate_mode_name(InterpolateMode mode);

}  // namespace fc
