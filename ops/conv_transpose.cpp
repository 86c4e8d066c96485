// conv_transpose2d runs conv2d's products with the roles swapped: its output is the conv input
// and its input the conv output, so its forward is conv2d's input gradient and its input
// gradient is conv2d's forward (ops/kernels/conv_gemm.h).
#include "core/autograd.h"
#include "core/error.h"
#include "ops/conv.h"

namespace fc {
namespace {

// `geometry` describes the conv2d whose adjoint this is: conv input = our output (N, C_out, Ho, Wo),
// conv output = our input (N, C_in, H, W), conv weight (O = C_in, C = C_out, kh, kw) = our weight.
// Inputs that need no gradient (edge node null) are skipped.
struct ConvTranspose2dBackward : Node {
  Tensor x, weight;  // contiguous, detached
  ConvGeometry geometry;
  ConvPath path = ConvPath::general;
  const char* name() const override { return "ConvTranspose2dBackward"; }
  std::vector<Tensor> backward(const Tensor& grad) override {
    const ConvGeometry& g = geometry;
    Tensor dy = grad.contiguous();
    Tensor dx, dw, db;
    if (next[0].node) {
      dx = Tensor::empty(x.shape());
      conv_forward_gemm(g, path, dy.data(), weight.data(), dx.mutable_data());
    }
    if (next[1].node) {
      // conv2d's weight gradient with dy in the role of the conv input and x of the conv output's gradient.
      dw = Tensor::empty(weight.shape());
      conv_backward_gemm(g, path, dy.data(), nullptr, x.data(), nullptr, dw.mutable_data());
    }
    if (next.size() > 2 && next[2].node) {
      db = Tensor::empty({g.in_channels});
      sum_channels(dy.data(), db.mutable_data(), g.batch, g.in_channels, g.in_pixels());
    }
    return {dx, dw, db};
  }
};

}  // namespace

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvTranspose2dOptions& o) {
  FC_CHECK(x.defined() && weight.defined(), "conv_transpose2d: input and weight must be defined");
  FC_CHECK(x.ndim() == 4 && weight.ndim() == 4, "conv_transpose2d: input ", x.shape(), " x weight ", weight.shape(),
           ": expected input (N, C_in, H, W) and weight (C_in, C_out, kh, kw)");
  FC_CHECK(x.size(1) == weight.size(0), "conv_transpose2d: input ", x.shape(), " x weight ", weight.shape(),
           ": input has ", x.size(1), " channels, weight expects ", weight.size(0));
  FC_CHECK(o.stride_h >= 1 && o.stride_w >= 1 && o.padding_h >= 0 && o.padding_w >= 0, "conv_transpose2d: input ",
           x.shape(), " x weight ", weight.shape(), ": stride (", o.stride_h, ",", o.stride_w,
           ") must be >= 1 and padding (", o.padding_h, ",", o.padding_w, ") >= 0");
  // PyTorch's rule (with dilation 1): more output padding would add rows no window reaches.
  FC_CHECK(o.output_padding_h >= 0 && o.output_padding_w >= 0 && o.output_padding_h < o.stride_h &&
               o.output_padding_w < o.stride_w,
           "conv_transpose2d: input ", x.shape(), " x weight ", weight.shape(), ": output_padding (",
           o.output_padding_h, ",", o.output_padding_w, ") must be >= 0 and smaller than stride (", o.stride_h, ",",
           o.stride_w, ")");
  const int64_t kh = weight.size(2), kw = weight.size(3);
  const int64_t out_h = (x.size(2) - 1) * o.stride_h - 2 * o.padding_h + kh + o.output_padding_h;
  const int64_t out_w = (x.size(3) - 1) * o.stride_w - 2 * o.padding_w + kw + o.output_padding_w;
  FC_CHECK(x.size(2) > 0 && x.size(3) > 0 && out_h > 0 && out_w > 0, "conv_transpose2d: input ", x.shape(),
           " x weight ", weight.shape(), ": output size ", out_h, "x", out_w, " is not positive (padding (",
           o.padding_h, ",", o.padding_w, ") too large)");
  FC_CHECK(!bias.defined() || (bias.ndim() == 1 && bias.size(0) == weight.size(1)), "conv_transpose2d: bias ",
           bias.defined() ? bias.shape() : Shape{}, " for weight ", weight.shape(), ": bias must be (",
           weight.size(1), ")");

  ConvGeometry g;
  g.batch = x.size(0);
  g.in_channels = weight.size(1);
  g.in_h = out_h;
  g.in_w = out_w;
  g.out_channels = weight.size(0);
  g.kernel_h = kh;
  g.kernel_w = kw;
  g.stride_h = o.stride_h;
  g.stride_w = o.stride_w;
  g.padding_h = o.padding_h;
  g.padding_w = o.padding_w;
  g.out_h = x.size(2);
  g.out_w = x.size(3);
  const ConvPath path = choose_conv_path(g, o.algorithm);

  Tensor xc = x.detach().contiguous(), wc = weight.detach().contiguous();
  Tensor out = Tensor::empty({g.batch, g.in_channels, out_h, out_w});
  conv_backward_gemm(g, path, nullptr, wc.data(), xc.data(), out.mutable_data(), nullptr);
  if (bias.defined()) {
    Tensor bc = bias.detach().contiguous();
    add_channel_bias(out.mutable_data(), bc.data(), g.batch, g.in_channels, g.in_pixels());
  }
  if (needs_grad({x, weight, bias})) {
    auto node = std::make_shared<ConvTranspose2dBackward>();
    node->x = xc;
    node->weight = wc;
    node->geometry = g;
    node->path = path;
    connect(out, node, {x, weight, bias});
  }
  return out;
}

}  // namespace fc
