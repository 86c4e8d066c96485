#include <doctest/doctest.h>

#include "core/autograd.h"
#include "core/error.h"
#include "core/random.h"
#include "ops/norm.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"

using namespace fc;
using namespace fc::test;

namespace {

Tensor ln(const Inputs& x) { return layer_norm(x[0], x[1], x[2], 1e-5f); }
Tensor lnc(const Inputs& x) { return layer_norm_channels(x[0], x[1], x[2], 1e-6f); }
// Running statistics are cloned per call (as the fixture script does) so repeated calls of the
// finite-difference check all start from the same ones.
Tensor bn(const Inputs& x, bool training) {
  return batch_norm(x[0], x[1], x[2], x[3].clone(), x[4].clone(), training, 0.1f, 1e-5f);
}

}  // namespace

FC_OP_CASE(ln_basic, {.op = "layer_norm", .group = "norm", .name = "ln_basic", .fn = ln});
FC_OP_CASE(ln_offset, {.op = "layer_norm", .group = "norm", .name = "ln_offset", .fn = ln});
FC_OP_CASE(ln_no_affine, {.op = "layer_norm", .group = "norm", .name = "ln_no_affine",
                          .fn = [](const Inputs& x) { return layer_norm(x[0], Tensor(), Tensor(), 1e-5f); }});
FC_OP_CASE(ln_weight_only, {.op = "layer_norm", .group = "norm", .name = "ln_weight_only",
                            .fn = [](const Inputs& x) { return layer_norm(x[0], x[1], Tensor(), 1e-5f); }});
FC_OP_CASE(ln_wide, {.op = "layer_norm", .group = "norm", .name = "ln_wide", .fn = ln});
FC_OP_CASE(ln_1d, {.op = "layer_norm", .group = "norm", .name = "ln_1d", .fn = ln});

FC_OP_CASE(lnc_basic, {.op = "layer_norm_channels", .group = "norm", .name = "lnc_basic", .fn = lnc});
FC_OP_CASE(lnc_one_pixel, {.op = "layer_norm_channels", .group = "norm", .name = "lnc_one_pixel", .fn = lnc});
FC_OP_CASE(lnc_no_affine, {.op = "layer_norm_channels", .group = "norm", .name = "lnc_no_affine",
                           .fn = [](const Inputs& x) { return layer_norm_channels(x[0], Tensor(), Tensor(), 1e-6f); }});

FC_OP_CASE(bn_train, {.op = "batch_norm", .group = "norm", .name = "bn_train",
                      .fn = [](const Inputs& x) { return bn(x, true); }});
FC_OP_CASE(bn_train_2d, {.op = "batch_norm", .group = "norm", .name = "bn_train_2d",
                         .fn = [](const Inputs& x) { return bn(x, true); }});
FC_OP_CASE(bn_train_3d_no_affine,
           {.op = "batch_norm", .group = "norm", .name = "bn_train_3d_no_affine", .fn = [](const Inputs& x) {
              return batch_norm(x[0], Tensor(), Tensor(), x[1].clone(), x[2].clone(), true, 0.1f, 1e-5f);
            }});
FC_OP_CASE(bn_eval, {.op = "batch_norm", .group = "norm", .name = "bn_eval",
                     .fn = [](const Inputs& x) { return bn(x, false); }});
FC_OP_CASE(bn_eval_2d, {.op = "batch_norm", .group = "norm", .name = "bn_eval_2d",
                        .fn = [](const Inputs& x) { return bn(x, false); }});

