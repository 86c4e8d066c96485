// The packed SIMD GEMM against the reference triple loop: odd shapes around the register-tile
// widths, every transpose combination, alpha/beta forms (beta = 0 over NaN), padded leading
// dimensions, default and shrunk cache blocks, 1 and 2 threads, and each instruction-set path.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/random.h"
#include "core/tensor.h"
#include "ops/kernels/gemm.h"

using namespace fc;

namespace {

struct Case {
  int64_t m, n, k;
  bool trans_a, trans_b;
  float alpha, beta;
};

std::vector<float> random_values(size_t count, Rng& rng) {
  Tensor t = Tensor::randn({static_cast<int64_t>(count)}, rng);
  return t.to_vector();
}

std::vector<GemmIsa> isas_to_test() {
  std::vector<GemmIsa> isas{GemmIsa::avx2, GemmIsa::avx2_wide_tile};
  if (gemm_default_isa() == GemmIsa::avx512) isas.push_back(GemmIsa::avx512);
  return isas;
}

// Runs one shape through every path and compares each with the reference. The error bound is
// the forward error of a k-term float dot product, (k + 4) * 2^-23 * sum |alpha a b| + |beta c|,
// computed by running the reference on absolute values.
void check_case(const Case& cs, Rng& rng) {
  const int64_t a_rows = cs.trans_a ? cs.k : cs.m, a_cols = cs.trans_a ? cs.m : cs.k;
  const int64_t b_rows = cs.trans_b ? cs.n : cs.k, b_cols = cs.trans_b ? cs.k : cs.n;
  const int64_t lda = a_cols + 3, ldb = b_cols + 1, ldc = cs.n + 5;  // padded rows
  std::vector<float> a = random_values(a_rows * lda, rng), b = random_values(b_rows * ldb, rng);
  std::vector<float> c0 = random_values(cs.m * ldc, rng);
  if (cs.beta == 0.f)  // beta = 0 must not read C: NaN would poison any result that did
    for (int64_t i = 0; i < cs.m; ++i)
      for (int64_t j = 0; j < cs.n; ++j) c0[i * ldc + j] = std::numeric_limits<float>::quiet_NaN();

  std::vector<float> expected = c0, bound = c0;
  gemm_reference(cs.trans_a, cs.trans_b, cs.m, cs.n, cs.k, cs.alpha, a.data(), lda, b.data(), ldb, cs.beta,
                 expected.data(), ldc);
  {
    std::vector<float> abs_a = a, abs_b = b;
    for (float& v : abs_a) v = std::fabs(v);
    for (float& v : abs_b) v = std::fabs(v);
    for (float& v : bound) v = cs.beta == 0.f ? 0.f : std::fabs(v);
    gemm_reference(cs.trans_a, cs.trans_b, cs.m, cs.n, cs.k, std::fabs(cs.alpha), abs_a.data(), lda, abs_b.data(), ldb,
                   std::fabs(cs.beta), bound.data(), ldc);
  }
  const double unit = (cs.k + 4) * std::ldexp(1.0, -23);

  for (GemmIsa isa : isas_to_test()) {
    for (bool shrunk : {false, true}) {
      for (int threads : {1, 2}) {
        GemmConfig config{.trans_a = cs.trans_a, .trans_b = cs.trans_b, .threads = threads, .isa = isa};
        if (shrunk) {  // blocks smaller than the matrices: every block edge and k-block carry is hit
          config.block_m = 9;
          config.block_n = 20;
          config.block_k = 7;
        }
        std::vector<float> c = c0;
        gemm(config, cs.m, cs.n, cs.k, cs.alpha, a.data(), lda, b.data(), ldb, cs.beta, c.data(), ldc);
        int64_t bad = -1;
        double worst = 0;
        for (int64_t i = 0; i < cs.m && bad < 0; ++i) {
          for (int64_t j = 0; j < ldc; ++j) {
            const int64_t at = i * ldc + j;
            if (j >= cs.n) {  // padding past n must be untouched
              if (std::memcmp(&c[at], &c0[at], sizeof(float)) != 0) bad = at;
              continue;
            }
            const double err = std::fabs(static_cast<double>(c[at]) - expected[at]);
            worst = std::max(worst, err);
            if (!(err <= unit * bound[at] + 1e-30)) {
              bad = at;
              break;
            }
          }
        }
        CHECK_MESSAGE(bad < 0, gemm_isa_name(isa) << " m=" << cs.m << " n=" << cs.n << " k=" << cs.k << " trans_a="
                                                   << cs.trans_a << " trans_b=" << cs.trans_b << " alpha=" << cs.alpha
                                                   << " beta=" << cs.beta << (shrunk ? " shrunk blocks" : "")
                                                   << " threads=" << threads << ": at " << bad << " got "
                                                   << (bad >= 0 ? c[bad] : 0.f) << " want "
                                                   << (bad >= 0 ? expected[bad] : 0.f));
      }
    }
  }
}

}  // namespace

