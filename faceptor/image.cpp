#include "faceptor/image.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "weights/atomic_file.h"

// The one translation unit that compiles stb's implementations.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace fc {

Image::Image(int height, int width, Rgb fill) : height(height), width(width) {
  FC_CHECK(height >= 0 && width >= 0, "Image: negative size ", height, "x", width);
  pixels.resize(static_cast<size_t>(height) * width * channels);
  for (size_t i = 0; i < pixels.size(); i += channels) std::copy(fill.begin(), fill.end(), pixels.begin() + i);
}

Image decode_image(const std::string& bytes, const std::string& what) {
  FC_CHECK(bytes.size() <= static_cast<size_t>(INT32_MAX), what, ": cannot decode image: file too large");
  int width = 0, height = 0, channels_in_file = 0;
  // desired_channels = 3 makes stb convert grey, grey+alpha and RGBA to RGB (alpha dropped, not
  // composited: PIL's convert('RGB') drops it the same way).
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &width,
                            &height, &channels_in_file, 3),
      stbi_image_free);
  FC_CHECK(data != nullptr, what, ": cannot decode image: ", stbi_failure_reason());
  Image image;
  image.height = height;
  image.width = width;
  image.pixels.assign(data.get(), data.get() + static_cast<size_t>(height) * width * 3);
  return image;
}

Image load_image(const std::string& path) { return decode_image(read_file_bytes(path), path); }

std::string encode_png(const Image& image) {
  FC_CHECK(!image.empty(), "save_png: empty image ", image.height, "x", image.width);
  FC_CHECK(image.pixels.size() == static_cast<size_t>(image.height) * image.width * 3, "save_png: ", image.height, "x",
           image.width, " image holds ", image.pixels.size(), " bytes, expected h*w*3");
  std::string out;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  int ok = stbi_write_png_to_func(append, &out, image.width, image.height, 3, image.pixels.data(), image.width * 3);
  FC_CHECK(ok != 0, "save_png: PNG encoding failed for a ", image.height, "x", image.width, " image");
  return out;
}

void save_png(const std::string& path, const Image& image) {
  std::string bytes = encode_png(image);
  write_file_atomic(path, std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
}

Tensor image_to_tensor01(const Image& image) {
  float table[256];
  for (int v = 0; v < 256; ++v) table[v] = static_cast<float>(v / 255.0);
  Tensor out = Tensor::empty({3, image.height, image.width});
  float* dst = out.mutable_data();
  size_t plane = static_cast<size_t>(image.height) * image.width;
  for (size_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) dst[c * plane + i] = table[image.pixels[i * 3 + c]];
  return out;
}

Image image_from_tensor01(const Tensor& chw) {
  FC_CHECK(chw.ndim() == 3 && chw.size(0) == 3, "image_from_tensor01: expected (3, H, W), got ", chw.shape());
  Tensor t = chw.contiguous();
  Image image(static_cast<int>(t.size(1)), static_cast<int>(t.size(2)));
  const float* src = t.data();
  size_t plane = static_cast<size_t>(image.height) * image.width;
  for (size_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) {
      float v = std::nearbyint(src[c * plane + i] * 255.f);
      if (!(v >= 0.f)) v = 0.f;  // also NaN
      image.pixels[i * 3 + c] = static_cast<uint8_t>(std::min(v, 255.f));
    }
  return image;
}

}  // namespace fc
