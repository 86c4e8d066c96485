// Training augmentations, each drawing only from the Rng it is given. Images are (3, H, W)
// float tensors in [0, 1] (Sample::image); geometric ones move the labels with the pixels.
//
//   Affine2D jitter = random_affine(landmark_affine_jitter(), 512, 512, rng);
//   CropWarp crop{crop_from_box(s.box, 512, 0.8).then(jitter), 512, 512};
//   Sample warped = warp_sample(s, crop);          // image bilinear, masks nearest, points mapped
//   flip_horizontal(warped, parsing_flip_classes(ParsingScheme::lapa));
//   warped.image = random_blur(random_gamma(random_grey(warped.image, rng), rng), rng);
//
// Parameters follow the official transforms (Faceptor core/data/transform/*.py, which use
// FaRL's blueprint.ml.augmenters for the 512 tasks and timm's create_transform for the 112 ones);
// each function says which official piece it mirrors. Where we differ, it says so.
#pragma once

#include <cstdint>
#include <span>

#include "core/random.h"
#include "faceptor/data/dataset.h"

namespace fc::faceptor::data {

// UpdateRandomTransformMatrix: a rotation and scale about the crop centre plus a shift (a
// fraction of min(H, W)); each drawn normal(mu, sigma) or uniform(mu - sigma, mu + sigma).
// Draw order (as official): shift x, shift y, angle, scale.
struct AffineJitter {
  double shift_sigma = 0.0, rot_sigma = 0.0, scale_sigma = 0.0;
  double scale_mu = 1.0;
  bool shift_normal = false, rot_normal = true, scale_normal = true;
};
// celebam_/lapa_train_transform: shift U(+-0.01), rotation N(0, 0.314 rad), scale N(1, 0.1).
AffineJitter parsing_affine_jitter();
// align_train_transform (300W etc.): shift U(+-0.05), rotation U(+-0.174 rad), scale U(1 +- 0.1).
// (The official scale_mu 0.8 of the landmark recipe goes into the box crop: crop_from_box.)
AffineJitter landmark_affine_jitter();
// The matrix taking crop pixels to jittered crop pixels of a height x width crop (compose it
// after the crop matrix: crop.then(jitter)).
Affine2D random_affine(const AffineJitter& jitter, int height, int width, Rng& rng);

// Warps a sample into `crop`: image bilinear (warp_to_crop: cv2.remap INTER_LINEAR, outside 0),
// parsing map nearest (cv2 INTER_NEAREST: source position rounded, outside = 0 = background),
// landmarks mapped through the crop (tanh warp included). The face box is dropped.
Sample warp_sample(const Sample& sample, const CropWarp& crop);

// Mirrors left and right: image columns, landmark x -> W - 1 - x with the scheme's index
// permutation (landmark_flip_permutation by point count), parsing columns with `class_map`
// (parsing_flip_classes; required when the sample has a parsing map), and the box.
void flip_horizontal(Sample& sample, std::span<const uint8_t> class_map = {});

// Photometric, image (3, H, W) -> (3, H, W).
Tensor to_grey(const Tensor& image);                      // cv2 RGB2GRAY weights, copied to 3 channels
Tensor apply_gamma(const Tensor& image, double gamma);    // clamp to [0, 1], then x^gamma
Tensor box_blur(const Tensor& image, int kernel);         // cv2.blur: mean over k x k, BORDER_REFLECT_101
Tensor gaussian_blur(const Tensor& image, double sigma);  // kernel 2 * ceil(3 sigma) + 1, BORDER_REFLECT_101
// torchvision's adjust_brightness / adjust_contrast / adjust_saturation (grey = 0.2989 R +
// 0.587 G + 0.114 B; contrast blends with the mean grey level); results clamped to [0, 1].
Tensor adjust_brightness(const Tensor& image, double factor);
Tensor adjust_contrast(const Tensor& image, double factor);
Tensor adjust_saturation(const Tensor& image, double factor);

// The official random versions.
// RandomGray: grey with probability `p` (official 0.1).
Tensor random_grey(const Tensor& image, Rng& rng, double p = 0.1);
// RandomGamma: clamp, then one of sqrt / identity / square with equal probability.
Tensor random_gamma(const Tensor& image, Rng& rng);
// RandomBlur: box blur of size int((H + W) / 2 * U(0, scale)) when that is > 1 (official scale
// 0.01: at 512 a kernel of up to 5). The official blur is a box filter; gaussian_blur is here
// for recipes of our own.
Tensor random_blur(const Tensor& image, Rng& rng, double scale = 0.01);
// RandomOcclusion (landmark recipe): one black rectangle, height fraction U(0.2, 0.8) of H/2,
// width fraction that +- 0.2, at a uniformly drawn centre.
Tensor random_occlusion(const Tensor& image, Rng& rng);
// NoiseFusion (landmark recipe, applied with probability 0.5): blend with U(0, 1) noise,
// weight U(0, 0.5).
Tensor noise_fusion(const Tensor& image, Rng& rng);

// ColorJitter(brightness, contrast, saturation) as torchvision does it: each factor uniform in
// [max(0, 1 - s), 1 + s], the three applied in a random order. The official 112 recipe asks
// timm for color_jitter 0.4 but also RandAugment, and timm then skips the jitter; we use the
// jitter (0.4) in place of RandAugment and random erasing, which we do not port.
struct ColorJitter {
  double brightness = 0.4, contrast = 0.4, saturation = 0.4;
};
Tensor color_jitter(const Tensor& image, const ColorJitter& jitter, Rng& rng);

// image (3, H, W) in [0, 1] -> (3, size, size) exactly as PIL's Resize (bilinear, antialiased)
// of the 8-bit image does (the values are k / 255, so the round trip through 8 bits is exact).
Tensor resize_image01(const Tensor& image, int height, int width);

}  // namespace fc::faceptor::data
