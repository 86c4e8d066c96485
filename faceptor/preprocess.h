// The model inputs, made exactly like the official Faceptor test transforms, and the way back
// from the 512 crop to the original picture.
//
//   Image face = load_image("face.jpg");
//   Tensor x112 = attribute_input(face);                     // (1, 3, 112, 112)
//   CropWarp crop = dense_crop_whole_image(face.height, face.width);
//   Tensor x512 = dense_input(face, crop);                   // (1, 3, 512, 512)
//   ... logits (C, 512, 512) from the model ...
//   std::vector<int32_t> labels = parsing_labels_in_image(logits, crop, face.height, face.width);
//
// 112 tasks (age, attributes, expression, recognition), ref: attribute_test_transform:
//   PIL image -> Resize([112, 112]) (bilinear, antialiased) -> ToTensor (x / 255 in float32)
//   -> Normalize(0.5, 0.5). resize_like_pil_bilinear reproduces PIL byte for byte, so the
//   tensor matches the official one exactly.
// 512 tasks (parsing, landmarks), ref: celebam_/lapa_/align_test_transform:
//   Normalize255 (float32(x / 255)) -> cv2.remap bilinear into the crop (outside = 0)
//   -> Normalize(FaRL mean, std). See faceptor/warp.h for the geometry conventions.
// Which crop: the official test sets give the crop (CelebAMask-HQ: the image resized to 512;
// 300W and others: a face box, scaled by 0.8; LaPa: 5 landmarks onto the FaRL template plus a
// tanh warp of 0.8). A user picture without points is treated as the face crop: the whole image
// is stretched to the square (dense_crop_whole_image), as the 112 path stretches it to 112x112.
// With five points, dense_crop_from_five_points aligns them to a template.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "faceptor/image.h"
#include "faceptor/warp.h"

namespace fc {

inline constexpr std::array<float, 3> kFarlMean = {0.48145466f, 0.4578275f, 0.40821073f};
inline constexpr std::array<float, 3> kFarlStd = {0.26862954f, 0.26130258f, 0.27577711f};

// face (H, W, 3) -> (1, 3, 112, 112), values (x / 255 - 0.5) / 0.5.
Tensor attribute_input(const Image& face, int size = 112);

// The whole image as the crop: boundary box {-0.5, -0.5, w - 0.5, h - 0.5} -> size x size.
// For CelebAMask-HQ's 1024x1024 pictures this is the official cv2.resize(INTER_LINEAR) to 512
// except that the official code rounds that resize to uint8 first (|difference| <= 0.5 / 255).
CropWarp dense_crop_whole_image(int image_height, int image_width, int size = 512);
// A face box (boundary coordinates) scaled like the official landmark test (scale 0.8).
CropWarp dense_crop_from_box(const Box& box, int size = 512, double scale = 1.0);
// Five points (see warp.h for the order) aligned by least squares onto `target` (pixel
// coordinates of the size x size crop; e.g. farl_five_point_template(512), which with
// warp_factor 0.8 is the official LaPa setting, or arcface_five_point_template(512)).
CropWarp dense_crop_from_five_points(std::span<const Point2> points, const std::array<Point2, 5>& target, int size = 512,
                                     double warp_factor = 0.0);

// image -> (1, 3, crop.height, crop.width) normalised with the FaRL statistics.
Tensor dense_input(const Image& image, const CropWarp& crop);

// The inverse of the normalisation: input (1, 3, S, S) normalised for the dense pipeline (FaRL
// statistics) or the 112 one ((x - 0.5) / 0.5) -> the 8-bit picture it encodes (overlays,
// explain's figures, pictures of --input-npy tensors).
Image picture_from_model_input(const Tensor& input, bool dense);

// Parsing logits (C, crop.height, crop.width) -> one label per original pixel (row-major H*W):
// bilinear warp of the logits back to the image, then argmax (official test_post_transform).
std::vector<int32_t> parsing_labels_in_image(const Tensor& logits, const CropWarp& crop, int image_height,
                                             int image_width);
// Landmarks in crop pixel coordinates -> original image pixel coordinates.
std::vector<Point2> points_in_image(std::span<const Point2> crop_points, const CropWarp& crop);

}  // namespace fc
