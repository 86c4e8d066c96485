// Image: an 8-bit RGB picture in memory (height x width x 3, row-major, HWC), plus file I/O.
// 8-bit is what files hold, what PIL resizes and what overlays are drawn on; float work (model
// input, warps, logits) happens on fc::Tensor (C, H, W) through the helpers below.
//
//   Image face = load_image("photo.jpg");             // JPEG/PNG/BMP/...; grey and RGBA become RGB
//   Tensor x = image_to_tensor01(face);                // (3, H, W), values x / 255
//   save_png("out/face.png", face);                    // atomic: temp file + rename
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace fc {

using Rgb = std::array<uint8_t, 3>;

struct Image {
  static constexpr int channels = 3;
  int height = 0;
  int width = 0;
  std::vector<uint8_t> pixels;  // height * width * 3, RGB interleaved

  Image() = default;
  Image(int height, int width, Rgb fill = {0, 0, 0});

  bool empty() const { return height == 0 || width == 0; }
  uint8_t* at(int y, int x) { return pixels.data() + (static_cast<size_t>(y) * width + x) * channels; }
  const uint8_t* at(int y, int x) const { return pixels.data() + (static_cast<size_t>(y) * width + x) * channels; }
  Rgb rgb(int y, int x) const { return {at(y, x)[0], at(y, x)[1], at(y, x)[2]}; }
  bool contains(int y, int x) const { return y >= 0 && y < height && x >= 0 && x < width; }
};

// Decodes any format stb_image reads (JPEG baseline/progressive, PNG, BMP, TGA, GIF first frame,
// PSD, HDR clamped, PNM). Throws "photo.jpg: cannot decode image: <reason>".
Image load_image(const std::string& path);
// Same, from bytes in memory; `what` names the source in errors.
Image decode_image(const std::string& bytes, const std::string& what);

// Writes an 8-bit RGB PNG atomically (never a partial file). Throws naming the path.
void save_png(const std::string& path, const Image& image);
std::string encode_png(const Image& image);

// image (H, W, 3) uint8 -> (3, H, W) float32 with value / 255 exactly as float32(x / 255.0)
// (NumPy's `x / 255.0` cast to float32 and torchvision's ToTensor agree on all 256 values).
Tensor image_to_tensor01(const Image& image);
// (3, H, W) in [0, 1] -> image; values are scaled by 255, rounded to nearest and clamped.
Image image_from_tensor01(const Tensor& chw);

}  // namespace fc