TEST_CASE("batch_norm: training updates the running statistics in place like PyTorch") {
  const Fixture& fx = load_fixture("norm");
  for (const char* name : {"bn_train", "bn_train_2d", "bn_train_3d_no_affine"}) {
    CAPTURE(name);
    const std::string n = name;
    const bool affine = n != "bn_train_3d_no_affine";
    Tensor x = fx.get(n + "/in0");
    Tensor running_mean = fx.get(n + (affine ? "/in3" : "/in1"));
    Tensor running_var = fx.get(n + (affine ? "/in4" : "/in2"));
    Tensor weight = affine ? fx.get(n + "/in1") : Tensor();
    Tensor bias = affine ? fx.get(n + "/in2") : Tensor();
    x.set_requires_grad(true);
    Tensor y = batch_norm(x, weight, bias, running_mean, running_var, true, 0.1f, 1e-5f);
    check_close(y, fx.get(n + "/out"), {1e-5, 1e-4}, n + " forward");
    check_close(running_mean, fx.get(n + "/running_mean_after"), {1e-6, 1e-5}, n + " running_mean");
    check_close(running_var, fx.get(n + "/running_var_after"), {1e-6, 1e-5}, n + " running_var");
    CHECK_FALSE(running_mean.requires_grad());
    CHECK_FALSE(running_var.requires_grad());
  }
}

TEST_CASE("batch_norm: running statistics may be strided views, and eval leaves them alone") {
  Tensor stats = Tensor::from_vector({0, 10, 1, 20, 2, 30}, {3, 2});  // column 0 mean, column 1 var
  Tensor running_mean = stats.select(1, 0), running_var = stats.select(1, 1);
  Tensor x = Tensor::from_vector({1, 2, 3, 3, 4, 5}, {2, 3});  // batch mean 2, 3, 4; unbiased var 2
  batch_norm(x, Tensor(), Tensor(), running_mean, running_var, false, 0.5f, 1e-5f);
  CHECK(stats.to_vector() == std::vector<float>{0, 10, 1, 20, 2, 30});
  batch_norm(x, Tensor(), Tensor(), running_mean, running_var, true, 0.5f, 1e-5f);
  CHECK(stats.to_vector() == std::vector<float>{1, 6, 2, 11, 3, 16});
}

TEST_CASE("layer_norm_channels equals layer_norm over a channels-last view") {
  Rng rng(3);
  Tensor x = Tensor::randn({2, 5, 3, 4}, rng), w = Tensor::randn({5}, rng), b = Tensor::randn({5}, rng);
  Tensor expected = layer_norm(x.permute({0, 2, 3, 1}), w, b, 1e-6f).permute({0, 3, 1, 2});
  check_close(layer_norm_channels(x, w, b, 1e-6f), expected, {1e-6, 1e-5}, "layer_norm_channels vs permuted layer_norm");
}

TEST_CASE("norm: bad shapes name the op and the shapes") {
  Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(layer_norm(x, Tensor::ones({4}), Tensor(), 1e-5f),
                       "layer_norm: x (2,3), weight (4): weight must be (3)", Error);
  CHECK_THROWS_WITH_AS(layer_norm_channels(x, Tensor(), Tensor(), 1e-6f),
                       "layer_norm_channels: x (2,3): expected (N, C, H, W)", Error);
  CHECK_THROWS_WITH_AS(layer_norm_channels(Tensor::zeros({1, 3, 2, 2}), Tensor(), Tensor::ones({2}), 1e-6f),
                       "layer_norm_channels: x (1,3,2,2), bias (2): bias must be (3)", Error);
  CHECK_THROWS_WITH_AS(batch_norm(Tensor::zeros({1, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1f, 1e-5f),
                       "batch_norm: x (1,3): expected more than 1 value per channel when training", Error);
  CHECK_THROWS_WITH_AS(batch_norm(Tensor::zeros({4}), Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1f, 1e-5f),
                       "batch_norm: x (4): expected (N, C) or (N, C, ...)", Error);
  CHECK_THROWS_WITH_AS(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), false, 0.1f, 1e-5f),
                       "batch_norm: x (2,3): eval mode needs running_mean and running_var", Error);
  CHECK_THROWS_WITH_AS(batch_norm(x, Tensor(), Tensor(), Tensor::zeros({2}), Tensor::ones({2}), false, 0.1f, 1e-5f),
                       "batch_norm: x (2,3), running_mean (2): running_mean must be (3)", Error);
}
