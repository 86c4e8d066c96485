#include "tools/analysis_report.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <sstream>

namespace fc::tools {

using faceptor::AgeOutput;
using faceptor::AttributesOutput;
using faceptor::ExpressionOutput;
using faceptor::LandmarksOutput;
using faceptor::ParsingOutput;
using faceptor::RecognitionOutput;
using Json = nlohmann::ordered_json;

namespace {

std::string format(const char* fmt, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a);
  return buf;
}

std::vector<int64_t> class_pixels(const ParsingOutput& p) {
  std::vector<int64_t> counts(p.names.size(), 0);
  for (int32_t l : p.labels)
    if (l >= 0 && static_cast<size_t>(l) < counts.size()) ++counts[l];
  return counts;
}

// Indices of `values` by decreasing value.
std::vector<size_t> ranking(const std::vector<float>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] > values[b]; });
  return order;
}

struct JsonOfOutput {
  Json& out;
  void operator()(const RecognitionOutput& r) const {
    out["norm"] = r.norm;
    out["embedding"] = r.embedding;
    out["normalized"] = r.normalized;
  }
  void operator()(const AgeOutput& a) const {
    out["age"] = a.age;
    out["distribution"] = a.distribution;
  }
  void operator()(const AttributesOutput& a) const {
    Json probs = Json::object();
    for (size_t i = 0; i < a.names.size(); ++i) probs[a.names[i]] = a.probabilities[i];
    out["probabilities"] = probs;
  }
  void operator()(const ExpressionOutput& e) const {
    Json probs = Json::object();
    for (size_t i = 0; i < e.names.size(); ++i) probs[e.names[i]] = e.probabilities[i];
    out["probabilities"] = probs;
    out["top"] = e.top_label;
    out["top_probability"] = e.probabilities[e.top];
  }
  void operator()(const ParsingOutput& p) const {
    out["classes"] = p.names;
    out["height"] = p.height;
    out["width"] = p.width;
    Json pixels = Json::object();
    std::vector<int64_t> counts = class_pixels(p);
    for (size_t i = 0; i < p.names.size(); ++i) pixels[p.names[i]] = counts[i];
    out["class_pixels"] = pixels;
    Json rows = Json::array();
    for (int y = 0; y < p.height; ++y)
      rows.push_back(std::vector<int32_t>(p.labels.begin() + static_cast<size_t>(y) * p.width,
                                          p.labels.begin() + static_cast<size_t>(y + 1) * p.width));
    out["labels"] = std::move(rows);
  }
  void operator()(const LandmarksOutput& l) const {
    Json points = Json::array();
    for (const Point2& p : l.points) points.push_back({p.x, p.y});
    out["points"] = std::move(points);
  }
};

struct TableOfOutput {
  std::string operator()(const RecognitionOutput& r) const {
    return std::to_string(r.embedding.size()) + "-d embedding, norm " + format("%.4g", r.norm);
  }
  std::string operator()(const AgeOutput& a) const { return format("%.1f years", a.age); }
  std::string operator()(const AttributesOutput& a) const {
    std::string s;
    std::vector<size_t> order = ranking(a.probabilities);
    for (size_t i = 0; i < std::min<size_t>(5, order.size()); ++i)
      s += (i ? ", " : "") + a.names[order[i]] + format(" %.2f", a.probabilities[order[i]]);
    return s + " (top 5 of " + std::to_string(a.names.size()) + ")";
  }
  std::string operator()(const ExpressionOutput& e) const {
    std::string s = e.top_label + format(" %.2f", e.probabilities[e.top]);
    std::vector<size_t> order = ranking(e.probabilities);
    for (size_t i = 1; i < std::min<size_t>(3, order.size()); ++i)
      s += (i == 1 ? " (then " : ", ") + e.names[order[i]] + format(" %.2f", e.probabilities[order[i]]);
    return s + (order.size() > 1 ? ")" : "");
  }
  std::string operator()(const ParsingOutput& p) const {
    std::vector<int64_t> counts = class_pixels(p);
    std::vector<float> share(counts.size());
    const double total = std::max<double>(1, static_cast<double>(p.labels.size()));
    for (size_t i = 0; i < counts.size(); ++i) share[i] = static_cast<float>(counts[i] / total);
    std::string s = std::to_string(p.names.size()) + " classes:";
    std::vector<size_t> order = ranking(share);
    for (size_t i = 0; i < std::min<size_t>(4, order.size()); ++i)
      s += (i ? ", " : " ") + p.names[order[i]] + format(" %.1f%%", 100.0 * share[order[i]]);
    return s;
  }
  std::string operator()(const LandmarksOutput& l) const {
    if (l.points.empty()) return "0 points";
    double x0 = l.points[0].x, x1 = x0, y0 = l.points[0].y, y1 = y0;
    for (const Point2& p : l.points) {
      x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
    }
    return std::to_string(l.points.size()) + " points within x " + format("%.0f", x0) + ".." + format("%.0f", x1) +
           ", y " + format("%.0f", y0) + ".." + format("%.0f", y1);
  }
};

}  // namespace

