#include "faceptor/explain.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>

#include "core/autograd.h"
#include "core/error.h"
#include "faceptor/preprocess.h"

namespace fc::faceptor {

namespace {

// The position of each memory block's level in the ascending list of distinct levels.
std::vector<size_t> block_columns(const std::vector<int>& memory_levels, std::vector<int>& levels) {
  levels = memory_levels;
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  std::vector<size_t> columns;
  for (int l : memory_levels)
    columns.push_back(static_cast<size_t>(std::lower_bound(levels.begin(), levels.end(), l) - levels.begin()));
  return columns;
}

int64_t block_size(const Tensor& attention, const std::vector<int>& memory_levels, const char* what) {
  FC_CHECK(attention.ndim() == 3, what, ": expected cross-attention (B, Q, M), got ", attention.shape());
  FC_CHECK(!memory_levels.empty(), what, ": no memory levels given");
  const int64_t blocks = static_cast<int64_t>(memory_levels.size());
  FC_CHECK(attention.size(2) % blocks == 0, what, ": attention ", attention.shape(), " has ", attention.size(2),
           " memory tokens, not a multiple of the ", blocks, " levels");
  return attention.size(2) / blocks;
}

}  // namespace

LayerProfile layer_attention_profile(const std::vector<Tensor>& cross_attention, const std::vector<int>& memory_levels,
                                     bool per_query) {
  FC_CHECK(!cross_attention.empty(), "layer_attention_profile: no cross-attention (run with keep_attention)");
  LayerProfile profile;
  const std::vector<size_t> column = block_columns(memory_levels, profile.levels);
  const size_t levels = profile.levels.size();
  for (const Tensor& attention : cross_attention) {
    const int64_t tokens = block_size(attention, memory_levels, "layer_attention_profile");
    const int64_t batch = attention.size(0), queries = attention.size(1), width = attention.size(2);
    const std::vector<float> a = attention.to_vector();
    // [query][level], summed over positions and the batch, in double so 6144-token sums stay exact.
    std::vector<std::vector<double>> mass(queries, std::vector<double>(levels, 0.0));
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t q = 0; q < queries; ++q) {
        const float* row = a.data() + (b * queries + q) * width;
        for (size_t block = 0; block < memory_levels.size(); ++block) {
          double sum = 0;
          for (int64_t t = 0; t < tokens; ++t) sum += row[block * tokens + t];
          mass[q][column[block]] += sum;
        }
      }
    std::vector<double> shares(levels, 0.0);
    for (int64_t q = 0; q < queries; ++q)
      for (size_t l = 0; l < levels; ++l) {
        mass[q][l] /= static_cast<double>(batch);
        shares[l] += mass[q][l] / static_cast<double>(queries);
      }
    profile.shares.push_back(std::move(shares));
    if (per_query) profile.query_shares.push_back(std::move(mass));
  }
  return profile;
}

Tensor query_attention_maps(const Tensor& attention, const std::vector<int>& memory_levels, int64_t grid,
                            int64_t batch, int level) {
  const int64_t tokens = block_size(attention, memory_levels, "query_attention_maps");
  FC_CHECK(grid > 0 && grid * grid == tokens, "query_attention_maps: ", tokens, " tokens per level is not a ", grid,
           "x", grid, " grid");
  FC_CHECK(batch >= 0 && batch < attention.size(0), "query_attention_maps: batch item ", batch, " of ",
           attention.shape());
  FC_CHECK(level < 0 || std::find(memory_levels.begin(), memory_levels.end(), level) != memory_levels.end(),
           "query_attention_maps: the memory holds no encoder level ", level);
  const int64_t queries = attention.size(1), width = attention.size(2);
  const std::vector<float> a = attention.to_vector();
  std::vector<float> maps(static_cast<size_t>(queries * tokens), 0.f);
  for (int64_t q = 0; q < queries; ++q) {
    const float* row = a.data() + (batch * queries + q) * width;
    for (size_t block = 0; block < memory_levels.size(); ++block) {
      if (level >= 0 && memory_levels[block] != level) continue;
      for (int64_t t = 0; t < tokens; ++t) maps[q * tokens + t] += row[block * tokens + t];
    }
  }
  return Tensor::from_vector(maps, {queries, grid, grid});
}

PrincipalComponents principal_components(const Tensor& x, int k) {
  FC_CHECK(x.ndim() == 2, "principal_components: expected rows (N, C), got ", x.shape());
  const int64_t n = x.size(0), c = x.size(1);
  FC_CHECK(n >= 2, "principal_components: ", x.shape(), ": needs at least two rows");
  FC_CHECK(k >= 1 && k <= std::min(n, c), "principal_components: ", k, " components of ", x.shape());
  using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const std::vector<float> values = x.to_vector();
  Matrix centred = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                       values.data(), n, c)
                       .cast<double>();
  const Eigen::RowVectorXd mean = centred.colwise().mean();
  centred.rowwise() -= mean;

  // The covariance X^T X and the Gram matrix X X^T share their non-zero eigenvalues; the
  // components follow from either (v = X^T u / |X^T u| for a Gram eigenvector u), so the smaller
  // one is decomposed: at 112 (49 tokens of 768 channels) that is 49 x 49 instead of 768 x 768.
  const bool gram = n < c;
  const Matrix product = gram ? Matrix(centred * centred.transpose()) : Matrix(centred.transpose() * centred);
  Eigen::SelfAdjointEigenSolver<Matrix> solver(product);
  FC_CHECK(solver.info() == Eigen::Success, "principal_components: eigen-decomposition of ", x.shape(), " failed");
  PrincipalComponents out;
  out.mean.assign(mean.data(), mean.data() + c);
  std::vector<float> projections(static_cast<size_t>(n * k));
  const int64_t size = product.rows();
  for (int i = 0; i < k; ++i) {
    const int64_t index = size - 1 - i;  // eigenvalues come in increasing order
    Eigen::VectorXd axis = gram ? Eigen::VectorXd(centred.transpose() * solver.eigenvectors().col(index))
                                : Eigen::VectorXd(solver.eigenvectors().col(index));
    const double norm = axis.norm();
    if (norm > 0) axis /= norm;
    Eigen::Index largest = 0;
    axis.cwiseAbs().maxCoeff(&largest);
    if (axis(largest) < 0) axis = -axis;
    out.components.emplace_back(axis.data(), axis.data() + c);
    out.variance.push_back(std::max(solver.eigenvalues()(index), 0.0) / static_cast<double>(n - 1));
    const Eigen::VectorXd projected = centred * axis;
    for (int64_t r = 0; r < n; ++r) projections[r * k + i] = static_cast<float>(projected(r));
  }
  out.projections = Tensor::from_vector(projections, {n, k});
  return out;
}

