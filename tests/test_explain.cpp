// faceptor/explain.h and its drawing (faceptor/viz/): the Layer-Attention profile against hand
// sums over hand-made and tiny-model attention, the PCA against Eigen's SVD, the bitmap font's
// pixels, and the figure builders' sizes and errors.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <numeric>

#include "core/autograd.h"
#include "core/error.h"
#include "core/random.h"
#include "faceptor/convert.h"
#include "faceptor/explain.h"
#include "faceptor/viz/bitmap_font.h"
#include "faceptor/viz/explain_figures.h"
#include "faceptor/viz/figures.h"
#include "tests/support/check.h"
#include "tests/support/fixture.h"
#include "tests/support/tiny_model.h"

using namespace fc;
using namespace fc::faceptor;
using namespace fc::test;

namespace {

// Rows of a (B, Q, M) tensor that sum to 1, like the decoder's softmax.
Tensor random_attention(int64_t batch, int64_t queries, int64_t tokens, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v = Tensor::rand({batch, queries, tokens}, rng, 0.1f, 1.f).to_vector();
  for (int64_t r = 0; r < batch * queries; ++r) {
    float sum = 0;
    for (int64_t m = 0; m < tokens; ++m) sum += v[r * tokens + m];
    for (int64_t m = 0; m < tokens; ++m) v[r * tokens + m] /= sum;
  }
  return Tensor::from_vector(v, {batch, queries, tokens});
}

// The profile written out the long way: for each level, the attention on its tokens summed, then
// averaged over every (batch item, query) row.
std::vector<double> hand_shares(const Tensor& attention, const std::vector<int>& memory_levels, int level) {
  const int64_t rows = attention.size(0) * attention.size(1), width = attention.size(2);
  const int64_t block = width / static_cast<int64_t>(memory_levels.size());
  std::vector<float> a = attention.to_vector();
  double total = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t m = 0; m < width; ++m)
      if (memory_levels[m / block] == level) total += a[r * width + m];
  return {total / static_cast<double>(rows)};
}

}  // namespace

TEST_CASE("layer_attention_profile: shares per level equal a hand computation and sum to 1") {
  // Memory order [5, 1, 5] (a level listed twice is summed), 4 tokens per block.
  const std::vector<int> memory_levels = {5, 1, 5};
  std::vector<Tensor> attention = {random_attention(2, 3, 12, 1), random_attention(2, 3, 12, 2)};
  LayerProfile p = layer_attention_profile(attention, memory_levels, /*per_query=*/true);
  CHECK(p.levels == std::vector<int>{1, 5});
  REQUIRE(p.shares.size() == 2);
  for (size_t d = 0; d < 2; ++d) {
    CHECK(p.shares[d][0] == doctest::Approx(hand_shares(attention[d], memory_levels, 1)[0]).epsilon(1e-12));
    CHECK(p.shares[d][1] == doctest::Approx(hand_shares(attention[d], memory_levels, 5)[0]).epsilon(1e-12));
    CHECK(p.shares[d][0] + p.shares[d][1] == doctest::Approx(1.0).epsilon(1e-6));
    // Per query: the batch mean of each query's own mass, whose query mean is the profile.
    REQUIRE(p.query_shares[d].size() == 3);
    double mean_level1 = 0;
    for (const auto& q : p.query_shares[d]) {
      CHECK(q[0] + q[1] == doctest::Approx(1.0).epsilon(1e-6));
      mean_level1 += q[0] / 3;
    }
    CHECK(mean_level1 == doctest::Approx(p.shares[d][0]).epsilon(1e-12));
  }
  // A tiny exact case: one query, two levels of two tokens, [0.1, 0.2 | 0.3, 0.4].
  LayerProfile exact = layer_attention_profile({Tensor::from_vector({0.1f, 0.2f, 0.3f, 0.4f}, {1, 1, 4})}, {11, 3});
  CHECK(exact.levels == std::vector<int>{3, 11});
  CHECK(exact.shares[0][0] == doctest::Approx(0.7).epsilon(1e-6));
  CHECK(exact.shares[0][1] == doctest::Approx(0.3).epsilon(1e-6));
  CHECK(exact.query_shares.empty());

  CHECK_THROWS_WITH_AS(layer_attention_profile({random_attention(1, 2, 10, 3)}, {1, 3, 5}),
                       doctest::Contains("not a multiple of the 3 levels"), Error);
  CHECK_THROWS_WITH_AS(layer_attention_profile({}, {1}), doctest::Contains("keep_attention"), Error);
}

