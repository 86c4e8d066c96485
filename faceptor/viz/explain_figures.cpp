#include "faceptor/viz/explain_figures.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "core/error.h"
#include "faceptor/draw.h"
#include "faceptor/resize.h"
#include "faceptor/viz/figures.h"

namespace fc::viz {

using namespace faceptor;

namespace {

void check_decoder_layer(int layer, size_t layers, const std::string& task) {
  FC_CHECK(layer >= 0 && static_cast<size_t>(layer) < layers, "explain: decoder layer ", layer, " of task ", task,
           ", which has ", layers, " layers (0..", layers - 1, ")");
}

int grid_columns(size_t count) { return std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count))))); }

Image picture_tile(const Image& picture, int tile) {
  return picture.height == tile && picture.width == tile ? picture : resize_like_pil_bilinear(picture, tile, tile);
}

}  // namespace

Image layer_attention_chart(const Explanation& explanation, int decoder_layer) {
  FC_CHECK(!explanation.tasks.empty(), "layer_attention_chart: no tasks");
  std::set<int> all_levels;
  for (const TaskExplanation& t : explanation.tasks) all_levels.insert(t.profile.levels.begin(), t.profile.levels.end());
  HeatMapChart chart;
  chart.title = "Layer-Attention: share per encoder layer (decoder layer " + std::to_string(decoder_layer) + ")";
  chart.row_axis = "task";
  chart.column_axis = "encoder layer";
  for (int l : all_levels) chart.column_labels.push_back(std::to_string(l));
  for (const TaskExplanation& t : explanation.tasks) {
    check_decoder_layer(decoder_layer, t.profile.shares.size(), t.spec->name);
    chart.row_labels.push_back(t.spec->name);
    for (int l : all_levels) {
      const auto it = std::find(t.profile.levels.begin(), t.profile.levels.end(), l);
      chart.values.push_back(it == t.profile.levels.end()
                                 ? 0.f
                                 : static_cast<float>(t.profile.shares[decoder_layer][it - t.profile.levels.begin()]));
    }
  }
  return render_heat_map_chart(chart);
}

Image task_layer_chart(const TaskExplanation& task) {
  HeatMapChart chart;
  chart.title = "Layer-Attention of " + task.spec->name;
  chart.row_axis = "decoder layer";
  chart.column_axis = "encoder layer";
  for (int l : task.profile.levels) chart.column_labels.push_back(std::to_string(l));
  for (size_t d = 0; d < task.profile.shares.size(); ++d) {
    chart.row_labels.push_back(std::to_string(d));
    for (double share : task.profile.shares[d]) chart.values.push_back(static_cast<float>(share));
  }
  return render_heat_map_chart(chart);
}

Image query_attention_grid(const Explanation& explanation, const TaskExplanation& task, int decoder_layer, int tile) {
  check_decoder_layer(decoder_layer, task.cross_attention.size(), task.spec->name);
  FC_CHECK(tile >= 16, "query_attention_grid: tile size ", tile, " is below 16 pixels");
  const ExplainPass& pass = explanation.passes.at(task.pass);
  const Tensor maps = query_attention_maps(task.cross_attention[decoder_layer], pass.memory_levels, pass.encoder.grid);
  const Image face = picture_tile(pass.picture, tile);
  const std::vector<std::string> labels = query_labels(*task.spec);
  std::vector<Tile> tiles;
  for (int64_t q = 0; q < maps.size(0); ++q) {
    Image panel = face;
    blend_image(panel, heat_overlay_tile(maps.select(0, q), tile), 0.6f);
    tiles.push_back({std::move(panel), q < static_cast<int64_t>(labels.size()) ? labels[q] : std::to_string(q)});
  }
  const std::string title = task.spec->name + ": cross-attention of each query over the face\ndecoder layer " +
                            std::to_string(decoder_layer) + ", summed over encoder layers, own scale per tile";
  return render_tile_grid(tiles, grid_columns(tiles.size()), title);
}

Image encoder_pca_grid(const ExplainPass& pass, int tile) {
  FC_CHECK(tile >= 16, "encoder_pca_grid: tile size ", tile, " is below 16 pixels");
  std::vector<Tile> tiles = {{picture_tile(pass.picture, tile), "input " + std::to_string(pass.input_size)}};
  for (size_t layer = 0; layer < pass.encoder.tokens.size(); ++layer) {
    const Tensor tokens = pass.encoder.patch_tokens(static_cast<int>(layer)).select(0, 0);
    tiles.push_back({resize_nearest(feature_pca_image(tokens, pass.encoder.grid), tile, tile),
                     "layer " + std::to_string(layer)});
  }
  const std::string title = "encoder layers at " + std::to_string(pass.input_size) + "\nfirst 3 principal components of the " +
                            std::to_string(pass.encoder.grid) + "x" + std::to_string(pass.encoder.grid) +
                            " patch tokens as RGB";
  return render_tile_grid(tiles, std::min<int>(7, static_cast<int>(tiles.size())), title);
}

}  // namespace fc::viz