Json region_json(const faceptor::FaceRegion& region, bool from_tensor) {
  Json r;
  if (region.points) {
    r["kind"] = "five_points";
    Json points = Json::array();
    for (const Point2& p : *region.points) points.push_back({p.x, p.y});
    r["points"] = std::move(points);
  } else if (region.box) {
    r["kind"] = "box";
    r["box"] = {region.box->x1, region.box->y1, region.box->x2, region.box->y2};
  } else {
    r["kind"] = from_tensor ? "input_tensor" : "whole_image";
  }
  return r;
}

Json analysis_json(const std::string& input_name, const faceptor::Analysis& analysis,
                   const faceptor::FaceRegion& region, bool from_tensor) {
  Json doc;
  doc["input"] = input_name;
  doc["frame"] = {{"kind", from_tensor ? "input_tensor" : "image"},
                  {"width", analysis.frame_width},
                  {"height", analysis.frame_height}};
  doc["region"] = region_json(region, from_tensor);
  Json passes = Json::array();
  for (const faceptor::AnalysisPass& p : analysis.passes)
    passes.push_back({{"input_size", p.input_size},
                      {"grid", p.encoder.grid},
                      {"encoder_layers", p.encoder.tokens.size()},
                      {"crop_matrix", p.crop.matrix.m}});
  doc["passes"] = std::move(passes);
  Json tasks = Json::object();
  for (const faceptor::TaskAnalysis& t : analysis.tasks) {
    Json out;
    out["kind"] = faceptor::task_kind_name(t.spec->kind);
    out["input_size"] = t.spec->input_size;
    std::visit(JsonOfOutput{out}, t.output);
    tasks[t.spec->name] = std::move(out);
  }
  doc["tasks"] = std::move(tasks);
  return doc;
}

std::string analysis_table(const std::string& input_name, const faceptor::Analysis& analysis) {
  std::ostringstream out;
  out << input_name << " (" << analysis.frame_width << "x" << analysis.frame_height << ")\n";
  size_t kind_width = 0, name_width = 0;
  for (const faceptor::TaskAnalysis& t : analysis.tasks) {
    kind_width = std::max(kind_width, std::string(faceptor::task_kind_name(t.spec->kind)).size());
    name_width = std::max(name_width, t.spec->name.size());
  }
  for (const faceptor::TaskAnalysis& t : analysis.tasks) {
    std::string kind = faceptor::task_kind_name(t.spec->kind);
    out << "  " << kind << std::string(kind_width + 2 - kind.size(), ' ') << t.spec->name
        << std::string(name_width + 2 - t.spec->name.size(), ' ') << std::visit(TableOfOutput{}, t.output) << "\n";
  }
  return out.str();
}

}  // namespace fc::tools
