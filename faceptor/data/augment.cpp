#include "faceptor/data/augment.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "faceptor/data/flip_tables.h"
#include "faceptor/image.h"
#include "faceptor/resize.h"

namespace fc::faceptor::data {
namespace {

void check_image(const Tensor& image, const char* op) {
  FC_CHECK(image.defined() && image.ndim() == 3 && image.size(0) == 3, op, ": expected an image (3, H, W), got ",
           image.defined() ? image.shape() : Shape{});
}

// A contiguous copy we may write into.
Tensor fresh_copy(const Tensor& image) {
  Tensor out = Tensor::empty(image.shape());
  Tensor src = image.contiguous();
  std::copy(src.data(), src.data() + src.numel(), out.mutable_data());
  return out;
}

float clamp01(float v) { return std::min(1.f, std::max(0.f, v)); }

double draw(double mu, double sigma, bool normal, Rng& rng) {
  if (normal) return mu + sigma * rng.normal();
  return mu - sigma + 2.0 * sigma * rng.uniform();
}

// BORDER_REFLECT_101: ... 2 1 | 0 1 2 ... n-1 | n-2 ...
int reflect101(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

// Separable filter with taps centred at `anchor`, applied along rows then columns.
Tensor separable_filter(const Tensor& image, const std::vector<double>& taps, int anchor) {
  int64_t h = image.size(1), w = image.size(2);
  Tensor src = image.contiguous();
  Tensor out = Tensor::empty(image.shape());
  std::vector<double> row(static_cast<size_t>(h * w));
  int k = static_cast<int>(taps.size());
  for (int c = 0; c < 3; ++c) {
    const float* plane = src.data() + c * h * w;
    float* dst = out.mutable_data() + c * h * w;
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        double acc = 0;
        for (int t = 0; t < k; ++t) acc += taps[t] * plane[y * w + reflect101(static_cast<int>(x) + t - anchor, static_cast<int>(w))];
        row[y * w + x] = acc;
      }
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        double acc = 0;
        for (int t = 0; t < k; ++t) acc += taps[t] * row[reflect101(static_cast<int>(y) + t - anchor, static_cast<int>(h)) * w + x];
        dst[y * w + x] = static_cast<float>(acc);
      }
  }
  return out;
}

// Per-pixel grey level with the given weights.
std::vector<float> grey_levels(const Tensor& image, float wr, float wg, float wb) {
  Tensor src = image.contiguous();
  size_t plane = static_cast<size_t>(image.size(1) * image.size(2));
  const float* p = src.data();
  std::vector<float> grey(plane);
  for (size_t i = 0; i < plane; ++i) grey[i] = wr * p[i] + wg * p[plane + i] + wb * p[2 * plane + i];
  return grey;
}

// factor * image + (1 - factor) * other, clamped; `other` is per pixel (size H*W) or one value.
Tensor blend(const Tensor& image, const std::vector<float>& other, double factor) {
  Tensor out = fresh_copy(image);
  size_t plane = static_cast<size_t>(image.size(1) * image.size(2));
  float* p = out.mutable_data();
  float f = static_cast<float>(factor);
  for (int c = 0; c < 3; ++c)
    for (size_t i = 0; i < plane; ++i) {
      float o = other.size() == 1 ? other[0] : other[i];
      p[c * plane + i] = clamp01(f * p[c * plane + i] + (1.f - f) * o);
    }
  return out;
}

}  // namespace

AffineJitter parsing_affine_jitter() { return {0.01, 0.314, 0.1, 1.0, false, true, true}; }
AffineJitter landmark_affine_jitter() { return {0.05, 0.174, 0.1, 1.0, false, false, false}; }

// ref: blueprint/ml/augmenters/geometry.py, _compose_rotate_and_scale with equal from/to centres.
Affine2D random_affine(const AffineJitter& jitter, int height, int width, Rng& rng) {
  double side = std::min(height, width);
  double shift_x = draw(0.0, jitter.shift_sigma, jitter.shift_normal, rng) * side;
  double shift_y = draw(0.0, jitter.shift_sigma, jitter.shift_normal, rng) * side;
  double angle = draw(0.0, jitter.rot_sigma, jitter.rot_normal, rng);
  double scale = draw(jitter.scale_mu, jitter.scale_sigma, jitter.scale_normal, rng);
  double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0;
  double a = scale * std::cos(angle), b = scale * std::sin(angle);
  Affine2D m;
  m.m = {a, -b, cx - a * cx + b * cy + shift_x, b, a, cy - b * cx - a * cy + shift_y};
  return m;
}