Image feature_pca_image(const Tensor& patch_tokens, int64_t grid) {
  FC_CHECK(patch_tokens.ndim() == 2 && patch_tokens.size(0) == grid * grid, "feature_pca_image: tokens ",
           patch_tokens.shape(), " are not a ", grid, "x", grid, " grid");
  const int k = static_cast<int>(std::min<int64_t>(3, std::min(patch_tokens.size(0), patch_tokens.size(1))));
  const std::vector<float> p = principal_components(patch_tokens, k).projections.to_vector();
  Image out(static_cast<int>(grid), static_cast<int>(grid));
  for (int channel = 0; channel < k; ++channel) {
    float low = p[channel], high = p[channel];
    for (int64_t t = 0; t < grid * grid; ++t) low = std::min(low, p[t * k + channel]), high = std::max(high, p[t * k + channel]);
    const float range = high > low ? high - low : 1.f;
    for (int64_t t = 0; t < grid * grid; ++t)
      out.pixels[t * 3 + channel] =
          static_cast<uint8_t>(std::clamp(std::nearbyint(255.f * (p[t * k + channel] - low) / range), 0.f, 255.f));
  }
  return out;
}

std::vector<std::string> query_labels(const TaskSpec& spec) {
  std::vector<std::string> out;
  for (int q = 0; q < spec.queries; ++q) {
    if (static_cast<int>(spec.labels.size()) == spec.queries)
      out.push_back(spec.labels[q]);
    else if (spec.kind == TaskKind::age)
      out.push_back("age " + std::to_string(q));
    else if (spec.kind == TaskKind::landmarks)
      out.push_back("point " + std::to_string(q));
    else
      out.push_back("query " + std::to_string(q));
  }
  return out;
}

Explanation explain(const FaceptorModel& model, const Image& image, const ExplainOptions& options) {
  FC_CHECK(model.decoder != nullptr, "explain: the model has no decoder (no task with queries)");
  std::vector<std::string> names = options.tasks;
  if (names.empty()) names = resolve_tasks(model.config, {"all"});
  Explanation out;
  out.decoder_layers = model.config.decoder.layers;
  std::map<int, std::vector<std::string>> by_size;
  for (const std::string& name : names) {
    const TaskSpec* spec = model.config.find_task(name);
    FC_CHECK(spec != nullptr, "explain: unknown task '", name, "'");
    if (spec->queries == 0 || spec->interpreter == InterpreterKind::feature)
      out.skipped.push_back(name);
    else
      by_size[spec->input_size].push_back(name);
  }
  FC_CHECK(!by_size.empty(), "explain: none of the requested tasks has decoder queries (recognition reads the "
                             "encoder only), so there is no attention to show");
  AnalyzeOptions prepare;
  prepare.region = options.region;
  prepare.box_scale = options.box_scale;
  prepare.five_point_warp_factor = options.five_point_warp_factor;
  NoGradGuard no_grad;
  for (const auto& [size, tasks] : by_size) {
    const bool dense = uses_dense_input(model.config, size);
    PreparedInput prepared = prepare_input(image, size, dense, prepare);
    // Every encoder layer: the PCA grid (viz/explain_figures.h) shows them all.
    PassResult result = model.run(prepared.input, tasks, {.keep_attention = true, .keep_encoder_layers = true});
    for (const std::string& name : tasks) {
      TaskResult& r = result.tasks.at(name);
      TaskExplanation t;
      t.spec = r.spec;
      t.pass = out.passes.size();
      t.profile = layer_attention_profile(r.cross_attention, result.memory_levels, options.per_query);
      t.cross_attention = std::move(r.cross_attention);
      out.tasks.push_back(std::move(t));
    }
    out.passes.push_back({size, prepared.input, picture_from_model_input(prepared.input, dense),
                          std::move(result.encoder), result.memory_levels});
  }
  auto order = [&](const TaskExplanation& t) {
    for (size_t i = 0; i < model.config.tasks.size(); ++i)
      if (&model.config.tasks[i] == t.spec) return i;
    return model.config.tasks.size();
  };
  std::stable_sort(out.tasks.begin(), out.tasks.end(),
                   [&](const TaskExplanation& a, const TaskExplanation& b) { return order(a) < order(b); });
  return out;
}

}  // namespace fc::faceptor
