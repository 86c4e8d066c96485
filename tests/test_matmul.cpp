// matmul and linear against PyTorch (fixtures from tests/reference/op_fixtures_matmul.py), plus
// the layouts the fixtures cannot show: no copies of transposed operands, batch paths, errors.
#include <doctest/doctest.h>

#include "core/error.h"
#include "core/random.h"
#include "ops/matmul.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

namespace {
Tensor mm(const Inputs& x) { return matmul(x[0], x[1]); }
}  // namespace

// Default tolerances: K <= 33 float products accumulated in float stay within 1e-5 + 1e-4 rel.
FC_OP_CASE(matmul_2d, {.op = "matmul", .group = "matmul", .name = "matmul_2d", .fn = mm});
FC_OP_CASE(matmul_2d_odd, {.op = "matmul", .group = "matmul", .name = "matmul_2d_odd", .fn = mm});
FC_OP_CASE(matmul_nd_2d, {.op = "matmul", .group = "matmul", .name = "matmul_nd_2d", .fn = mm});
FC_OP_CASE(matmul_batched_broadcast, {.op = "matmul", .group = "matmul", .name = "matmul_batched_broadcast", .fn = mm});
FC_OP_CASE(matmul_batched_same, {.op = "matmul", .group = "matmul", .name = "matmul_batched_same", .fn = mm});
FC_OP_CASE(matmul_transposed_b, {.op = "matmul", .group = "matmul", .name = "matmul_transposed_b",
                                 .fn = [](const Inputs& x) { return matmul(x[0], x[1].transpose(0, 1)); }});
FC_OP_CASE(matmul_transposed_batched, {.op = "matmul", .group = "matmul", .name = "matmul_transposed_batched",
                                       .fn = [](const Inputs& x) { return matmul(x[0], x[1].transpose(-2, -1)); }});
FC_OP_CASE(matmul_transposed_a_nd_2d, {.op = "matmul", .group = "matmul", .name = "matmul_transposed_a_nd_2d",
                                       .fn = [](const Inputs& x) { return matmul(x[0].transpose(-2, -1), x[1]); }});
FC_OP_CASE(matmul_vector_matrix, {.op = "matmul", .group = "matmul", .name = "matmul_vector_matrix", .fn = mm});
FC_OP_CASE(matmul_matrix_vector, {.op = "matmul", .group = "matmul", .name = "matmul_matrix_vector", .fn = mm});
FC_OP_CASE(matmul_dot, {.op = "matmul", .group = "matmul", .name = "matmul_dot", .fn = mm});
FC_OP_CASE(linear_bias, {.op = "linear", .group = "matmul", .name = "linear_bias",
                         .fn = [](const Inputs& x) { return linear(x[0], x[1], x[2]); }});
FC_OP_CASE(linear_no_bias, {.op = "linear", .group = "matmul", .name = "linear_no_bias",
                            .fn = [](const Inputs& x) { return linear(x[0], x[1]); }});
FC_OP_CASE(linear_odd, {.op = "linear", .group = "matmul", .name = "linear_odd",
                        .fn = [](const Inputs& x) { return linear(x[0], x[1], x[2]); }});
FC_OP_CASE(linear_vector, {.op = "linear", .group = "matmul", .name = "linear_vector",
                           .fn = [](const Inputs& x) { return linear(x[0], x[1], x[2]); }});

namespace {

// The naive product of contiguous copies, for checking the batch paths on larger shapes.
Tensor naive_matmul(const Tensor& a, const Tensor& b) {
  // a (B, M, K), b (B, K, N) with equal batch, or b (K, N)
  Tensor ac = a.contiguous(), bc = b.contiguous();
  const int64_t batch = a.size(0), m = a.size(1), k = a.size(2), n = b.size(-1);
  Tensor out = Tensor::zeros({batch, m, n});
  std::vector<float> av = ac.to_vector(), bv = bc.to_vector();
  float* o = out.mutable_data();
  for (int64_t z = 0; z < batch; ++z)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += static_cast<double>(av[(z * m + i) * k + p]) * bv[(b.ndim() == 2 ? 0 : z * k * n) + p * n + j];
        o[(z * m + i) * n + j] = static_cast<float>(s);
      }
  return out;
}

}  // namespace

