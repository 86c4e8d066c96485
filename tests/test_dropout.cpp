// dropout and drop_path draw from fc::Rng, so they cannot match PyTorch's masks; these tests
// check what defines them instead: determinism per seed, the keep rate, the 1 / (1 - p) scale,
// a backward that applies the same mask, and identity outside training.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>

#include "core/error.h"
#include "core/random.h"
#include "ops/dropout.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

static int dropout_reg = register_dedicated_test("dropout");
static int drop_path_reg = register_dedicated_test("drop_path");

namespace {

int64_t large_count() { return std::getenv("FC_TEST_SMALL") ? 20000 : 200000; }

// The kept fraction of n Bernoulli(1 - p) draws lies within 5 standard deviations of 1 - p
// (a false failure has probability below 1e-6).
void check_keep_fraction(int64_t kept, int64_t n, float p) {
  const double fraction = static_cast<double>(kept) / n;
  const double sigma = std::sqrt(p * (1.0 - p) / n);
  CHECK_MESSAGE(std::fabs(fraction - (1.0 - p)) < 5 * sigma, "kept " << fraction << " of " << n << ", expected "
                                                                      << 1.0 - p << " +- " << 5 * sigma);
}

}  // namespace

TEST_CASE("dropout: same seed gives the same mask, another seed another") {
  Rng data(1);
  Tensor x = Tensor::randn({64, 33}, data);
  Rng a(7), b(7), c(8);
  Tensor ya = dropout(x, 0.3f, true, a), yb = dropout(x, 0.3f, true, b), yc = dropout(x, 0.3f, true, c);
  CHECK(ya.to_vector() == yb.to_vector());
  CHECK(ya.to_vector() != yc.to_vector());
  CHECK(a.state() == b.state());
}

TEST_CASE("dropout: keeps 1 - p of the elements, each scaled by 1 / (1 - p)") {
  for (float p : {0.1f, 0.5f, 0.9f}) {
    CAPTURE(p);
    Rng rng(3);
    Tensor x = Tensor::full({large_count()}, 2.f);
    std::vector<float> y = dropout(x, p, true, rng).to_vector();
    const float kept_value = 2.f * (1.f / (1.f - p));
    int64_t kept = 0, other = 0;
    for (float v : y) {
      if (v == kept_value) ++kept;
      else if (v != 0.f) ++other;
    }
    CHECK(other == 0);
    check_keep_fraction(kept, x.numel(), p);
  }
}

TEST_CASE("dropout: backward applies the forward's mask and scale") {
  Rng data(2);
  Tensor x = Tensor::randn({5, 7}, data).set_requires_grad(true);
  Tensor g = Tensor::randn({5, 7}, data);
  Rng rng(4);
  const float p = 0.4f, scale = 1.f / (1.f - p);
  Tensor y = dropout(x, p, true, rng);
  y.backward(g);
  std::vector<float> xv = x.to_vector(), yv = y.to_vector(), gv = g.to_vector(), grad = x.grad().to_vector();
  for (size_t i = 0; i < yv.size(); ++i) {
    const bool kept = yv[i] != 0.f;  // x is never exactly 0 here
    CHECK(yv[i] == (kept ? xv[i] * scale : 0.f));
    CHECK(grad[i] == (kept ? gv[i] * scale : 0.f));
  }
  // Finite differences: every evaluation reseeds, so it sees the same mask.
  gradcheck("dropout", [](const Inputs& in) { Rng r(4); return dropout(in[0], 0.4f, true, r); }, {x.detach()},
            {true});
}

TEST_CASE("dropout: identity in eval and at p = 0, zeros at p = 1") {
  Rng data(5);
  Tensor x = Tensor::randn({4, 3}, data).set_requires_grad(true);
  Rng rng(9);
  const Rng::State before = rng.state();
  Tensor eval = dropout(x, 0.5f, false, rng);
  CHECK(eval.shares_storage_with(x));
  CHECK(eval.to_vector() == x.to_vector());
  CHECK(dropout(x, 0.f, true, rng).to_vector() == x.to_vector());
  CHECK(rng.state() == before);  // no draws when nothing is dropped
  Tensor all = dropout(x, 1.f, true, rng);
  CHECK(all.to_vector() == std::vector<float>(12, 0.f));
  all.backward(Tensor::ones({4, 3}));
  CHECK(x.grad().to_vector() == std::vector<float>(12, 0.f));
  CHECK_THROWS_WITH_AS(dropout(x, 1.5f, true, rng), "dropout: drop probability 1.5 outside [0, 1] (input (4,3))",
                       Error);
}

TEST_CASE("drop_path: drops whole slices along dim 0 with the keep rate, scaled by 1 / (1 - p)") {
  const float p = 0.25f, scale = 1.f / (1.f - p);
  const int64_t slices = large_count() / 20;
  Rng data(6), rng(10);
  Tensor x = Tensor::rand({slices, 2, 3}, data, 1.f, 2.f);  // never 0, so a zero means dropped
  std::vector<float> xv = x.to_vector(), y = drop_path(x, p, true, rng).to_vector();
  int64_t kept = 0;
  for (int64_t s = 0; s < slices; ++s) {
    const bool slice_kept = y[s * 6] != 0.f;
    kept += slice_kept;
    for (int64_t i = s * 6; i < s * 6 + 6; ++i) REQUIRE(y[i] == (slice_kept ? xv[i] * scale : 0.f));
  }
  check_keep_fraction(kept, slices, p);
}

TEST_CASE("drop_path: deterministic per seed, mask-consistent backward, identity in eval") {
  Rng data(7);
  Tensor x = Tensor::randn({6, 2, 4}, data).set_requires_grad(true);
  Rng a(11), b(11);
  Tensor ya = drop_path(x, 0.5f, true, a);
  CHECK(ya.to_vector() == drop_path(x, 0.5f, true, b).to_vector());
  Tensor g = Tensor::randn({6, 2, 4}, data);
  ya.backward(g);
  std::vector<float> yv = ya.to_vector(), gv = g.to_vector(), grad = x.grad().to_vector();
  for (size_t i = 0; i < yv.size(); ++i) CHECK(grad[i] == (yv[i] != 0.f ? gv[i] * 2.f : 0.f));
  gradcheck("drop_path", [](const Inputs& in) { Rng r(11); return drop_path(in[0], 0.5f, true, r); },
            {x.detach()}, {true});

  Rng rng(12);
  CHECK(drop_path(x, 0.5f, false, rng).shares_storage_with(x));
  CHECK(drop_path(x, 0.f, true, rng).to_vector() == x.to_vector());
  CHECK(drop_path(x, 1.f, true, rng).to_vector() == std::vector<float>(48, 0.f));
  CHECK_THROWS_WITH_AS(drop_path(Tensor::scalar(1.f), 0.5f, true, rng),
                       "drop_path: input () has no dim 0 to drop along", Error);
}
