#include "tools/model_summary.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace fc::tools {

using namespace faceptor;

namespace {

std::string list(const std::vector<int>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string pad(const std::string& s, size_t width) {
  return s + std::string(width > s.size() ? width - s.size() : 1, ' ');
}

std::string percent(int64_t part, int64_t total) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f%%",
                total ? 100.0 * static_cast<double>(part) / static_cast<double>(total) : 0.0);
  return buf;
}

}  // namespace

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

ParameterBreakdown parameter_breakdown(FaceptorModel& model) {
  ParameterBreakdown p;
  p.encoder = model.encoder.parameter_count();
  if (model.decoder) {
    FaceptorDecoder& d = *model.decoder;
    int64_t queries = 0;
    for (const TaskSpec& t : model.config.tasks) {
      if (!d.query_feat.count(t.name)) continue;
      const int64_t n = d.query_feat.at(t.name)->parameter_count() + d.query_embed.at(t.name)->parameter_count();
      p.task_queries.emplace_back(t.name, n);
      queries += n;
    }
    if (d.new_level_embed) p.layer_attention += d.new_level_embed->parameter_count();
    for (auto& proj : d.new_input_proj) p.layer_attention += proj->parameter_count();
    p.decoder_shared = d.parameter_count() - queries - p.layer_attention;
  }
  if (model.feature_interpreter) p.interpreters.emplace_back("feature", model.feature_interpreter->parameter_count());
  if (model.value_interpreter) p.interpreters.emplace_back("value", model.value_interpreter->parameter_count());
  if (model.map_interpreter) p.interpreters.emplace_back("map", model.map_interpreter->parameter_count());
  p.total = model.parameter_count();
  for (auto& [name, t] : model.named_buffers()) p.buffer_values += t->numel();
  return p;
}

std::string architecture_summary(const ModelConfig& c) {
  std::ostringstream out;
  out << "encoder: FaRL ViT, width " << c.encoder.width << ", " << c.encoder.layers << " layers, " << c.encoder.heads
      << " heads, patch " << c.encoder.patch << ", positional grid " << c.encoder.pos_grid << "x" << c.encoder.pos_grid
      << "\n";
  if (c.is_naive()) {
    out << "architecture: Naive Faceptor (one standardized head per task kind)\n";
    for (const NaiveHeadSpec& h : c.naive.heads) {
      out << "head " << h.name << ": " << naive_head_type_name(h.type) << ", layers " << list(h.levels) << ", tasks";
      for (const std::string& t : h.tasks) out << " " << t;
      out << "\n";
    }
    out << "attribute heads: " << c.naive.attribute_channels << " channels; dense heads: " << c.naive.dense_channels
        << " channels, pool scales " << list(c.naive.pool_scales) << "\n";
  } else if (c.has_decoder_tasks()) {
    out << "decoder: hidden " << c.decoder.hidden << ", " << c.decoder.heads << " heads, FFN " << c.decoder.ffn << ", "
        << c.decoder.layers << " layers; levels " << list(c.decoder.levels);
    if (!c.decoder.new_levels.empty()) out << " + Layer-Attention new levels " << list(c.decoder.new_levels);
    out << "\n";
  } else {
    out << "decoder: none (no decoder tasks)\n";
  }
  out << "embedding: " << c.embedding_dim << "-d\n";
  return out.str();
}

std::string task_table(const ModelConfig& c) {
  std::ostringstream out;
  out << "tasks (" << c.tasks.size() << "):\n";
  size_t width = 4;
  for (const TaskSpec& t : c.tasks) width = std::max(width, t.name.size());
  out << "  " << pad("name", width + 2) << pad("kind", 13) << pad("queries", 9) << pad("input", 7) << "interpreter\n";
  for (const TaskSpec& t : c.tasks)
    out << "  " << pad(t.name, width + 2) << pad(task_kind_name(t.kind), 13) << pad(std::to_string(t.queries), 9)
        << pad(std::to_string(t.input_size), 7) << interpreter_name(t.interpreter) << "\n";
  return out.str();
}

std::string parameter_table(const ParameterBreakdown& p, const ModelConfig& c) {
  std::vector<std::pair<std::string, int64_t>> rows = {{"encoder", p.encoder}};
  if (c.has_decoder_tasks()) rows.emplace_back("decoder (shared)", p.decoder_shared);
  if (p.layer_attention) rows.emplace_back("Layer-Attention (new_input_proj, new_level_embed)", p.layer_attention);
  for (const auto& [task, n] : p.task_queries) rows.emplace_back("queries " + task, n);
  for (const auto& [name, n] : p.interpreters) rows.emplace_back("interpreter " + name, n);
  rows.emplace_back("total", p.total);
  size_t width = 0, number = 0;
  for (const auto& [label, n] : rows) {
    width = std::max(width, label.size());
    number = std::max(number, with_commas(n).size());
  }
  std::ostringstream out;
  out << "parameters:\n";
  for (const auto& [label, n] : rows) {
    const std::string v = with_commas(n);
    out << "  " << pad(label, width + 2) << std::string(number - v.size(), ' ') << v << "  " << percent(n, p.total)
        << "\n";
  }
  out << "  (plus " << with_commas(p.buffer_values) << " BatchNorm statistics, not parameters)\n";
  if (c.has_decoder_tasks()) {
    const int64_t per_query = 2LL * c.decoder.hidden;
    out << "one more task costs " << with_commas(per_query) << " parameters per query (query_feat + query_embed, 2 x "
        << c.decoder.hidden << "): e.g. " << with_commas(40 * per_query) << " for 40 attributes, "
        << percent(40 * per_query, p.total) << " of this model; encoder, decoder and interpreters are shared\n";
  }
  return out.str();
}

}  // namespace fc::tools