TEST_CASE("layer_attention_profile on the tiny models' cross-attention (stage 1, stage 2, all levels)") {
  const Tensor input = Fixture(fixture_path("model/inputs.fxt")).get("input/112");
  for (const char* variant : {"stage1", "stage2", "all_levels"}) {
    CAPTURE(variant);
    auto model = tiny_model(variant);
    NoGradGuard no_grad;
    PassResult r = model->run(input, {"age_morph2", "biattr_celeba"}, {.keep_attention = true});
    std::vector<int> sorted = r.memory_levels;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [name, task] : r.tasks) {
      CAPTURE(name);
      LayerProfile p = layer_attention_profile(task.cross_attention, r.memory_levels);
      CHECK(p.levels == sorted);
      REQUIRE(p.shares.size() == static_cast<size_t>(model->config.decoder.layers));
      for (size_t d = 0; d < p.shares.size(); ++d) {
        CHECK(std::accumulate(p.shares[d].begin(), p.shares[d].end(), 0.0) == doctest::Approx(1.0).epsilon(1e-5));
        for (size_t i = 0; i < p.levels.size(); ++i)
          CHECK(p.shares[d][i] ==
                doctest::Approx(hand_shares(task.cross_attention[d], r.memory_levels, p.levels[i])[0]).epsilon(1e-9));
      }
      if (std::string(variant) == "stage1") CHECK(p.levels.size() == 1);
      if (std::string(variant) != "stage1") CHECK(p.levels.size() == 3);
    }
    // Each query's map over the grid sums (over positions) to all of its attention: 1.
    const Tensor& last = r.tasks.at("age_morph2").cross_attention.back();
    Tensor maps = query_attention_maps(last, r.memory_levels, r.encoder.grid);
    CHECK(maps.shape() == Shape({last.size(1), 7, 7}));
    std::vector<float> m = maps.to_vector();
    for (int64_t q = 0; q < maps.size(0); ++q)
      CHECK(std::accumulate(m.begin() + q * 49, m.begin() + (q + 1) * 49, 0.0) == doctest::Approx(1.0).epsilon(1e-5));
    // One level's block alone carries that level's share of the mass.
    const int level = r.memory_levels.front();
    std::vector<float> one = query_attention_maps(last, r.memory_levels, 7, 0, level).to_vector();
    const double level_mass = std::accumulate(one.begin(), one.end(), 0.0) / static_cast<double>(maps.size(0));
    LayerProfile p = layer_attention_profile({last.narrow(0, 0, 1)}, r.memory_levels);  // batch item 0
    const size_t column = std::find(p.levels.begin(), p.levels.end(), level) - p.levels.begin();
    CHECK(level_mass == doctest::Approx(p.shares[0][column]).epsilon(1e-5));
  }
}

TEST_CASE("query_attention_maps: position layout and errors") {
  // Two levels of a 2x2 grid; the map adds them position by position.
  Tensor a = Tensor::from_vector({0.1f, 0.2f, 0.3f, 0.0f, 0.1f, 0.1f, 0.1f, 0.1f}, {1, 1, 8});
  check_close(query_attention_maps(a, {3, 11}, 2), Tensor::from_vector({0.2f, 0.3f, 0.4f, 0.1f}, {1, 2, 2}),
              {1e-6, 0}, "summed map");
  check_close(query_attention_maps(a, {3, 11}, 2, 0, 3), Tensor::from_vector({0.1f, 0.2f, 0.3f, 0.f}, {1, 2, 2}),
              {1e-6, 0}, "level 3 only");
  CHECK_THROWS_WITH_AS(query_attention_maps(a, {3, 11}, 3), doctest::Contains("not a 3x3 grid"), Error);
  CHECK_THROWS_WITH_AS(query_attention_maps(a, {3, 11}, 2, 0, 7), doctest::Contains("no encoder level 7"), Error);
  CHECK_THROWS_WITH_AS(query_attention_maps(a, {3, 11}, 2, 1), doctest::Contains("batch item 1"), Error);
}

