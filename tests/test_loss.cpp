#include <doctest/doctest.h>

#include <cmath>

#include "core/error.h"
#include "ops/loss.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

#define LOSS_CASE(ident, op_name, ...) \
  FC_OP_CASE(ident, {.op = op_name, .group = "loss", .name = #ident, .fn = [](const Inputs& x) { return __VA_ARGS__; }})

LOSS_CASE(ce_mean, "cross_entropy", cross_entropy(x[0], x[1]));
LOSS_CASE(ce_ignore, "cross_entropy", cross_entropy(x[0], x[1]));
LOSS_CASE(ce_sum, "cross_entropy", cross_entropy(x[0], x[1], -100, Reduction::sum));
LOSS_CASE(ce_none_ignore, "cross_entropy", cross_entropy(x[0], x[1], 2, Reduction::none));
LOSS_CASE(ce_large_logits, "cross_entropy", cross_entropy(x[0], x[1]));
LOSS_CASE(ce_pixel_nchw, "cross_entropy", cross_entropy(x[0], x[1], 255));
LOSS_CASE(ce_pixel_ncl_none, "cross_entropy", cross_entropy(x[0], x[1], -100, Reduction::none));
// Every target ignored: NaN forward (0/0, as PyTorch) and zero gradient; finite differences of
// NaN are meaningless, so only the PyTorch comparison runs.
FC_OP_CASE(ce_all_ignored, {.op = "cross_entropy", .group = "loss", .name = "ce_all_ignored",
                            .fn = [](const Inputs& x) { return cross_entropy(x[0], x[1]); }, .run_gradcheck = false});

LOSS_CASE(bce_mean_soft, "binary_cross_entropy_with_logits", binary_cross_entropy_with_logits(x[0], x[1]));
LOSS_CASE(bce_weight_sum, "binary_cross_entropy_with_logits",
          binary_cross_entropy_with_logits(x[0], x[1], x[2], Reduction::sum));
LOSS_CASE(bce_weight_none, "binary_cross_entropy_with_logits",
          binary_cross_entropy_with_logits(x[0], x[1], x[2], Reduction::none));
LOSS_CASE(bce_large_logits, "binary_cross_entropy_with_logits", binary_cross_entropy_with_logits(x[0], x[1]));

LOSS_CASE(kl_div_none, "kl_div", kl_div(x[0], x[1], Reduction::none));
LOSS_CASE(kl_div_sum, "kl_div", kl_div(x[0], x[1], Reduction::sum));
LOSS_CASE(kl_div_mean, "kl_div", kl_div(x[0], x[1], Reduction::mean));
LOSS_CASE(kl_div_batchmean, "kl_div", kl_div(x[0], x[1], Reduction::batchmean));

LOSS_CASE(l1_none, "l1_loss", l1_loss(x[0], x[1], Reduction::none));
LOSS_CASE(l1_mean, "l1_loss", l1_loss(x[0], x[1]));
LOSS_CASE(l1_sum, "l1_loss", l1_loss(x[0], x[1], Reduction::sum));
LOSS_CASE(mse_none, "mse_loss", mse_loss(x[0], x[1], Reduction::none));
LOSS_CASE(mse_mean, "mse_loss", mse_loss(x[0], x[1]));
LOSS_CASE(mse_sum, "mse_loss", mse_loss(x[0], x[1], Reduction::sum));

TEST_CASE("loss: mean and sum reductions return 0-dim tensors") {
  Tensor x = Tensor::zeros({2, 3});
  CHECK(cross_entropy(x, Tensor::zeros({2})).ndim() == 0);
  CHECK(mse_loss(x, x, Reduction::sum).ndim() == 0);
  CHECK(kl_div(x, Tensor::ones({2, 3}), Reduction::batchmean).ndim() == 0);
  CHECK(l1_loss(x, x, Reduction::none).shape() == Shape{2, 3});
}

TEST_CASE("loss: l1 gradient is 0 where input equals target (torch.sign)") {
  Tensor x = Tensor::from_vector({1, 2, 3}, {3}).set_requires_grad(true);
  Tensor t = Tensor::from_vector({1, 0, 5}, {3});
  l1_loss(x, t, Reduction::sum).backward();
  CHECK(x.grad().to_vector() == std::vector<float>{0, 1, -1});
}

TEST_CASE("loss: binary cross entropy stays finite for huge logits") {
  Tensor x = Tensor::from_vector({1000, -1000}, {2});
  Tensor t = Tensor::from_vector({0, 1}, {2});
  CHECK(binary_cross_entropy_with_logits(x, t, {}, Reduction::sum).item() == doctest::Approx(2000));
  CHECK(std::isfinite(cross_entropy(Tensor::from_vector({1e30f, -1e30f}, {1, 2}), Tensor::zeros({1})).item()));
}

TEST_CASE("loss: bad labels and shapes name the op and the shapes") {
  Tensor logits = Tensor::zeros({3, 4});
  CHECK_THROWS_WITH_AS(cross_entropy(logits, Tensor::from_vector({0, 4, 1}, {3})),
                       "cross_entropy: logits (3,4), target (3): value 4 at flat position 1 is out of range [0, 4)",
                       Error);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, Tensor::from_vector({0, 1.5f, 1}, {3})),
                       "cross_entropy: logits (3,4), target (3): value 1.5 at flat position 1 is not an integer "
                       "(indices and labels are float32 tensors holding integral values)",
                       Error);
  CHECK_THROWS_WITH_AS(cross_entropy(Tensor::zeros({2, 3, 4, 5}), Tensor::zeros({2, 4})),
                       "cross_entropy: logits (2,3,4,5), target (2,4): target must be (2,4,5)", Error);
  CHECK_THROWS_WITH_AS(mse_loss(logits, Tensor::zeros({4, 3})),
                       "mse_loss: input (3,4) and target (4,3) must have the same shape", Error);
  CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits(logits, logits, Tensor::zeros({2})),
                       "binary_cross_entropy_with_logits: shapes (2) and (3,4) do not broadcast", Error);
  CHECK_THROWS_WITH_AS(l1_loss(logits, logits, Reduction::batchmean),
                       "l1_loss: reduction batchmean is only defined for kl_div", Error);
}