TEST_CASE("gemm: SIMD paths match the reference on odd shapes, transposes, alpha/beta, blocks, threads") {
  Rng rng(7);
  const std::vector<int64_t> sizes{1, 15, 16, 17, 31, 33, 47, 49, 63, 64, 65};  // 16k +- 1 around tiles
  const std::vector<std::pair<float, float>> scalars{{1.f, 0.f}, {0.5f, -1.5f}, {-2.f, 1.f}};
  int index = 0;
  for (int64_t m : {1, 7, 15, 17, 65}) {
    for (size_t ni = 0; ni < sizes.size(); ++ni) {
      // Two depths per (m, n), rotating through the list so every size appears as k too.
      for (size_t kk : {ni * 5 + m, ni * 3 + 2 * m + 1}) {
        const int64_t k = sizes[kk % sizes.size()];
        const bool ta = (index & 1) != 0, tb = (index & 2) != 0;
        auto [alpha, beta] = scalars[index % scalars.size()];
        check_case({m, sizes[ni], k, ta, tb, alpha, beta}, rng);
        ++index;
      }
    }
  }
  // Every transpose combination with every alpha/beta form on one odd shape.
  for (int t = 0; t < 4; ++t)
    for (auto [alpha, beta] : scalars) check_case({17, 33, 49, (t & 1) != 0, (t & 2) != 0, alpha, beta}, rng);
}

TEST_CASE("gemm: a tall matrix crosses the default row blocks and splits across threads") {
  // M = 1025 spans several default A blocks (mc = 144 / 448) plus an edge tile; ASan runs a
  // smaller M that still crosses one block.
  const int64_t m = std::getenv("FC_TEST_SMALL") ? 161 : 1025;
  Rng rng(11);
  check_case({m, 65, 63, false, true, 1.f, 0.f}, rng);
  check_case({m, 17, 65, true, false, 0.5f, -1.5f}, rng);
}

TEST_CASE("gemm: k = 0 scales C by beta, and empty shapes do nothing") {
  std::vector<float> c{1, 2, 3, 4};
  gemm({}, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 2.f, c.data(), 2);
  CHECK(c == std::vector<float>{2, 4, 6, 8});
  c.assign(4, std::numeric_limits<float>::quiet_NaN());
  gemm({}, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 0.f, c.data(), 2);
  CHECK(c == std::vector<float>{0, 0, 0, 0});
  gemm({}, 0, 2, 3, 1.f, nullptr, 3, nullptr, 2, 0.f, nullptr, 2);
}

TEST_CASE("gemm: the avx512 path is refused on a CPU without AVX-512") {
  if (gemm_default_isa() == GemmIsa::avx512) {
    MESSAGE("this CPU has AVX-512: the avx512 path is tested above");
    return;
  }
  MESSAGE("this CPU has no AVX-512: the avx512 micro-kernel is compiled but not run here");
  float a = 1, b = 1, c = 0;
  CHECK_THROWS_WITH_AS(gemm({.isa = GemmIsa::avx512}, 1, 1, 1, 1.f, &a, 1, &b, 1, 0.f, &c, 1),
                       "gemm: the avx512 path was requested on a CPU without AVX-512", Error);
}

TEST_CASE("gemm: the thread split does not change a single bit (grids, prepacked row chunks)") {
  // Every element sums the same k blocks in the same order whichever thread computes it, so
  // results are bit-identical for any thread count: training runs reproduce across machines.
  const int64_t m = std::getenv("FC_TEST_SMALL") ? 161 : 400, n = 77, k = 300;
  Rng rng(5);
  std::vector<float> a = random_values(m * k, rng), b = random_values(n * k, rng);
  for (bool trans_a : {false, true}) {
    std::vector<float> one(m * n), two(m * n);
    gemm({.trans_a = trans_a, .trans_b = true, .threads = 1}, m, n, k, 1.f, a.data(), trans_a ? m : k, b.data(), k, 0.f,
         one.data(), n);
    gemm({.trans_a = trans_a, .trans_b = true, .threads = 2}, m, n, k, 1.f, a.data(), trans_a ? m : k, b.data(), k, 0.f,
         two.data(), n);
    CHECK_MESSAGE(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0, "trans_a=" << trans_a);
  }
  const PackedB packed = gemm_pack_b(true, k, n, b.data(), k);
  std::vector<float> one(m * n), two(m * n);
  gemm_prepacked_b({.threads = 1}, m, 1.f, a.data(), k, packed, 0.f, one.data(), n);
  gemm_prepacked_b({.threads = 2}, m, 1.f, a.data(), k, packed, 0.f, two.data(), n);
  CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
}
