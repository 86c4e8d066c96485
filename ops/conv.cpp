#include "ops/conv.h"

#include "core/autograd.h"
#include "core/error.h"

namespace fc {
namespace {

// y = conv(x, w) + b: dx is the transposed product of dy with w, dw the product of dy with x's
// windows summed over the batch, db the sum of dy over everything but the channel.
// Inputs that need no gradient (edge node null) are skipped: a patch embedding never needs the
// image's gradient, a frozen layer never needs its weight's.
struct Conv2dBackward : Node {
  Tensor x, weight;  // contiguous, detached
  ConvGeometry geometry;
  ConvPath path = ConvPath::general;
  const char* name() const override { return "Conv2dBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    const ConvGeometry& g = geometry;
    Tensor dy = grad.contiguous();
    Tensor dx, dw, db;
    if (next[0].node) dx = Tensor::empty(x.shape());
    if (next[1].node) dw = Tensor::empty(weight.shape());
    if (dx.defined() || dw.defined())
      conv_backward_gemm(g, path, x.data(), weight.data(), dy.data(), dx.defined() ? dx.mutable_data() : nullptr,
                         dw.defined() ? dw.mutable_data() : nullptr);
    if (next.size() > 2 && next[2].node) {
      db = Tensor::empty({g.out_channels});
      sum_channels(dy.data(), db.mutable_data(), g.batch, g.out_channels, g.out_pixels());
    }
    return {dx, dw, db};
  }
};

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& o) {
  FC_CHECK(x.defined() && weight.defined(), "conv2d: input and weight must be defined");
  FC_CHECK(x.ndim() == 4 && weight.ndim() == 4, "conv2d: input ", x.shape(), " x weight ", weight.shape(),
           ": expected input (N, C, H, W) and weight (O, C, kh, kw)");
  FC_CHECK(x.size(1) == weight.size(1), "conv2d: input ", x.shape(), " x weight ", weight.shape(), ": input has ",
           x.size(1), " channels, weight expects ", weight.size(1));
  FC_CHECK(o.stride_h >= 1 && o.stride_w >= 1 && o.padding_h >= 0 && o.padding_w >= 0, "conv2d: input ", x.shape(),
           " x weight ", weight.shape(), ": stride (", o.stride_h, ",", o.stride_w, ") must be >= 1 and padding (",
           o.padding_h, ",", o.padding_w, ") >= 0");
  const int64_t padded_h = x.size(2) + 2 * o.padding_h, padded_w = x.size(3) + 2 * o.padding_w;
  FC_CHECK(weight.size(2) <= padded_h && weight.size(3) <= padded_w, "conv2d: input ", x.shape(), " x weight ",
           weight.shape(), ": kernel ", weight.size(2), "x", weight.size(3), " is larger than the padded input ",
           padded_h, "x", padded_w);
  FC_CHECK(!bias.defined() || (bias.ndim() == 1 && bias.size(0) == weight.size(0)), "conv2d: bias ",
           bias.defined() ? bias.shape() : Shape{}, " for weight ", weight.shape(), ": bias must be (",
           weight.size(0), ")");

  ConvGeometry g;
  g.batch = x.size(0);
  g.in_channels = x.size(1);
  g.in_h = x.size(2);
  g.in_w = x.size(3);
  g.out_channels = weight.size(0);
  g.kernel_h = weight.size(2);
  g.kernel_w = weight.size(3);
  g.stride_h = o.stride_h;
  g.stride_w = o.stride_w;
  g.padding_h = o.padding_h;
  g.padding_w = o.padding_w;
  g.out_h = (padded_h - g.kernel_h) / g.stride_h + 1;
  g.out_w = (padded_w - g.kernel_w) / g.stride_w + 1;
  const ConvPath path = choose_conv_path(g, o.algorithm);

  Tensor xc = x.detach().contiguous(), wc = weight.detach().contiguous();
  Tensor out = Tensor::empty({g.batch, g.out_channels, g.out_h, g.out_w});
  conv_forward_gemm(g, path, xc.data(), wc.data(), out.mutable_data());
  if (bias.defined()) {
    Tensor bc = bias.detach().contiguous();
    add_channel_bias(out.mutable_data(), bc.data(), g.batch, g.out_channels, g.out_pixels());
  }
  if (needs_grad({x, weight, bias})) {
    auto node = std::make_shared<Conv2dBackward>();
    node->x = xc;
    node->weight = wc;
    node->geometry = g;
    node->path = path;
    connect(out, node, {x, weight, bias});
  }
  return out;
}

}  // namespace fc
