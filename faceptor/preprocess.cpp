#include "faceptor/preprocess.h"

#include "core/error.h"
#include "faceptor/resize.h"

namespace fc {

Tensor attribute_input(const Image& face, int size) {
  Image small = resize_like_pil_bilinear(face, size, size);
  Tensor out = Tensor::empty({1, 3, size, size});
  float* dst = out.mutable_data();
  const size_t plane = static_cast<size_t>(size) * size;
  for (size_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) {
      // torchvision: ToTensor divides the uint8 tensor by 255 in float32, Normalize then does
      // (x - 0.5) / 0.5 in float32.
      float x = static_cast<float>(small.pixels[i * 3 + c]) / 255.f;
      dst[c * plane + i] = (x - 0.5f) / 0.5f;
    }
  return out;
}

CropWarp dense_crop_whole_image(int image_height, int image_width, int size) {
  FC_CHECK(image_height > 0 && image_width > 0, "dense_crop_whole_image: empty image ", image_height, "x", image_width);
  Box whole{-0.5, -0.5, image_width - 0.5, image_height - 0.5};
  return {crop_from_box(whole, size), size, size, 0.0};
}

CropWarp dense_crop_from_box(const Box& box, int size, double scale) { return {crop_from_box(box, size, scale), size, size, 0.0}; }

CropWarp dense_crop_from_five_points(std::span<const Point2> points, const std::array<Point2, 5>& target, int size,
                                     double warp_factor) {
  FC_CHECK(points.size() == 5, "dense_crop_from_five_points: expected 5 points (eyes, nose tip, mouth corners), got ",
           points.size());
  FC_CHECK(warp_factor >= 0 && warp_factor <= 1, "dense_crop_from_five_points: warp_factor ", warp_factor,
           " outside [0, 1]");
  return {similarity_from_points(points, target), size, size, warp_factor};
}

Tensor dense_input(const Image& image, const CropWarp& crop) {
  Tensor warped = warp_to_crop(image_to_tensor01(image), crop);
  float* p = warped.mutable_data();
  const int64_t plane = static_cast<int64_t>(crop.height) * crop.width;
  for (int c = 0; c < 3; ++c)
    for (int64_t i = 0; i < plane; ++i) p[c * plane + i] = (p[c * plane + i] - kFarlMean[c]) / kFarlStd[c];
  return warped.reshape({1, 3, crop.height, crop.width});
}

std::vector<int32_t> parsing_labels_in_image(const Tensor& logits, const CropWarp& crop, int image_height,
                                             int image_width) {
  FC_CHECK(logits.ndim() == 3, "parsing_labels_in_image: expected logits (C, H, W), got ", logits.shape());
  return argmax_channels(warp_from_crop(logits, crop, image_height, image_width));
}

std::vector<Point2> points_in_image(std::span<const Point2> crop_points, const CropWarp& crop) {
  std::vector<Point2> out;
  out.reserve(crop_points.size());
  for (const Point2& p : crop_points) out.push_back(crop.crop_to_image(p));
  return out;
}

Image picture_from_model_input(const Tensor& input, bool dense) {
  FC_CHECK(input.ndim() == 4 && input.size(0) == 1 && input.size(1) == 3,
           "picture_from_model_input: expected an input (1, 3, H, W), got ", input.shape());
  Tensor chw = input.select(0, 0).contiguous().clone();
  float* p = chw.mutable_data();
  const int64_t plane = chw.size(1) * chw.size(2);
  for (int c = 0; c < 3; ++c)
    for (int64_t i = 0; i < plane; ++i)
      p[c * plane + i] = dense ? p[c * plane + i] * kFarlStd[c] + kFarlMean[c] : p[c * plane + i] * 0.5f + 0.5f;
  return image_from_tensor01(chw);
}

}  // namespace fc
