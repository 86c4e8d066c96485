#include "faceptor/resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"

namespace fc {

namespace {

// Fixed-point precision of PIL's 8-bit resampler: 32-bit accumulators, 8 bits of pixel value and
// 2 bits of head room for filter weights above 1 (other filters; bilinear stays in [0, 1]).
constexpr int kPrecisionBits = 32 - 8 - 2;

// The taps of one output pixel along one axis: input indices [first, first + weights.size()).
struct Taps {
  int first = 0;
  std::vector<int32_t> weights;
};

// ref: PIL libImaging/Resample.c precompute_coeffs + normalize_coeffs_8bpc (behaviour, not code).
std::vector<Taps> bilinear_taps(int in_size, int out_size) {
  double scale = static_cast<double>(in_size) / out_size;
  double filter_scale = std::max(scale, 1.0);
  double support = 1.0 * filter_scale;  // the triangle filter reaches 1 input pixel at scale 1
  std::vector<Taps> taps(static_cast<size_t>(out_size));
  std::vector<double> w;
  for (int i = 0; i < out_size; ++i) {
    double center = (i + 0.5) * scale;
    // PIL truncates toward zero (a C cast) before clamping; for negative values the clamp wins.
    int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    int hi = std::min(static_cast<int>(center + support + 0.5), in_size);
    w.assign(static_cast<size_t>(std::max(hi - lo, 0)), 0.0);
    double total = 0.0;
    for (int x = lo; x < hi; ++x) {
      double d = std::fabs((x - center + 0.5) / filter_scale);
      double v = d < 1.0 ? 1.0 - d : 0.0;
      w[static_cast<size_t>(x - lo)] = v;
      total += v;
    }
    Taps& t = taps[static_cast<size_t>(i)];
    t.first = lo;
    for (double v : w) {
      double normalised = total != 0.0 ? v / total : v;
      double fixed = normalised * (1 << kPrecisionBits);
      // Round half away from zero, as PIL's (int)(x +- 0.5) does.
      t.weights.push_back(static_cast<int32_t>(fixed < 0 ? fixed - 0.5 : fixed + 0.5));
    }
  }
  return taps;
}

inline uint8_t clip8(int32_t accumulator) {
  int32_t v = accumulator >> kPrecisionBits;  // arithmetic shift: floor, as PIL's lookup table index
  return static_cast<uint8_t>(std::clamp(v, 0, 255));
}

// One separable pass over interleaved RGB. `along_x` picks the axis being resampled.
Image resample_pass(const Image& in, const std::vector<Taps>& taps, bool along_x) {
  int out_h = along_x ? in.height : static_cast<int>(taps.size());
  int out_w = along_x ? static_cast<int>(taps.size()) : in.width;
  Image out(out_h, out_w);
  const int32_t rounding = 1 << (kPrecisionBits - 1);
  for (int y = 0; y < out_h; ++y) {
    for (int x = 0; x < out_w; ++x) {
      const Taps& t = taps[static_cast<size_t>(along_x ? x : y)];
      int32_t sum[3] = {rounding, rounding, rounding};
      for (size_t k = 0; k < t.weights.size(); ++k) {
        int src = t.first + static_cast<int>(k);
        const uint8_t* p = along_x ? in.at(y, src) : in.at(src, x);
        for (int c = 0; c < 3; ++c) sum[c] += p[c] * t.weights[k];
      }
      uint8_t* q = out.at(y, x);
      for (int c = 0; c < 3; ++c) q[c] = clip8(sum[c]);
    }
  }
  return out;
}

}  // namespace

Image resize_like_pil_bilinear(const Image& image, int out_height, int out_width) {
  FC_CHECK(!image.empty(), "resize_like_pil_bilinear: empty input image ", image.height, "x", image.width);
  FC_CHECK(out_height > 0 && out_width > 0, "resize_like_pil_bilinear: ", image.height, "x", image.width, " -> ",
           out_height, "x", out_width, ": output size must be positive");
  // PIL returns a copy when the size does not change, and skips a pass whose axis keeps its size.
  Image result = image;
  if (out_width != image.width) result = resample_pass(result, bilinear_taps(image.width, out_width), true);
  if (out_height != image.height) result = resample_pass(result, bilinear_taps(image.height, out_height), false);
  return result;
}

}  // namespace fc