TEST_CASE("principal_components match Eigen's SVD of the centred rows (covariance and Gram paths)") {
  for (auto [n, c] : {std::pair<int64_t, int64_t>{30, 6}, {5, 9}}) {
    CAPTURE(n);
    CAPTURE(c);
    Rng rng(static_cast<uint64_t>(n * 100 + c));
    Tensor x = Tensor::randn({n, c}, rng);
    const int k = 3;
    PrincipalComponents pc = principal_components(x, k);
    std::vector<float> v = x.to_vector();
    Eigen::MatrixXd m(n, c);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < c; ++j) m(i, j) = v[i * c + j];
    m.rowwise() -= m.colwise().mean();
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(m, Eigen::ComputeThinU | Eigen::ComputeThinV);
    std::vector<float> proj = pc.projections.to_vector();
    for (int i = 0; i < k; ++i) {
      CAPTURE(i);
      const double s = svd.singularValues()(i);
      CHECK(pc.variance[i] == doctest::Approx(s * s / static_cast<double>(n - 1)).epsilon(1e-9));
      // Same axis up to sign; the sign rule makes the largest coefficient positive.
      double dot = 0, largest = 0;
      for (int64_t j = 0; j < c; ++j) {
        dot += pc.components[i][j] * svd.matrixV()(j, i);
        if (std::abs(pc.components[i][j]) > std::abs(largest)) largest = pc.components[i][j];
      }
      CHECK(std::abs(dot) == doctest::Approx(1.0).epsilon(1e-9));
      CHECK(largest > 0);
      const double sign = dot > 0 ? 1 : -1;
      for (int64_t r = 0; r < n; ++r)
        CHECK(proj[r * k + i] == doctest::Approx(sign * svd.matrixU()(r, i) * s).epsilon(1e-5).scale(1));
    }
  }
  // A hand case: points on the line (t, 2t) in the plane: one direction (1, 2) / sqrt(5).
  PrincipalComponents line = principal_components(Tensor::from_vector({0, 0, 1, 2, 2, 4, 3, 6}, {4, 2}), 1);
  CHECK(line.components[0][0] == doctest::Approx(1 / std::sqrt(5.0)));
  CHECK(line.components[0][1] == doctest::Approx(2 / std::sqrt(5.0)));
  CHECK(line.mean == std::vector<double>{1.5, 3.0});
  CHECK(line.variance[0] == doctest::Approx(25.0 / 3.0));  // var(t) = 5/3 along |(1, 2)| = sqrt(5)
  CHECK_THROWS_WITH_AS(principal_components(Tensor::zeros({1, 4}), 1), doctest::Contains("at least two rows"), Error);
  CHECK_THROWS_WITH_AS(principal_components(Tensor::zeros({4, 2}), 3), doctest::Contains("3 components"), Error);
}

TEST_CASE("feature_pca_image: the first component's extremes are full red and no red") {
  // Tokens on a line in 4-d: component 1 orders them, so red runs 0..255 along the grid.
  std::vector<float> v;
  for (int t = 0; t < 4; ++t)
    for (int c = 0; c < 4; ++c) v.push_back(static_cast<float>(t * (c + 1)) + (c == 3 && t == 1 ? 0.01f : 0.f));
  Image img = feature_pca_image(Tensor::from_vector(v, {4, 4}), 2);
  CHECK(img.height == 2);
  CHECK(img.width == 2);
  CHECK(img.rgb(0, 0)[0] == 0);
  CHECK(img.rgb(1, 1)[0] == 255);
  CHECK_THROWS_WITH_AS(feature_pca_image(Tensor::zeros({5, 4}), 2), doctest::Contains("not a 2x2 grid"), Error);
}

TEST_CASE("bitmap font: known glyph pixels, sizes, drawing") {
  using namespace fc::viz;
  // 'A' is .###. / #...# / #...# / ##### / #...# / #...# / #...#
  CHECK(!glyph_pixel('A', 0, 0));
  CHECK(glyph_pixel('A', 1, 0));
  CHECK(glyph_pixel('A', 3, 0));
  CHECK(!glyph_pixel('A', 4, 0));
  for (int c = 0; c < 5; ++c) CHECK(glyph_pixel('A', c, 3));
  CHECK(glyph_pixel('A', 0, 6));
  CHECK(!glyph_pixel('A', 2, 6));
  // '.' is a 2x2 block on the baseline; 'g' reaches into the descender row; ' ' is empty;
  // non-ASCII draws as '?'.
  CHECK(glyph_pixel('g', 1, 7));
  CHECK(!glyph_pixel('a', 1, 7));
  int dot = 0, space = 0;
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 5; ++c) dot += glyph_pixel('.', c, r), space += glyph_pixel(' ', c, r);
  CHECK(dot == 4);
  CHECK(space == 0);
  CHECK(glyph_rows('\x80') == glyph_rows('?'));
  CHECK(bitmap_text_width("AB", 1) == 11);
  CHECK(bitmap_text_width("AB\nCDE", 2) == 34);
  CHECK(bitmap_text_height("AB\nCDE", 1) == 17);

  // 'I' at scale 2: its top bar .###. is three font pixels -> six image pixels per row.
  Image img(20, 20, {0, 0, 0});
  draw_bitmap_text(img, 1, 1, "I", {255, 255, 255}, 2);
  CHECK(img.rgb(1, 1) == Rgb{0, 0, 0});          // font column 0 is off
  CHECK(img.rgb(1, 3) == Rgb{255, 255, 255});    // font column 1 is on
  CHECK(img.rgb(2, 8) == Rgb{255, 255, 255});    // font column 3, second image row of the block
  CHECK(img.rgb(1, 9) == Rgb{0, 0, 0});          // font column 4 is off
  int lit = 0;
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) lit += img.rgb(y, x)[0] == 255;
  CHECK(lit == 4 * (3 + 5 + 3));  // 'I': 3 + 5 stem pixels + 3, each a 2x2 block
  // A background box covers the text plus one font pixel of margin; text clips at the border.
  Image boxed(12, 12, {9, 9, 9});
  draw_bitmap_text(boxed, 1, 1, "..", {255, 0, 0}, 1, Rgb{0, 0, 255});
  CHECK(boxed.rgb(0, 0) == Rgb{0, 0, 255});
  CHECK(boxed.rgb(6, 2) == Rgb{255, 0, 0});
  CHECK(boxed.rgb(11, 11) == Rgb{9, 9, 9});
  draw_bitmap_text(boxed, 10, 10, "WWW", {1, 2, 3}, 3);  // must not write outside
  CHECK_THROWS_WITH_AS(draw_bitmap_text(img, 0, 0, "x", {1, 1, 1}, 0), doctest::Contains("scale 0"), Error);
}

