// Text that describes a model for `faceptor info` and `faceptor convert`: the architecture, the
// task table, and where the parameters are (the paper's storage argument: every task shares the
// encoder, the decoder and the interpreters, and owns only its queries).
//
//   std::cout << architecture_summary(model.config) << task_table(model.config);
//   ParameterBreakdown p = parameter_breakdown(model);   // p.task_queries["age_morph2"] ...
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "faceptor/model.h"

namespace fc::tools {

struct ParameterBreakdown {
  int64_t encoder = 0;
  int64_t decoder_shared = 0;   // decoder layers, input_proj, level_embed, adapt_pos2d
  int64_t layer_attention = 0;  // stage-2 new_input_proj + new_level_embed
  std::vector<std::pair<std::string, int64_t>> task_queries;  // query_feat + query_embed per task
  std::vector<std::pair<std::string, int64_t>> interpreters;  // feature, value, map
  int64_t total = 0;            // every parameter (sums the parts above)
  int64_t buffer_values = 0;    // BatchNorm running statistics (not parameters)
};
ParameterBreakdown parameter_breakdown(faceptor::FaceptorModel& model);

std::string architecture_summary(const faceptor::ModelConfig& config);  // a few lines
std::string task_table(const faceptor::ModelConfig& config);           // header + one line per task
std::string parameter_table(const ParameterBreakdown& p, const faceptor::ModelConfig& config);
std::string with_commas(int64_t n);  // 1234567 -> "1,234,567"

}  // namespace fc::tools