TEST_CASE("matmul: batch paths (folded rows, per-slice, broadcast) agree with a naive product") {
  Rng rng(3);
  // Big enough for the threaded kernel and several register tiles; K = 70 bounds float error.
  Tensor a = Tensor::randn({3, 37, 70}, rng), b = Tensor::randn({70, 41}, rng), bb = Tensor::randn({3, 70, 41}, rng);
  check_close(matmul(a, b), naive_matmul(a, b), {1e-4, 1e-4}, "folded (3,37,70) x (70,41)");
  check_close(matmul(a, bb), naive_matmul(a, bb), {1e-4, 1e-4}, "batched (3,37,70) x (3,70,41)");
  Tensor at = Tensor::randn({3, 70, 37}, rng).transpose(1, 2);  // a transposed view: per-slice path
  check_close(matmul(at, b), naive_matmul(at, b), {1e-4, 1e-4}, "transposed view x 2-D");
  Tensor b_expanded = b.unsqueeze(0).expand({3, 70, 41});  // stride-0 batch, read in place
  check_close(matmul(a, b_expanded), naive_matmul(a, b), {1e-4, 1e-4}, "expanded batch operand");
  Tensor strided = Tensor::randn({37, 140}, rng).narrow(1, 0, 70);  // row stride 140: read in place
  check_close(matmul(strided, b), naive_matmul(strided.unsqueeze(0), b).squeeze(0), {1e-4, 1e-4}, "strided rows");
}

TEST_CASE("matmul: weight gradients of broadcast operands sum over the batch") {
  Rng rng(5);
  Tensor a = Tensor::randn({4, 5, 6}, rng).set_requires_grad(true);
  Tensor w = Tensor::randn({6, 3}, rng).set_requires_grad(true);
  Tensor w_t = Tensor::randn({3, 6}, rng).set_requires_grad(true);
  matmul(a, w).backward(Tensor::ones({4, 5, 3}));
  matmul(a, w_t.transpose(0, 1)).backward(Tensor::ones({4, 5, 3}));
  // d/dw sum(a @ w) = sum over batch and rows of a, for every output column.
  std::vector<float> av = a.to_vector(), gw = w.grad().to_vector(), gwt = w_t.grad().to_vector();
  for (int64_t p = 0; p < 6; ++p) {
    double col = 0;
    for (int64_t r = 0; r < 20; ++r) col += av[r * 6 + p];
    for (int64_t j = 0; j < 3; ++j) {
      CHECK(gw[p * 3 + j] == doctest::Approx(col).epsilon(1e-5));
      CHECK(gwt[j * 6 + p] == doctest::Approx(col).epsilon(1e-5));
    }
  }
}

TEST_CASE("matmul and linear: bad shapes name the op and both shapes") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 5});
  CHECK_THROWS_WITH_AS(matmul(a, b), "matmul: (2,3) x (4,5): inner dimensions differ (3 vs 4)", Error);
  CHECK_THROWS_WITH_AS(matmul(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 3, 4})),
                       "matmul: (2,2,3) x (3,3,4): batch dimensions (2) and (3) do not broadcast", Error);
  CHECK_THROWS_WITH_AS(matmul(Tensor::scalar(1.f), b),
                       "matmul: () x (4,5): both arguments need at least 1 dimension", Error);
  CHECK_THROWS_WITH_AS(linear(Tensor::zeros({2, 3}), Tensor::zeros({4, 5})),
                       "linear: input (2,3) x weight (4,5): in_features differ (3 vs 5)", Error);
  CHECK_THROWS_WITH_AS(linear(Tensor::zeros({2, 5}), Tensor::zeros({4, 5}), Tensor::zeros({3})),
                       "linear: bias (3) does not match weight (4,5) (want (4))", Error);
  CHECK_THROWS_WITH_AS(linear(Tensor::zeros({2, 5}), Tensor::zeros({5})),
                       "linear: weight (5) must be 2-D (out_features, in_features)", Error);
}
