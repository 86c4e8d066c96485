#include <doctest/doctest.h>

#include "core/error.h"
#include "core/random.h"
#include "ops/conv.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

namespace {

// Each output sums up to C*kh*kw = 75 products (a weight gradient up to N*Ho*Wo = 60) of O(1)
// values, so float32 accumulation in a blocked gemm may differ from the float64 reference by a
// few 1e-6 absolute; 5e-5 leaves room without hiding an indexing error (those are O(1)).
constexpr Tolerance kConvTol{5e-5, 1e-4};

Tensor optional_bias(const Inputs& x) { return x.size() > 2 ? x[2] : Tensor(); }

OpFn conv_fn(Conv2dOptions o) {
  return [o](const Inputs& x) { return conv2d(x[0], x[1], optional_bias(x), o); };
}
OpFn convt_fn(ConvTranspose2dOptions o) {
  return [o](const Inputs& x) { return conv_transpose2d(x[0], x[1], optional_bias(x), o); };
}

}  // namespace

// conv2d, general path (im2col)
FC_OP_CASE(conv_3x3_p1, {.op = "conv2d", .group = "conv", .name = "conv_3x3_p1",
                         .fn = conv_fn({.padding_h = 1, .padding_w = 1}), .forward_tol = kConvTol,
                         .backward_tol = kConvTol});
FC_OP_CASE(conv_3x3_s2_p1, {.op = "conv2d", .group = "conv", .name = "conv_3x3_s2_p1",
                            .fn = conv_fn({.stride_h = 2, .stride_w = 2, .padding_h = 1, .padding_w = 1}),
                            .forward_tol = kConvTol, .backward_tol = kConvTol});
FC_OP_CASE(conv_rect, {.op = "conv2d", .group = "conv", .name = "conv_rect",
                       .fn = conv_fn({.stride_h = 2, .stride_w = 1, .padding_h = 1, .padding_w = 0}),
                       .forward_tol = kConvTol, .backward_tol = kConvTol});
FC_OP_CASE(conv_odd_nobias, {.op = "conv2d", .group = "conv", .name = "conv_odd_nobias", .fn = conv_fn({}),
                             .forward_tol = kConvTol, .backward_tol = kConvTol});
FC_OP_CASE(conv_wide_pad, {.op = "conv2d", .group = "conv", .name = "conv_wide_pad",
                           .fn = conv_fn({.stride_h = 1, .stride_w = 3, .padding_h = 2, .padding_w = 2}),
                           .forward_tol = kConvTol, .backward_tol = kConvTol});
FC_OP_CASE(conv_1x1_s2, {.op = "conv2d", .group = "conv", .name = "conv_1x1_s2",
                         .fn = conv_fn({.stride_h = 2, .stride_w = 2}), .forward_tol = kConvTol,
                         .backward_tol = kConvTol});
// pointwise path
FC_OP_CASE(conv_1x1_bias, {.op = "conv2d", .group = "conv", .name = "conv_1x1_bias", .fn = conv_fn({}),
                           .forward_tol = kConvTol, .backward_tol = kConvTol});
FC_OP_CASE(conv_1x1_nobias, {.op = "conv2d", .group = "conv", .name = "conv_1x1_nobias", .fn = conv_fn({}),
                             .forward_tol = kConvTol, .backward_tol = kConvTol});
// patches path
FC_OP_CASE(conv_patch4_16, {.op = "conv2d", .group = "conv", .name = "conv_patch4_16",
                            .fn = conv_fn({.stride_h = 4, .stride_w = 4}), .forward_tol = kConvTol,
                            .backward_tol = kConvTol});
FC_OP_CASE(conv_patch4_18, {.op = "conv2d", .group = "conv", .name = "conv_patch4_18",
                            .fn = conv_fn({.stride_h = 4, .stride_w = 4}), .forward_tol = kConvTol,
                            .backward_tol = kConvTol});
FC_OP_CASE(conv_patch_rect, {.op = "conv2d", .group = "conv", .name = "conv_patch_rect",
                             .fn = conv_fn({.stride_h = 2, .stride_w = 3}), .forward_tol = kConvTol,
                             .backward_tol = kConvTol});

// conv_transpose2d: patches path (k2 s2), general path, pointwise path
FC_OP_CASE(convt_k2s2_bias, {.op = "conv_transpose2d", .group = "conv", .name = "convt_k2s2_bias",
                             .fn = convt_fn({.stride_h = 2, .stride_w = 2}), .forward_tol = kConvTol,
                             .backward_tol = kConvTol});
FC_OP_CASE(convt_k2s2_outpad,
           {.op = "conv_transpose2d", .group = "conv", .name = "convt_k2s2_outpad",
            .fn = convt_fn({.stride_h = 2, .stride_w = 2, .output_padding_h = 1, .output_padding_w = 1}),
            .forward_tol = kConvTol, .backward_tol = kConvTol});
FC_OP_CASE(convt_k3s2p1_outpad1,
           {.op = "conv_transpose2d", .group = "conv", .name = "convt_k3s2p1_outpad1",
            .fn = convt_fn({.stride_h = 2, .stride_w = 2, .padding_h = 1, .padding_w = 1, .output_padding_h = 1,
                            .output_padding_w = 1}),
            .forward_tol = kConvTol, .backward_tol = kConvTol});