TEST_CASE("figures: heat-map chart and tile grid sizes, errors") {
  using namespace fc::viz;
  HeatMapChart chart;
  chart.row_labels = {"a", "bb"};
  chart.column_labels = {"1", "3", "11"};
  chart.values = {0.1f, 0.2f, 0.7f, 1.f, 0.f, 0.f};
  Image img = render_heat_map_chart(chart);
  CHECK(img.width > 3 * chart.cell_width);
  CHECK(img.height > 2 * chart.cell_height);
  chart.values.pop_back();
  CHECK_THROWS_WITH_AS(render_heat_map_chart(chart), doctest::Contains("5 values for 2 x 3"), Error);

  std::vector<Tile> tiles(5, Tile{Image(10, 12, {200, 0, 0}), "tile"});
  Image grid = render_tile_grid(tiles, 2, "");
  CHECK(grid.width == 6 + 2 * (12 + 6));
  CHECK(grid.height == 6 + 3 * (viz::kCellHeight + 3 + 10 + 6));
  tiles[3].image = Image(11, 12);
  CHECK_THROWS_WITH_AS(render_tile_grid(tiles, 2, ""), doctest::Contains("tile 'tile' is 12x11"), Error);

  Image up = resize_nearest(Image(2, 2, {5, 6, 7}), 5, 3);
  CHECK(up.height == 5);
  CHECK(up.rgb(4, 2) == Rgb{5, 6, 7});
}

TEST_CASE("explain on a tiny stage-2 model: profiles, passes and figures") {
  auto model = tiny_model("stage2");
  Image photo(80, 64, {120, 100, 90});
  for (int y = 20; y < 60; ++y)
    for (int x = 16; x < 48; ++x) photo.at(y, x)[0] = 220;
  ExplainOptions opts;
  opts.tasks = resolve_tasks(model->config, {"all"});
  opts.per_query = true;
  Explanation e = explain(*model, photo, opts);
  CHECK(e.skipped == std::vector<std::string>{"recog_ms1mv3"});
  CHECK(e.tasks.size() == 6);
  REQUIRE(e.passes.size() == 2);
  CHECK(e.passes[0].input_size == 64);
  CHECK(e.passes[0].picture.height == 64);
  CHECK(e.passes[1].picture.width == 112);
  for (const TaskExplanation& t : e.tasks) {
    CAPTURE(t.spec->name);
    CHECK(t.profile.query_shares.size() == t.profile.shares.size());
    CHECK(t.profile.query_shares.back().size() == static_cast<size_t>(t.spec->queries));
    for (const auto& row : t.profile.shares)
      CHECK(std::accumulate(row.begin(), row.end(), 0.0) == doctest::Approx(1.0).epsilon(1e-5));
  }
  const int last = e.decoder_layers - 1;
  Image chart = viz::layer_attention_chart(e, last);
  CHECK(chart.width > 3 * 44);
  Image grid = viz::query_attention_grid(e, e.tasks[0], last, 32);
  CHECK(grid.width >= 32);
  Image pca = viz::encoder_pca_grid(e.passes[1], 32);
  // The input and 3 encoder layers in one row of tiles under a two-line title (wider than the row).
  CHECK(pca.width >= 6 + 4 * (32 + 6));
  CHECK(pca.height == (2 * viz::kCellHeight - 1 + 12) + 6 + (viz::kCellHeight + 3 + 32 + 6));
  CHECK_THROWS_WITH_AS(viz::query_attention_grid(e, e.tasks[0], e.decoder_layers, 32),
                       doctest::Contains("decoder layer"), Error);
  ExplainOptions recognition_only;
  recognition_only.tasks = {"recog_ms1mv3"};
  CHECK_THROWS_WITH_AS(explain(*model, photo, recognition_only), doctest::Contains("no attention to show"), Error);
}
