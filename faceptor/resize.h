// Resizing an 8-bit RGB image exactly the way PIL's Image.resize(size, BILINEAR) does, which is
// what torchvision's transforms.Resize does to a PIL image (the Faceptor 112x112 input path).
//
//   Image small = resize_like_pil_bilinear(face, 112, 112);   // byte-for-byte what PIL gives
//
// PIL resamples by convolution, not by point sampling: output pixel i covers the input interval
// [i * scale, (i + 1) * scale) (scale = in / out) and averages it with a triangle filter whose
// support is max(scale, 1) input pixels on each side of the centre, so shrinking is antialiased
// and enlarging is ordinary bilinear interpolation with half-pixel centres. The filter weights of
// each output pixel are normalised to sum to 1 (this is also how the borders are handled: taps
// outside the image are dropped and the rest renormalised). For 8-bit images PIL rounds the
// weights to 22-bit fixed point and runs two passes, horizontal first, rounding and clamping to
// 8 bits in between; a pass whose size does not change is skipped. This file does the same.
#pragma once

#include "faceptor/image.h"

namespace fc {

Image resize_like_pil_bilinear(const Image& image, int out_height, int out_width);

}  // namespace fc