FC_OP_CASE(convt_rect_nobias, {.op = "conv_transpose2d", .group = "conv", .name = "convt_rect_nobias",
                               .fn = convt_fn({.stride_h = 2, .stride_w = 1, .padding_h = 1, .output_padding_h = 1}),
                               .forward_tol = kConvTol, .backward_tol = kConvTol});
FC_OP_CASE(convt_1x1_bias, {.op = "conv_transpose2d", .group = "conv", .name = "convt_1x1_bias", .fn = convt_fn({}),
                            .forward_tol = kConvTol, .backward_tol = kConvTol});

namespace {

// Runs fn on fresh leaf copies of inputs and backpropagates grad_out; returns {out, grads...}.
std::vector<Tensor> run_with_grads(const OpFn& fn, const Inputs& inputs, const Tensor& grad_out) {
  Inputs leaves;
  for (const Tensor& t : inputs) leaves.push_back(t.detach().clone().set_requires_grad(true));
  Tensor out = fn(leaves);
  out.backward(grad_out);
  std::vector<Tensor> result{out};
  for (const Tensor& t : leaves) result.push_back(t.grad());
  return result;
}

// Both algorithms sum the same products in different orders (one batched gemm vs one per image,
// rows vs columns), so they agree to float rounding of sums with up to a few hundred terms.
void check_same_as_general(const std::string& what, const OpFn& fast, const OpFn& general, const Inputs& inputs,
                           uint64_t seed) {
  Rng rng(seed);
  Tensor probe = fast(inputs);
  Tensor grad_out = Tensor::randn(probe.shape(), rng);
  std::vector<Tensor> a = run_with_grads(fast, inputs, grad_out), b = run_with_grads(general, inputs, grad_out);
  const char* names[] = {"forward", "grad x", "grad weight", "grad bias"};
  for (size_t i = 0; i < a.size(); ++i) check_close(a[i], b[i], {1e-4, 1e-4}, what + " " + names[i]);
}

void conv_paths_agree(const std::string& what, const Shape& x_shape, const Shape& w_shape, bool bias,
                      Conv2dOptions o, ConvPath expected_path, uint64_t seed) {
  Rng rng(seed);
  Inputs inputs{Tensor::randn(x_shape, rng), Tensor::randn(w_shape, rng)};
  if (bias) inputs.push_back(Tensor::randn({w_shape[0]}, rng));
  Conv2dOptions general = o;
  general.algorithm = ConvAlgorithm::general;
  CAPTURE(what);
  ConvGeometry g{.batch = x_shape[0], .in_channels = x_shape[1], .in_h = x_shape[2], .in_w = x_shape[3],
                 .out_channels = w_shape[0], .kernel_h = w_shape[2], .kernel_w = w_shape[3], .stride_h = o.stride_h,
                 .stride_w = o.stride_w, .padding_h = o.padding_h, .padding_w = o.padding_w};
  CHECK(choose_conv_path(g, ConvAlgorithm::automatic) == expected_path);
  check_same_as_general(what, conv_fn(o), conv_fn(general), inputs, seed + 1);
}

void convt_paths_agree(const std::string& what, const Shape& x_shape, const Shape& w_shape, bool bias,
                       ConvTranspose2dOptions o, uint64_t seed) {
  Rng rng(seed);
  Inputs inputs{Tensor::randn(x_shape, rng), Tensor::randn(w_shape, rng)};
  if (bias) inputs.push_back(Tensor::randn({w_shape[1]}, rng));
  ConvTranspose2dOptions general = o;
  general.algorithm = ConvAlgorithm::general;
  CAPTURE(what);
  check_same_as_general(what, convt_fn(o), convt_fn(general), inputs, seed + 1);
}

}  // namespace

TEST_CASE("conv: each fast path equals the general im2col path (forward and every gradient)") {
  // Batch 3 runs images in parallel when there are 2-3 threads, batch 1 runs them serially.
  conv_paths_agree("pointwise", {3, 16, 12, 10}, {8, 16, 1, 1}, true, {}, ConvPath::pointwise, 1);
  conv_paths_agree("pointwise batch 1", {1, 7, 9, 5}, {5, 7, 1, 1}, false, {}, ConvPath::pointwise, 2);
  conv_paths_agree("patches 8x8, 34x33 (floors)", {2, 3, 34, 33}, {24, 3, 8, 8}, true,
                   {.stride_h = 8, .stride_w = 8}, ConvPath::patches, 3);
  conv_paths_agree("patches 4x4, 32x32", {1, 3, 32, 32}, {12, 3, 4, 4}, false, {.stride_h = 4, .stride_w = 4},
                   ConvPath::patches, 4);
  conv_paths_agree("3x3 padded stays general", {1, 2, 6, 6}, {3, 2, 3, 3}, false, {.padding_h = 1, .padding_w = 1},
                   ConvPath::general, 5);
  convt_paths_agree("transpose k2 s2", {2, 16, 8, 8}, {16, 12, 2, 2}, true, {.stride_h = 2, .stride_w = 2}, 6);
  convt_paths_agree("transpose k2 s2 output_padding", {1, 5, 5, 6}, {5, 4, 2, 2}, false,
                    {.stride_h = 2, .stride_w = 2, .output_padding_h = 1, .output_padding_w = 1}, 7);
  convt_paths_agree("transpose 1x1", {3, 8, 5, 5}, {8, 6, 1, 1}, true, {}, 8);
}