Sample warp_sample(const Sample& sample, const CropWarp& crop) {
  check_image(sample.image, "warp_sample");
  Sample out = sample;
  out.image = warp_to_crop(sample.image, crop);
  if (!sample.parsing.empty()) {
    FC_CHECK(sample.parsing.height == sample.height() && sample.parsing.width == sample.width(), "warp_sample: ",
             sample.name, ": parsing map ", sample.parsing.height, "x", sample.parsing.width, " but image ",
             sample.height(), "x", sample.width());
    out.parsing = LabelMap(crop.height, crop.width, 0);
    for (int y = 0; y < crop.height; ++y)
      for (int x = 0; x < crop.width; ++x) {
        Point2 p = crop.crop_to_image({static_cast<double>(x), static_cast<double>(y)});
        // cvRound: round half to even, as cv2.remap INTER_NEAREST does.
        double sx = std::nearbyint(p.x), sy = std::nearbyint(p.y);
        if (sx >= 0 && sy >= 0 && sx < sample.parsing.width && sy < sample.parsing.height)
          out.parsing.at(y, x) = sample.parsing.at(static_cast<int>(sy), static_cast<int>(sx));
      }
  }
  for (Point2& p : out.landmarks) p = crop.image_to_crop(p);
  out.has_box = false;
  return out;
}

void flip_horizontal(Sample& sample, std::span<const uint8_t> class_map) {
  check_image(sample.image, "flip_horizontal");
  int h = sample.height(), w = sample.width();
  Tensor source = sample.image.contiguous();
  Tensor out = Tensor::empty(source.shape());
  const float* src = source.data();
  float* dst = out.mutable_data();
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        dst[(static_cast<size_t>(c) * h + y) * w + x] = src[(static_cast<size_t>(c) * h + y) * w + (w - 1 - x)];
  sample.image = out;
  if (!sample.parsing.empty()) {
    FC_CHECK(!class_map.empty(), "flip_horizontal: ", sample.name,
             ": a parsing map needs its class swap table (parsing_flip_classes)");
    LabelMap flipped(sample.parsing.height, sample.parsing.width);
    for (int y = 0; y < flipped.height; ++y)
      for (int x = 0; x < flipped.width; ++x) {
        uint8_t c = sample.parsing.at(y, flipped.width - 1 - x);
        FC_CHECK(c < class_map.size(), "flip_horizontal: ", sample.name, ": label ", int(c), " outside the ",
                 class_map.size(), "-class swap table");
        flipped.at(y, x) = class_map[c];
      }
    sample.parsing = std::move(flipped);
  }
  if (!sample.landmarks.empty()) {
    std::vector<int> perm = landmark_flip_permutation(static_cast<int>(sample.landmarks.size()));
    std::vector<Point2> flipped(sample.landmarks.size());
    for (size_t i = 0; i < perm.size(); ++i)
      flipped[perm[i]] = {w - 1 - sample.landmarks[i].x, sample.landmarks[i].y};
    sample.landmarks = std::move(flipped);
  }
  if (sample.has_box) sample.box = {w - 1 - sample.box.x2, sample.box.y1, w - 1 - sample.box.x1, sample.box.y2};
}

Tensor to_grey(const Tensor& image) {
  check_image(image, "to_grey");
  std::vector<float> grey = grey_levels(image, 0.299f, 0.587f, 0.114f);
  return blend(image, grey, 0.0);
}

Tensor apply_gamma(const Tensor& image, double gamma) {
  check_image(image, "apply_gamma");
  FC_CHECK(gamma > 0, "apply_gamma: gamma must be positive, got ", gamma);
  Tensor out = fresh_copy(image);
  float* p = out.mutable_data();
  for (int64_t i = 0; i < out.numel(); ++i) p[i] = static_cast<float>(std::pow(clamp01(p[i]), gamma));
  return out;
}

Tensor box_blur(const Tensor& image, int kernel) {
  check_image(image, "box_blur");
  FC_CHECK(kernel >= 1, "box_blur: kernel must be >= 1, got ", kernel);
  return separable_filter(image, std::vector<double>(kernel, 1.0 / kernel), kernel / 2);
}

Tensor gaussian_blur(const Tensor& image, double sigma) {
  check_image(image, "gaussian_blur");
  FC_CHECK(sigma > 0, "gaussian_blur: sigma must be positive, got ", sigma);
  int radius = static_cast<int>(std::ceil(3 * sigma));
  std::vector<double> taps(2 * radius + 1);
  for (int i = -radius; i <= radius; ++i) taps[i + radius] = std::exp(-0.5 * i * i / (sigma * sigma));
  double sum = std::accumulate(taps.begin(), taps.end(), 0.0);
  for (double& t : taps) t /= sum;
  return separable_filter(image, taps, radius);
}

