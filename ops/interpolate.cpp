// Interpolation as a separable weighted sum: along each axis every output index reads `taps`
// input indices with weights (1 nearest, 2 bilinear, 4 bicubic), and an output pixel is the
// product of its row and column taps. The tap tables follow PyTorch's
// aten/src/ATen/native/cpu/UpSampleKernel.cpp (compute_indices_weights_*), so border handling
// matches it index for index.
#include "ops/interpolate.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"

namespace fc {
namespace {

constexpr int64_t kParallelElements = 1 << 15;

struct AxisTaps {
  int taps = 1;
  std::vector<int64_t> index;  // (out, taps), clamped into [0, in)
  std::vector<float> weight;   // (out, taps)
};

// PyTorch's area_pixel_compute_scale, in double (the float64 reference's arithmetic).
double source_scale(int64_t in, int64_t out, bool align_corners) {
  if (align_corners) return out > 1 ? static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
  return static_cast<double>(in) / static_cast<double>(out);
}

// PyTorch's area_pixel_compute_source_index: half-pixel centres unless align_corners; linear
// modes clamp a negative source to 0, cubic keeps it (its taps are clamped instead).
double source_index(double scale, int64_t dst, bool align_corners, bool cubic) {
  if (align_corners) return scale * static_cast<double>(dst);
  const double src = scale * (static_cast<double>(dst) + 0.5) - 0.5;
  return (!cubic && src < 0) ? 0.0 : src;
}

// PyTorch's guard_index_and_lambda: floor, kept inside the input, and the fraction past it.
void split_index(double src, int64_t in, int64_t& index, double& lambda) {
  index = std::min(static_cast<int64_t>(std::floor(src)), in - 1);
  lambda = std::clamp(src - static_cast<double>(index), 0.0, 1.0);
}

AxisTaps nearest_taps(int64_t in, int64_t out) {
  AxisTaps t;
  // Computed in float as PyTorch does for float32 tensors, so the chosen pixel is the same one.
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int64_t o = 0; o < out; ++o) {
    const auto src = static_cast<int64_t>(std::floor(static_cast<float>(o) * scale));
    t.index.push_back(std::min(src, in - 1));
    t.weight.push_back(1.f);
  }
  return t;
}

AxisTaps linear_taps(int64_t in, int64_t out, bool align_corners) {
  AxisTaps t;
  t.taps = 2;
  const double scale = source_scale(in, out, align_corners);
  for (int64_t o = 0; o < out; ++o) {
    int64_t i0;
    double lambda;
    split_index(source_index(scale, o, align_corners, false), in, i0, lambda);
    t.index.insert(t.index.end(), {i0, std::min(i0 + 1, in - 1)});
    t.weight.insert(t.weight.end(), {static_cast<float>(1.0 - lambda), static_cast<float>(lambda)});
  }
  return t;
}

// Keys' cubic convolution kernel with A = -0.75 (PyTorch's get_cubic_upsample_coefficients):
// weights of the pixels at distance 1 + t, t, 1 - t, 2 - t from the source position.
void cubic_coefficients(double t, double coeffs[4]) {
  constexpr double A = -0.75;
  auto near = [](double x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };       // |x| <= 1
  auto far = [](double x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };  // 1 < |x| < 2
  coeffs[0] = far(t + 1);
  coeffs[1] = near(t);
  coeffs[2] = near(1 - t);
  coeffs[3] = far(2 - t);
}

AxisTaps cubic_taps(int64_t in, int64_t out, bool align_corners) {
  AxisTaps t;
  t.taps = 4;
  const double scale = source_scale(in, out, align_corners);
  for (int64_t o = 0; o < out; ++o) {
    int64_t i;
    double lambda, coeffs[4];
    split_index(source_index(scale, o, align_corners, true), in, i, lambda);
    cubic_coefficients(lambda, coeffs);
    for (int k = 0; k < 4; ++k) {
      t.index.push_back(std::clamp<int64_t>(i - 1 + k, 0, in - 1));
      t.weight.push_back(static_cast<float>(coeffs[k]));
    }
  }
  return t;
}

AxisTaps axis_taps(InterpolateMode mode, int64_t in, int64_t out, bool align_corners) {
  switch (mode) {
    case InterpolateMode::nearest:
      return nearest_taps(in, out);
    case InterpolateMode::bilinear:
      return linear_taps(in, out, align_corners);
    case InterpolateMode::bicubic:
      return cubic_taps(in, out, align_corners);
  }
  return {};
}

// Tap tables of one resize, both axes.
struct ResizeTaps {
  AxisTaps rows, cols;
  int64_t out_h() const { return static_cast<int64_t>(rows.index.size()) / rows.taps; }
  int64_t out_w() const { return static_cast<int64_t>(cols.index.size()) / cols.taps; }
  // Input rows some output reads; the others need no column pass.
  std::vector<char> rows_read(int64_t H) const {
    std::vector<char> read(static_cast<size_t>(H), 0);
    for (int64_t i : rows.index) read[i] = 1;
    return read;
  }
};

// x (P, H, W) planes -> y (P, OH, OW), y[p, oh, ow] = sum_a sum_b wr[oh, a] * wc[ow, b] * x[p, ir, ic],
// in two passes: columns first into (H, OW), then each output row is a weighted sum of whole
// rows of that, a contiguous loop that vectorises. Costs (H * taps + OH * taps) * OW per plane
// instead of OH * OW * taps^2.
void interpolate_kernel(const float* x, int64_t planes, int64_t H, int64_t W, const ResizeTaps& t, float* y) {
  const int64_t OH = t.out_h(), OW = t.out_w();
  const int rt = t.rows.taps, ct = t.cols.taps;
  const std::vector<char> read = t.rows_read(H);
#pragma omp parallel for schedule(static) if (planes * OH * OW > kParallelElements)
  for (int64_t p = 0; p < planes; ++p) {
    const float* xp = x + p * H * W;
    float* yp = y + p * OH * OW;
    std::vector<float> columns(static_cast<size_t>(H * OW));
    for (int64_t h = 0; h < H; ++h) {
      if (!read[h]) continue;
      const float* xr = xp + h * W;
      float* cr = columns.data() + h * OW;
      for (int64_t ow = 0; ow < OW; ++ow) {
        float sum = 0;
        for (int b = 0; b < ct; ++b) sum += t.cols.weight[ow * ct + b] * xr[t.cols.index[ow * ct + b]];
        cr[ow] = sum;
      }
    }
    for (int64_t oh = 0; oh < OH; ++oh) {
      float* yr = yp + oh * OW;
      for (int64_t ow = 0; ow < OW; ++ow) yr[ow] = 0.f;
      for (int a = 0; a < rt; ++a) {
        const float w = t.rows.weight[oh * rt + a];
        const float* cr = columns.data() + t.rows.index[oh * rt + a] * OW;
        for (int64_t ow = 0; ow < OW; ++ow) yr[ow] += w * cr[ow];
      }
    }
  }
}

// The transpose of interpolate_kernel, the same two passes backwards: output rows scatter into
// (H, OW), then each of those scatters along its columns: dx[p, ir, ic] += wr * wc * grad[p, oh, ow].
// Clamped taps repeat an index, so border pixels collect several weights.
void interpolate_backward_kernel(const float* grad, int64_t planes, int64_t H, int64_t W, const ResizeTaps& t,
                                 float* dx) {
  const int64_t OH = t.out_h(), OW = t.out_w();
  const int rt = t.rows.taps, ct = t.cols.taps;
  const std::vector<char> read = t.rows_read(H);
#pragma omp parallel for schedule(static) if (planes * OH * OW > kParallelElements)
  for (int64_t p = 0; p < planes; ++p) {
    const float* gp = grad + p * OH * OW;
    float* dp = dx + p * H * W;
    std::vector<float> columns(static_cast<size_t>(H * OW), 0.f);
    for (int64_t oh = 0; oh < OH; ++oh) {
      const float* gr = gp + oh * OW;
      for (int a = 0; a < rt; ++a) {
        const float w = t.rows.weight[oh * rt + a];
        float* cr = columns.data() + t.rows.index[oh * rt + a] * OW;
        for (int64_t ow = 0; ow < OW; ++ow) cr[ow] += w * gr[ow];
      }
    }
    for (int64_t h = 0; h < H; ++h) {
      if (!read[h]) continue;
      const float* cr = columns.data() + h * OW;
      float* dr = dp + h * W;
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int b = 0; b < ct; ++b) dr[t.cols.index[ow * ct + b]] += t.cols.weight[ow * ct + b] * cr[ow];
    }
  }
}