TEST_CASE("conv: a batch equals its images convolved one at a time") {
  // Batch 4 takes the image-parallel branch (with 2-4 threads), batch 1 the threaded-gemm branch.
  Rng rng(11);
  Tensor x = Tensor::randn({4, 3, 7, 6}, rng), w = Tensor::randn({5, 3, 3, 3}, rng), b = Tensor::randn({5}, rng);
  Conv2dOptions o{.stride_h = 2, .stride_w = 1, .padding_h = 1, .padding_w = 1};
  Tensor y = conv2d(x, w, b, o);
  for (int64_t n = 0; n < 4; ++n) {
    Tensor one = conv2d(x.narrow(0, n, 1), w, b, o);
    check_close(y.narrow(0, n, 1), one, {0, 0}, "image " + std::to_string(n));
  }
}

TEST_CASE("conv: inputs that need no gradient get none") {
  Rng rng(12);
  Tensor image = Tensor::randn({1, 3, 8, 8}, rng);  // a patch embedding's input: no gradient
  Tensor w = Tensor::randn({4, 3, 4, 4}, rng).set_requires_grad(true);
  conv2d(image, w, Tensor(), {.stride_h = 4, .stride_w = 4}).backward(Tensor::ones({1, 4, 2, 2}));
  CHECK(w.grad().defined());
  CHECK_FALSE(image.grad().defined());
}

TEST_CASE("conv: bad shapes name the op and the shapes") {
  Tensor none;
  CHECK_THROWS_WITH_AS(conv2d(Tensor::zeros({2, 3, 8, 8}), Tensor::zeros({4, 5, 3, 3}), none),
                       "conv2d: input (2,3,8,8) x weight (4,5,3,3): input has 3 channels, weight expects 5", Error);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::zeros({1, 1, 4, 4}), Tensor::zeros({1, 1, 7, 5}), none,
                              {.padding_h = 1, .padding_w = 1}),
                       "conv2d: input (1,1,4,4) x weight (1,1,7,5): kernel 7x5 is larger than the padded input 6x6",
                       Error);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::zeros({3, 8, 8}), Tensor::zeros({4, 3, 3, 3}), none),
                       "conv2d: input (3,8,8) x weight (4,3,3,3): expected input (N, C, H, W) and weight (O, C, kh, kw)",
                       Error);
  CHECK_THROWS_WITH_AS(conv2d(Tensor::zeros({1, 3, 8, 8}), Tensor::zeros({4, 3, 3, 3}), Tensor::zeros({3})),
                       "conv2d: bias (3) for weight (4,3,3,3): bias must be (4)", Error);
  CHECK_THROWS_WITH_AS(conv_transpose2d(Tensor::zeros({1, 4, 5, 5}), Tensor::zeros({3, 2, 2, 2}), none),
                       "conv_transpose2d: input (1,4,5,5) x weight (3,2,2,2): input has 4 channels, weight expects 3",
                       Error);
  CHECK_THROWS_WITH_AS(
      conv_transpose2d(Tensor::zeros({1, 3, 5, 5}), Tensor::zeros({3, 2, 2, 2}), none,
                       {.stride_h = 2, .stride_w = 2, .output_padding_h = 2}),
      "conv_transpose2d: input (1,3,5,5) x weight (3,2,2,2): output_padding (2,0) must be >= 0 and smaller than "
      "stride (2,2)",
      Error);
}

// The im2col columns and patch matrices come from the process BufferPool and hold the previous
// call's numbers: a call in between with other sizes must not change a result.
TEST_CASE("conv: reused scratch buffers do not leak between calls") {
  Rng rng(3);
  Tensor x = Tensor::randn({1, 16, 24, 24}, rng), w = Tensor::randn({16, 8, 2, 2}, rng);
  Tensor x3 = Tensor::randn({2, 5, 9, 9}, rng), w3 = Tensor::randn({6, 5, 3, 3}, rng);
  const ConvTranspose2dOptions up{.stride_h = 2, .stride_w = 2};
  const std::vector<float> first = conv_transpose2d(x, w, Tensor(), up).to_vector();
  const std::vector<float> first_conv = conv2d(x3, w3, Tensor()).to_vector();
  conv_transpose2d(Tensor::randn({1, 8, 40, 40}, rng), Tensor::randn({8, 4, 2, 2}, rng), Tensor(), up);
  conv2d(Tensor::randn({1, 7, 30, 30}, rng), Tensor::randn({3, 7, 3, 3}, rng), Tensor());
  CHECK(conv_transpose2d(x, w, Tensor(), up).to_vector() == first);
  CHECK(conv2d(x3, w3, Tensor()).to_vector() == first_conv);
}
