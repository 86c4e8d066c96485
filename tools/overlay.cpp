#include "tools/overlay.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "faceptor/draw.h"
#include "faceptor/preprocess.h"

namespace fc::tools {

using namespace faceptor;

Image draw_overlay(const Image& base, const Analysis& analysis) {
  FC_CHECK(base.height == analysis.frame_height && base.width == analysis.frame_width, "overlay: picture ", base.width,
           "x", base.height, " is not the analysis frame ", analysis.frame_width, "x", analysis.frame_height);
  Image panel = base;
  std::vector<std::string> legend;
  for (const TaskAnalysis& t : analysis.tasks) {
    const auto* parsing = std::get_if<ParsingOutput>(&t.output);
    if (parsing == nullptr) continue;
    // A palette as long as the class list (the CelebAMask-HQ colours, repeated if ever needed).
    std::span<const Rgb> base_palette = celebamask_palette();
    std::vector<Rgb> palette;
    for (size_t i = 0; i < parsing->names.size(); ++i) palette.push_back(base_palette[i % base_palette.size()]);
    blend_label_map(panel, parsing->labels, palette, 0.5f);
    legend.push_back("parsing: " + t.spec->name);
    break;  // several label maps on one picture would hide each other
  }
  static const Rgb kPointColors[] = {{255, 255, 0}, {0, 255, 255}, {255, 0, 255}, {0, 255, 0}, {255, 128, 0}};
  const double radius = std::max(1.5, std::min(base.height, base.width) / 200.0);
  int landmark_tasks = 0;
  for (const TaskAnalysis& t : analysis.tasks) {
    const auto* landmarks = std::get_if<LandmarksOutput>(&t.output);
    if (landmarks == nullptr) continue;
    const Rgb color = kPointColors[landmark_tasks++ % std::size(kPointColors)];
    for (const Point2& p : landmarks->points) draw_filled_circle(panel, p, radius, color);
    legend.push_back("points: " + t.spec->name);
  }
  for (const TaskAnalysis& t : analysis.tasks) {
    char line[128];
    if (const auto* age = std::get_if<AgeOutput>(&t.output)) {
      std::snprintf(line, sizeof line, "age %.1f (%s)", age->age, t.spec->name.c_str());
      legend.push_back(line);
    } else if (const auto* e = std::get_if<ExpressionOutput>(&t.output)) {
      std::snprintf(line, sizeof line, "%s %.2f (%s)", e->top_label.c_str(), e->probabilities[e->top],
                    t.spec->name.c_str());
      legend.push_back(line);
    }
  }
  std::string text;
  for (const std::string& l : legend) text += (text.empty() ? "" : "\n") + l;
  if (!text.empty()) draw_text(panel, 4, 4, text, {255, 255, 255}, std::max(1, base.width / 400), Rgb{0, 0, 0});
  return panel;
}

}  // namespace fc::tools
