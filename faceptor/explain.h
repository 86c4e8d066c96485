// Looking inside Faceptor (`faceptor explain`): which encoder layers each task's queries read
// (the Layer-Attention profile), where on the face each query looks, and what every encoder layer
// encodes (the first principal components of its patch tokens). The numbers live here; the
// pictures are drawn by faceptor/explain_figures.h.
//
//   auto model = load_model("faceptor_stage2.safetensors");
//   ExplainOptions opts;
//   opts.tasks = resolve_tasks(model->config, {"landmarks", "attributes"});
//   Explanation e = explain(*model, load_image("photo.jpg"), opts);
//   for (const TaskExplanation& t : e.tasks)                 // last decoder layer's profile:
//     for (size_t i = 0; i < t.profile.levels.size(); ++i)   // share of attention per encoder layer
//       std::printf("%s layer %d: %.3f\n", t.spec->name.c_str(), t.profile.levels[i], t.profile.shares.back()[i]);
//
// Letter key: B batch, Q queries, M memory tokens (one S*S block per level read, in memory
// order), S grid side, N tokens, C channels, K components, D decoder layers.
//
// Layer-Attention (DESIGN.md): each decoder layer's cross-attention softmax runs over the tokens
// of every encoder level the decoder reads, so the attention mass a query puts on one level's
// block of tokens is how much it reads that depth. The profile sums that mass over the block's
// positions and averages it over queries (and batch items); heads are already averaged by the
// decoder (DecoderResult::cross_attention).
#pragma once

#include <string>
#include <vector>

#include "faceptor/analyze.h"
#include "faceptor/image.h"
#include "faceptor/model.h"

namespace fc::faceptor {

struct LayerProfile {
  std::vector<int> levels;                  // the encoder layers the memory holds, ascending
  std::vector<std::vector<double>> shares;  // [decoder layer][level]: each row sums to 1
  // [decoder layer][query][level], averaged over the batch; filled only when asked for.
  std::vector<std::vector<std::vector<double>>> query_shares;
};

// cross_attention: per decoder layer (B, Q, M); memory_levels: the encoder layer of each block of
// M / memory_levels.size() tokens (PassResult::memory_levels). A level listed twice is summed.
LayerProfile layer_attention_profile(const std::vector<Tensor>& cross_attention, const std::vector<int>& memory_levels,
                                     bool per_query = false);

// Where each query looks: attention (B, Q, M) of one decoder layer -> (Q, S, S) for batch item
// `batch`, summed over the levels (every level's block is the same S x S grid, row-major), or
// only `level`'s block when level >= 0.
Tensor query_attention_maps(const Tensor& attention, const std::vector<int>& memory_levels, int64_t grid,
                            int64_t batch = 0, int level = -1);

struct PrincipalComponents {
  std::vector<double> mean;                     // (C)
  std::vector<std::vector<double>> components;  // (K, C): unit rows, by decreasing variance
  std::vector<double> variance;                 // (K): each component's variance (divisor N - 1)
  Tensor projections;                           // (N, K): the centred rows on each component
};

// PCA of the rows of x (N, C) by the eigen-decomposition (Eigen) of the smaller of the covariance
// (C x C) and Gram (N x N) matrices, in double precision. Each component's sign is fixed so that
// its largest-magnitude coefficient is positive (the decomposition leaves it free).
// k <= min(N, C); N >= 2.
PrincipalComponents principal_components(const Tensor& x, int k);

// One encoder layer's patch tokens (S*S, C) -> an S x S picture: the first three principal
// components as R, G, B, each scaled from its own [min, max] over the tokens to [0, 255].
Image feature_pca_image(const Tensor& patch_tokens, int64_t grid);

// Caption of each query of a task: attribute / expression / parsing class names from the task's
// labels, "age 0".."age 100" for age bins, "point 0".. for landmarks, else "query i".
std::vector<std::string> query_labels(const TaskSpec& spec);

struct ExplainOptions {
  std::vector<std::string> tasks;  // task names; empty: every task with decoder queries
  FaceRegion region;               // as analyze (faceptor/analyze.h)
  double box_scale = 1.0;
  double five_point_warp_factor = 0.0;
  bool per_query = false;  // fill LayerProfile::query_shares
};

struct ExplainPass {
  int input_size = 0;
  Tensor input;                    // (1, 3, size, size), normalised
  Image picture;                   // what the model saw: the input de-normalised to 8-bit RGB
  EncoderOutput encoder;           // every layer's tokens
  std::vector<int> memory_levels;  // PassResult::memory_levels
};

struct TaskExplanation {
  const TaskSpec* spec = nullptr;       // points into the model's config
  size_t pass = 0;                      // index into Explanation::passes
  std::vector<Tensor> cross_attention;  // per decoder layer (1, Q, M)
  LayerProfile profile;
};

struct Explanation {
  std::vector<ExplainPass> passes;      // ascending input size
  std::vector<TaskExplanation> tasks;   // model config order; tasks without queries are skipped
  std::vector<std::string> skipped;     // requested tasks without decoder queries (recognition)
  int decoder_layers = 0;
};

// Preprocesses `image` as analyze does (prepare_input), runs one pass per input size with
// keep_attention and computes every task's profile. Throws when no requested task has queries.
Explanation explain(const FaceptorModel& model, const Image& image, const ExplainOptions& options);

}  // namespace fc::faceptor