Tensor adjust_brightness(const Tensor& image, double factor) {
  check_image(image, "adjust_brightness");
  return blend(image, {0.f}, factor);
}

Tensor adjust_contrast(const Tensor& image, double factor) {
  check_image(image, "adjust_contrast");
  std::vector<float> grey = grey_levels(image, 0.2989f, 0.587f, 0.114f);
  double mean = std::accumulate(grey.begin(), grey.end(), 0.0) / std::max<size_t>(grey.size(), 1);
  return blend(image, {static_cast<float>(mean)}, factor);
}

Tensor adjust_saturation(const Tensor& image, double factor) {
  check_image(image, "adjust_saturation");
  return blend(image, grey_levels(image, 0.2989f, 0.587f, 0.114f), factor);
}

Tensor random_grey(const Tensor& image, Rng& rng, double p) { return rng.uniform() < p ? to_grey(image) : image; }

Tensor random_gamma(const Tensor& image, Rng& rng) {
  switch (rng.below(3)) {
    case 0: return apply_gamma(image, 0.5);
    case 1: return apply_gamma(image, 1.0);  // the official clamps to [0, 1] in every branch
    default: return apply_gamma(image, 2.0);
  }
}

Tensor random_blur(const Tensor& image, Rng& rng, double scale) {
  check_image(image, "random_blur");
  double ratio = rng.uniform() * scale;
  int kernel = static_cast<int>((image.size(1) + image.size(2)) / 2.0 * ratio);
  if (kernel <= 1) return image;
  return box_blur(apply_gamma(image, 1.0), kernel);
}

// ref: blueprint RandomOcclusion. The official draws the centre's x from the height and y from
// the width; the crops are square, so we draw each from its own side.
Tensor random_occlusion(const Tensor& image, Rng& rng) {
  check_image(image, "random_occlusion");
  int h = static_cast<int>(image.size(1)), w = static_cast<int>(image.size(2));
  double rh = rng.uniform() * 0.6 + 0.2;
  double rw = rh - 0.2 + 0.4 * rng.uniform();
  int cx = static_cast<int>((w - 1) * rng.uniform());
  int cy = static_cast<int>((h - 1) * rng.uniform());
  int dh = static_cast<int>(h / 2.0 * rh), dw = static_cast<int>(w / 2.0 * rw);
  int x0 = std::max(0, cx - dw / 2), y0 = std::max(0, cy - dh / 2);
  int x1 = std::min(w - 1, cx + dw / 2), y1 = std::min(h - 1, cy + dh / 2);
  Tensor out = fresh_copy(image);
  float* p = out.mutable_data();
  for (int c = 0; c < 3; ++c)
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) p[(static_cast<size_t>(c) * h + y) * w + x] = 0.f;
  return out;
}

Tensor noise_fusion(const Tensor& image, Rng& rng) {
  check_image(image, "noise_fusion");
  Tensor out = fresh_copy(image);
  float* p = out.mutable_data();
  // Noise first, then alpha: the official draws the noise array before alpha.
  std::vector<float> noise(static_cast<size_t>(out.numel()));
  for (float& n : noise) n = rng.uniform();
  float alpha = 0.5f * rng.uniform();
  for (int64_t i = 0; i < out.numel(); ++i) p[i] = (1 - alpha) * p[i] + alpha * noise[i];
  return out;
}

Tensor color_jitter(const Tensor& image, const ColorJitter& jitter, Rng& rng) {
  check_image(image, "color_jitter");
  int order[3] = {0, 1, 2};
  for (int i = 2; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  auto factor = [&](double s) { return s > 0 ? rng.uniform(static_cast<float>(std::max(0.0, 1 - s)), static_cast<float>(1 + s)) : 1.f; };
  double fb = factor(jitter.brightness), fc = factor(jitter.contrast), fs = factor(jitter.saturation);
  Tensor out = image;
  for (int op : order) {
    if (op == 0 && jitter.brightness > 0) out = adjust_brightness(out, fb);
    if (op == 1 && jitter.contrast > 0) out = adjust_contrast(out, fc);
    if (op == 2 && jitter.saturation > 0) out = adjust_saturation(out, fs);
  }
  return out;
}

Tensor resize_image01(const Tensor& image, int height, int width) {
  check_image(image, "resize_image01");
  if (image.size(1) == height && image.size(2) == width) return image;
  return image_to_tensor01(resize_like_pil_bilinear(image_from_tensor01(image), height, width));
}

}  // namespace fc::faceptor::data