struct InterpolateBackward : Node {
  Shape input_shape;
  ResizeTaps taps;
  const char* name() const override { return "InterpolateBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    Tensor g = grad.contiguous();
    Tensor dx = Tensor::zeros(input_shape);
    interpolate_backward_kernel(g.data(), input_shape[0] * input_shape[1], input_shape[2], input_shape[3], taps,
                                dx.mutable_data());
    return {dx};
  }
};

}  // namespace

const char* interpolate_mode_name(InterpolateMode mode) {
  switch (mode) {
    case InterpolateMode::nearest:
      return "nearest";
    case InterpolateMode::bilinear:
      return "bilinear";
    case InterpolateMode::bicubic:
      return "bicubic";
  }
  return "?";
}

Tensor interpolate(const Tensor& x, int64_t out_h, int64_t out_w, InterpolateMode mode, bool align_corners) {
  FC_CHECK(x.ndim() == 4 && x.numel() > 0, "interpolate: x ", x.shape(), ": expected a non-empty (N, C, H, W)");
  FC_CHECK(out_h > 0 && out_w > 0, "interpolate: x ", x.shape(), ": output size (", out_h, ", ", out_w,
           ") must be positive");
  FC_CHECK(!align_corners || mode != InterpolateMode::nearest, "interpolate: x ", x.shape(),
           ": align_corners is only for the interpolating modes (bilinear, bicubic), not nearest");
  const int64_t H = x.size(2), W = x.size(3);
  ResizeTaps taps{axis_taps(mode, H, out_h, align_corners), axis_taps(mode, W, out_w, align_corners)};
  Tensor xc = x.detach().contiguous();
  Tensor out = Tensor::empty({x.size(0), x.size(1), out_h, out_w});
  interpolate_kernel(xc.data(), x.size(0) * x.size(1), H, W, taps, out.mutable_data());
  if (needs_grad({x})) {
    auto node = std::make_shared<InterpolateBackward>();
    node->input_shape = x.shape();
    node->taps = std::move(taps);
    connect(out, node, {x});
  }
  return out;
}

}  // namespace fc
