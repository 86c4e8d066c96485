// Small figure building blocks for the study pictures of `faceptor explain`, drawn with the
// built-in bitmap font (faceptor/viz/bitmap_font.h) and the viridis-like colour map of
// faceptor/draw.h (heat_color): a labelled heat-map chart with a colour bar, a grid of captioned
// tiles, and scalar maps upsampled over a picture.
//
//   HeatMapChart chart;
//   chart.title = "share of cross-attention per encoder layer";
//   chart.row_labels = {"age_morph2", "align_300w"};
//   chart.column_labels = {"1", "3", "11"};
//   chart.values = {0.2f, 0.3f, 0.5f, 0.6f, 0.3f, 0.1f};     // rows x columns, row-major
//   save_png("profile.png", render_heat_map_chart(chart));
//
//   std::vector<Tile> tiles = {{face, "input"}, {layer0, "layer 0"}};
//   save_png("grid.png", render_tile_grid(tiles, /*columns=*/4, "encoder layers"));
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"
#include "faceptor/image.h"

namespace fc::viz {

inline constexpr Rgb kWhite = {255, 255, 255}, kBlack = {0, 0, 0};

struct HeatMapChart {
  std::string title;
  std::string row_axis, column_axis;  // axis titles (row axis drawn vertically on the left)
  std::vector<std::string> row_labels, column_labels;
  std::vector<float> values;  // rows x columns, row-major
  float low = 0.f, high = 1.f;  // the colour scale; values outside are clamped
  int cell_width = 44, cell_height = 24;
  bool print_values = true;  // each cell's value with two decimals
};

// Rows top to bottom, columns left to right, row labels left of the cells, column labels below,
// a vertical colour bar with its low / middle / high values on the right. White background.
Image render_heat_map_chart(const HeatMapChart& chart);

struct Tile {
  Image image;
  std::string caption;
};

// Tiles (all the same size) in rows of `columns`, each with its caption above it (cut to the tile
// width), under a title line. White background, a few pixels of gap.
Image render_tile_grid(const std::vector<Tile>& tiles, int columns, const std::string& title);

// Nearest-neighbour enlargement (keeps a token grid's cells visible as blocks).
Image resize_nearest(const Image& image, int out_height, int out_width);

// map (S, S) -> a (size, size) heat picture, bilinear (align_corners=false) upsampling, the values
// scaled from the map's own [min, max] to the colour map (a constant map gives the lowest colour).
Image heat_overlay_tile(const Tensor& map, int size);

}  // namespace fc::viz
