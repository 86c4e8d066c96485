// Geometry of the 512x512 dense-task input: affine maps between an original image and a square
// crop, the optional tanh warp, bilinear warping of images and logits in both directions, and
// 5-point similarity alignment.
//
// Conventions (the official FaRL/Faceptor dense transforms, blueprint/ml/augmenters):
// - Pixel coordinates: integer (x, y) is the centre of pixel column x, row y; the image covers
//   [-0.5, w - 0.5] x [-0.5, h - 0.5] ("boundary coordinates").
// - A crop is described by `matrix`, a matrix taking original-image pixel coordinates to
//   crop pixel coordinates (the official `align_matrix` / `crop_matrix`). Warping the image
//   samples, for every crop pixel p, the original image at inverse(matrix) * p.
// - Sampling is cv2.remap(INTER_LINEAR, BORDER_CONSTANT, 0) on float32 data: the source position
//   is rounded to 1/32 pixel (OpenCV's INTER_TAB_SIZE, round half to even), bilinear weights are
//   products of multiples of 1/32, and neighbours outside the image count as 0. warp_to_crop
//   reproduces cv2.remap bit for bit when given the same float32 sampling map; our map is built
//   in double and rounded to float32, NumPy's in float32, so a sample whose position sits within
//   ~1e-5 px of a 1/64 step may round the other way (the fixtures see none).
// - Tanh warp (warp_factor > 0, LaPa's recipe uses 0.8): in crop coordinates normalised as
//   u = x / w * 2 - 1 (note: w, not w - 1, no half-pixel shift, exactly as the official code), the
//   outer band |u| > 1 - f is compressed with tanh; sampling uses the inverse (arctanh, argument
//   clamped to +-0.999). warp_factor 0 is a plain affine crop (CelebAMask-HQ, 300W, ...).
// - Maps back: parsing logits (C, 512, 512) are warped to the original image by bilinear
//   sampling (the same remap, at matrix * p for each original pixel p), then argmax, as
//   the official celebam/lapa test_post_transform does; pixels outside the crop get all-zero
//   logits and therefore label 0. Landmarks map back through crop_to_image.
//
//   CropWarp crop{crop_from_box({10, 20, 310, 320}, 512, 0.8), 512, 512};
//   Tensor face = warp_to_crop(image_to_tensor01(img), crop);        // (3, 512, 512)
//   Tensor back = warp_from_crop(logits, crop, img.height, img.width); // (C, H, W)
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/tensor.h"

namespace fc {

struct Point2 {
  double x = 0, y = 0;
};

// p' = A p + t, stored as the top two rows of the 3x3 homogeneous matrix: {a, b, c, d, e, f}
// means x' = a x + b y + c, y' = d x + e y + f.
struct Affine2D {
  std::array<double, 6> m{1, 0, 0, 0, 1, 0};

  Point2 apply(Point2 p) const { return {m[0] * p.x + m[1] * p.y + m[2], m[3] * p.x + m[4] * p.y + m[5]}; }
  Affine2D inverse() const;                       // throws when singular
  Affine2D then(const Affine2D& next) const;      // next(this(p))
  static Affine2D scale_about(double scale, Point2 center);
};

// Box corners in boundary coordinates (the whole image is {-0.5, -0.5, w - 0.5, h - 0.5}).
struct Box {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

// The official test-time crop: `box` -> size x size (UpdateCropAndResizeMatrix, align_corners
// false: x -> (x - x1) / (x2 - x1) * size - 0.5), then scaled by `scale` about the crop centre
// ((size - 1) / 2, UpdateTransformMatrix's scale_mu; 300W/WFLW/COFW/AFLW landmarks use 0.8,
// parsing 1.0).
Affine2D crop_from_box(const Box& box, int size, double scale = 1.0);

// A crop: the matrix, the crop's size, and the tanh warp factor (0: none).
struct CropWarp {
  Affine2D matrix;  // original-image pixel -> crop pixel (before the tanh warp)
  int height = 512;
  int width = 512;
  double warp_factor = 0.0;

  Point2 crop_to_image(Point2 crop_point) const;   // where a crop pixel samples the image
  Point2 image_to_crop(Point2 image_point) const;  // where an image pixel lands in the crop
};

// image (C, H, W) -> (C, crop.height, crop.width): bilinear, outside = 0 (see conventions).
Tensor warp_to_crop(const Tensor& image, const CropWarp& crop);
// crop-sized maps (C, crop.height, crop.width) -> (C, image_height, image_width), same sampling.
Tensor warp_from_crop(const Tensor& crop_maps, const CropWarp& crop, int image_height, int image_width);

// The sampler under both: src (C, H, W); map holds (x, y) float32 pairs, one per output pixel,
// row-major over (out_h, out_w) -> (C, out_h, out_w). Exactly cv2.remap INTER_LINEAR,
// BORDER_CONSTANT 0 for the same float32 map.
Tensor remap_bilinear(const Tensor& src, std::span<const float> map_xy, int out_height, int out_width);

// (C, H, W) -> H*W labels, the first channel wins ties (numpy.argmax).
std::vector<int32_t> argmax_channels(const Tensor& maps);

// Least-squares similarity (rotation, uniform scale, translation; no reflection) taking `src`
// onto `dst` (Umeyama 1991, the estimate skimage's SimilarityTransform gives). Needs >= 2 points,
// equal counts, finite values, and src points that are not all the same. Throws otherwise.
Affine2D similarity_from_points(std::span<const Point2> src, std::span<const Point2> dst);

// Five-point templates, order: left eye centre, right eye centre (as seen in the image), nose
// tip, left mouth corner, right mouth corner; pixel coordinates in a size x size crop.
// The ArcFace/InsightFace 112x112 template, scaled to `size` about the pixel grid
// ((p + 0.5) * size / 112 - 0.5, so 112 gives the published numbers).
std::array<Point2, 5> arcface_five_point_template(int size = 112);
// The FaRL template the official LaPa pipeline aligns to (GetFaceAlignMatrix, face scale 1):
// published points in 512 / [-1, 1] units mapped to (p + 1) * (size - 1) / 2.
std::array<Point2, 5> farl_five_point_template(int size = 512);

}  // namespace fc
