#include "tools/storage_table.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/error.h"
#include "faceptor/model.h"
#include "faceptor/naive/model.h"
#include "tools/model_summary.h"

namespace fc::tools {

using namespace faceptor;

namespace {

std::string percent(int64_t part, int64_t total) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", total ? 100.0 * static_cast<double>(part) / static_cast<double>(total) : 0.0);
  return buf;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

StorageReport faceptor_report(FaceptorModel& model) {
  ParameterBreakdown p = parameter_breakdown(model);
  StorageReport r;
  r.design = "Faceptor";
  r.shared_label = "encoder, decoder, interpreters";
  r.total = p.total;
  int64_t owned = 0;
  for (const auto& [task, n] : p.task_queries) {
    r.owned.push_back({task, n, ""});
    owned += n;
  }
  if (p.layer_attention) r.owned.push_back({"Layer-Attention additions (stage 2)", p.layer_attention, ""});
  r.shared = p.total - owned - p.layer_attention;
  const int64_t per_query = 2LL * model.config.decoder.hidden;
  r.one_more_task = str_cat(with_commas(per_query), " parameters per query (query_feat + query_embed), e.g. ",
                            with_commas(40 * per_query), " for 40 attributes (", percent(40 * per_query, p.total),
                            " of the model)");
  return r;
}

StorageReport naive_report(naive::NaiveFaceptorModel& model) {
  const ModelConfig& c = model.config;
  StorageReport r;
  r.design = "Naive Faceptor";
  r.shared_label = "encoder";
  r.shared = model.encoder.parameter_count();
  r.total = model.parameter_count();
  for (const NaiveHeadSpec& spec : c.naive.heads) {
    StorageReport::Owned o{spec.name + " head (" + joined(spec.tasks) + ")", model.head(spec.name).parameter_count(), ""};
    if (spec.tasks.size() > 1 && spec.type == NaiveHeadType::attribute) {
      const int64_t per = c.naive.attribute_channels + 1;
      o.note = str_cat("per-task output layers: ", with_commas(per), " per output");
    } else if (spec.tasks.size() > 1) {
      o.note = str_cat("per-task output channels: ", with_commas(c.naive.dense_channels + 1), " each");
    }
    r.owned.push_back(o);
  }
  // A head with a single one-output task, less that output: the cost of a new kind of task.
  const int width = c.encoder.width;
  naive::AttributeHead attribute({"x", NaiveHeadType::attribute, {0, 0, 0, 0}, {"x_1"}}, {1}, width, c.naive);
  naive::DenseHead dense({"x", NaiveHeadType::dense, {0, 0, 0, 0}, {"x_1"}}, {1}, width, c.naive);
  const int64_t attribute_trunk = attribute.parameter_count() - (c.naive.attribute_channels + 1);
  const int64_t dense_trunk = dense.parameter_count() - (c.naive.dense_channels + 1);
  r.one_more_task = str_cat("a new kind of task needs its own head: attribute-type ", with_commas(attribute_trunk),
                            " (", percent(attribute_trunk, r.total), "), dense ", with_commas(dense_trunk), " (",
                            percent(dense_trunk, r.total), ") plus its outputs; another dataset of an existing kind adds ",
                            with_commas(c.naive.attribute_channels + 1), " per attribute-type output or ",
                            with_commas(c.naive.dense_channels + 1), " per dense channel");
  return r;
}

}  // namespace

StorageReport storage_report(FaceModel& model) {
  if (auto* n = dynamic_cast<naive::NaiveFaceptorModel*>(&model)) return naive_report(*n);
  return faceptor_report(dynamic_cast<FaceptorModel&>(model));
}

std::unique_ptr<FaceModel> other_design(const ModelConfig& config) {
  ModelConfig other = config;
  if (config.is_naive()) {
    other.architecture = kArchitectureFaceptor;
    other.naive = NaiveConfig{};
    other.decoder = DecoderConfig{};
    other.decoder.levels = {other.encoder.layers - 1};
    return std::make_unique<FaceptorModel>(other);
  }
  other.architecture = kArchitectureNaive;
  other.naive.heads = NaiveConfig::default_heads(other.tasks, other.encoder.layers);
  return std::make_unique<naive::NaiveFaceptorModel>(other);
}

std::string storage_table(const StorageReport& r, const std::string& which) {
  size_t width = std::string("shared by every task (") .size() + r.shared_label.size() + 1;
  for (const auto& o : r.owned) width = std::max(width, o.label.size() + 2);
  const size_t number = with_commas(r.total).size();
  auto row = [&](const std::string& label, int64_t n, const std::string& note) {
    const std::string v = with_commas(n);
    std::string line = "  " + label + std::string(width + 2 - std::min(width + 1, label.size()), ' ') +
                       std::string(number - std::min(number, v.size()), ' ') + v + "  " + percent(n, r.total);
    if (!note.empty()) line += "  (" + note + ")";
    return line + "\n";
  };
  std::ostringstream out;
  out << "storage, " << r.design << " (" << which << "):\n";
  out << row("shared by every task (" + r.shared_label + ")", r.shared, "");
  for (const auto& o : r.owned) out << row("  " + o.label, o.parameters, o.note);
  out << row("total", r.total, "");
  out << "  one more task: " << r.one_more_task << "\n";
  return out.str();
}

}  // namespace fc::tools
