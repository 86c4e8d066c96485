#include "faceptor/viz/figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/autograd.h"
#include "core/error.h"
#include "faceptor/draw.h"
#include "faceptor/viz/bitmap_font.h"
#include "ops/interpolate.h"

namespace fc::viz {

namespace {

void fill(Image& image, int x0, int y0, int x1, int y1, Rgb color) {
  for (int y = std::max(y0, 0); y < std::min(y1, image.height); ++y)
    for (int x = std::max(x0, 0); x < std::min(x1, image.width); ++x) {
      uint8_t* p = image.at(y, x);
      p[0] = color[0], p[1] = color[1], p[2] = color[2];
    }
}

void frame(Image& image, int x0, int y0, int x1, int y1, Rgb color) {
  fill(image, x0, y0, x1, y0 + 1, color);
  fill(image, x0, y1 - 1, x1, y1, color);
  fill(image, x0, y0, x0 + 1, y1, color);
  fill(image, x1 - 1, y0, x1, y1, color);
}

void paste(Image& canvas, const Image& tile, int x0, int y0) {
  for (int y = 0; y < tile.height; ++y)
    for (int x = 0; x < tile.width; ++x)
      if (canvas.contains(y0 + y, x0 + x)) std::copy_n(tile.at(y, x), 3, canvas.at(y0 + y, x0 + x));
}

// Black or white, whichever reads better on `background` (Rec. 601 luma).
Rgb text_color_on(Rgb background) {
  const float luma = 0.299f * background[0] + 0.587f * background[1] + 0.114f * background[2];
  return luma > 128.f ? kBlack : kWhite;
}

std::string format_value(float v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", v);
  return text;
}

// Text cut to `width` pixels at scale 1, with ".." marking the cut.
std::string fit_text(const std::string& text, int width) {
  const size_t most = static_cast<size_t>(std::max(0, (width + 1) / kCellWidth));
  if (text.size() <= most) return text;
  if (most <= 2) return text.substr(0, most);
  return text.substr(0, most - 2) + "..";
}

}  // namespace

Image render_heat_map_chart(const HeatMapChart& chart) {
  const int rows = static_cast<int>(chart.row_labels.size()), columns = static_cast<int>(chart.column_labels.size());
  FC_CHECK(rows > 0 && columns > 0, "render_heat_map_chart: ", rows, " rows x ", columns, " columns: nothing to draw");
  FC_CHECK(chart.values.size() == static_cast<size_t>(rows) * columns, "render_heat_map_chart: ", chart.values.size(),
           " values for ", rows, " x ", columns, " cells");
  FC_CHECK(chart.high > chart.low, "render_heat_map_chart: empty colour scale [", chart.low, ", ", chart.high, "]");
  FC_CHECK(chart.cell_width >= 8 && chart.cell_height >= 8, "render_heat_map_chart: cells of ", chart.cell_width, "x",
           chart.cell_height, " are too small");
  const int pad = 8, title_scale = 2, bar_width = 16;
  int label_width = 0, column_label_height = 0;
  for (const std::string& l : chart.row_labels) label_width = std::max(label_width, bitmap_text_width(l));
  for (const std::string& l : chart.column_labels) column_label_height = std::max(column_label_height, bitmap_text_height(l));
  std::vector<std::string> ticks = {format_value(chart.high), format_value((chart.low + chart.high) / 2),
                                    format_value(chart.low)};
  int tick_width = 0;
  for (const std::string& t : ticks) tick_width = std::max(tick_width, bitmap_text_width(t));

  const int row_axis_width = chart.row_axis.empty() ? 0 : kCellHeight + pad / 2;
  const int grid_x = pad + row_axis_width + label_width + pad / 2;
  const int grid_y = pad + (chart.title.empty() ? 0 : bitmap_text_height(chart.title, title_scale) + pad);
  const int grid_w = columns * chart.cell_width, grid_h = rows * chart.cell_height;
  const int bar_x = grid_x + grid_w + 2 * pad;
  const int width = std::max(bar_x + bar_width + pad + tick_width + pad,
                             pad + bitmap_text_width(chart.title, title_scale) + pad);
  const int axis_y = grid_y + grid_h + pad / 2 + column_label_height + pad / 2;
  // A vertical row-axis title longer than the grid (a chart of few rows) hangs below it.
  const int height = std::max(axis_y + (chart.column_axis.empty() ? 0 : kCellHeight + pad / 2) + pad,
                              grid_y + bitmap_text_width(chart.row_axis) + pad);
  Image out(height, std::max(width, grid_x + bitmap_text_width(chart.column_axis) + pad), kWhite);

  if (!chart.title.empty()) draw_bitmap_text(out, pad, pad, chart.title, kBlack, title_scale);
  for (int r = 0; r < rows; ++r) {
    const int y = grid_y + r * chart.cell_height;
    draw_bitmap_text(out, grid_x - pad / 2 - bitmap_text_width(chart.row_labels[r]),
                     y + (chart.cell_height - kGlyphHeight) / 2, chart.row_labels[r], kBlack);
    for (int c = 0; c < columns; ++c) {
      const float v = chart.values[static_cast<size_t>(r) * columns + c];
      const Rgb color = heat_color((v - chart.low) / (chart.high - chart.low));
      const int x = grid_x + c * chart.cell_width;
      fill(out, x, y, x + chart.cell_width, y + chart.cell_height, color);
      if (chart.print_values) {
        const std::string text = format_value(v);
        draw_bitmap_text(out, x + (chart.cell_width - bitmap_text_width(text)) / 2,
                         y + (chart.cell_height - kGlyphHeight) / 2, text, text_color_on(color));
      }
    }
  }
  frame(out, grid_x - 1, grid_y - 1, grid_x + grid_w + 1, grid_y + grid_h + 1, kBlack);
  for (int c = 0; c < columns; ++c) {
    const std::string& l = chart.column_labels[c];
    draw_bitmap_text(out, grid_x + c * chart.cell_width + (chart.cell_width - bitmap_text_width(l)) / 2,
                     grid_y + grid_h + pad / 2, l, kBlack);
  }
  if (!chart.column_axis.empty())
    draw_bitmap_text(out, grid_x + (grid_w - bitmap_text_width(chart.column_axis)) / 2, axis_y, chart.column_axis,
                     kBlack);
  if (!chart.row_axis.empty()) {
    const int length = bitmap_text_width(chart.row_axis);
    draw_bitmap_text_vertical(out, pad, grid_y + std::max(0, (grid_h - length) / 2), chart.row_axis, kBlack);
  }

  // The colour bar: high at the top, as the eye expects.
  for (int y = 0; y < grid_h; ++y) {
    const float t = grid_h > 1 ? 1.f - static_cast<float>(y) / static_cast<float>(grid_h - 1) : 1.f;
    fill(out, bar_x, grid_y + y, bar_x + bar_width, grid_y + y + 1, heat_color(t));
  }
  frame(out, bar_x - 1, grid_y - 1, bar_x + bar_width + 1, grid_y + grid_h + 1, kBlack);
  const int tick_ys[3] = {grid_y, grid_y + grid_h / 2 - kGlyphHeight / 2, grid_y + grid_h - kGlyphHeight};
  for (int i = 0; i < 3; ++i) {
    const int mark_y = i == 0 ? grid_y : i == 1 ? grid_y + grid_h / 2 : grid_y + grid_h - 1;
    fill(out, bar_x + bar_width, mark_y, bar_x + bar_width + 3, mark_y + 1, kBlack);
    draw_bitmap_text(out, bar_x + bar_width + pad - 2, tick_ys[i], ticks[i], kBlack);
  }
  return out;
}

Image render_tile_grid(const std::vector<Tile>& tiles, int columns, const std::string& title) {
  FC_CHECK(!tiles.empty(), "render_tile_grid: no tiles");
  FC_CHECK(columns >= 1, "render_tile_grid: ", columns, " columns");
  const int tile_h = tiles[0].image.height, tile_w = tiles[0].image.width;
  for (const Tile& t : tiles)
    FC_CHECK(t.image.height == tile_h && t.image.width == tile_w, "render_tile_grid: tile '", t.caption, "' is ",
             t.image.width, "x", t.image.height, ", the first is ", tile_w, "x", tile_h);
  const int gap = 6, caption_h = kCellHeight + 3;
  const int count = static_cast<int>(tiles.size());
  columns = std::min(columns, count);
  const int rows = (count + columns - 1) / columns;
  const int title_h = title.empty() ? 0 : bitmap_text_height(title) + 2 * gap;
  const int width = std::max(gap + columns * (tile_w + gap), gap + bitmap_text_width(title) + gap);
  Image out(title_h + gap + rows * (caption_h + tile_h + gap), width, kWhite);
  if (!title.empty()) draw_bitmap_text(out, gap, gap + 2, title, kBlack);
  for (int i = 0; i < count; ++i) {
    const int x = gap + (i % columns) * (tile_w + gap);
    const int y = title_h + gap + (i / columns) * (caption_h + tile_h + gap);
    draw_bitmap_text(out, x, y, fit_text(tiles[i].caption, tile_w), kBlack);
    paste(out, tiles[i].image, x, y + caption_h);
  }
  return out;
}

Image resize_nearest(const Image& image, int out_height, int out_width) {
  FC_CHECK(!image.empty() && out_height > 0 && out_width > 0, "resize_nearest: ", image.width, "x", image.height,
           " -> ", out_width, "x", out_height);
  Image out(out_height, out_width);
  for (int y = 0; y < out_height; ++y)
    for (int x = 0; x < out_width; ++x)
      std::copy_n(image.at(static_cast<int>(static_cast<int64_t>(y) * image.height / out_height),
                           static_cast<int>(static_cast<int64_t>(x) * image.width / out_width)),
                  3, out.at(y, x));
  return out;
}

Image heat_overlay_tile(const Tensor& map, int size) {
  FC_CHECK(map.ndim() == 2, "heat_overlay_tile: expected a map (S, S), got ", map.shape());
  FC_CHECK(size > 0, "heat_overlay_tile: size ", size);
  NoGradGuard no_grad;
  Tensor up = interpolate(map.reshape({1, 1, map.size(0), map.size(1)}), size, size, InterpolateMode::bilinear)
                  .reshape({size, size});
  const std::vector<float> v = map.to_vector();
  const auto [low, high] = std::minmax_element(v.begin(), v.end());
  return heat_map_image(up, *low, *high > *low ? *high : *low + 1.f);
}

}  // namespace fc::viz
