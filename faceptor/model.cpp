#include "faceptor/model.h"

#include <algorithm>

#include "core/error.h"

namespace fc::faceptor {

FaceptorModel::FaceptorModel(ModelConfig c) : FaceModel(std::move(c)) {
  FC_CHECK(!config.is_naive(), "FaceptorModel: the config describes a Naive Faceptor model (use naive::NaiveFaceptorModel)");
  bool any_feature = false, any_value = false, any_map = false;
  for (const TaskSpec& t : config.tasks) {
    any_feature |= t.interpreter == InterpreterKind::feature;
    any_value |= t.interpreter == InterpreterKind::value;
    any_map |= t.interpreter == InterpreterKind::map;
  }
  if (config.has_decoder_tasks()) {
    decoder = std::make_unique<FaceptorDecoder>(config.decoder, config.encoder.width, config.encoder.layers,
                                                config.tasks);
    register_module("decoder", decoder.get());
  }
  if (any_feature) {
    feature_interpreter = std::make_unique<FeatureInterpreter>(config.encoder.width, config.embedding_dim);
    register_module("interpreters.feature_v2", feature_interpreter.get());
  }
  if (any_value) {
    value_interpreter = std::make_unique<ValueInterpreter>(config.decoder.hidden);
    register_module("interpreters.value", value_interpreter.get());
  }
  if (any_map) {
    map_interpreter = std::make_unique<MapInterpreter>(config.decoder.hidden);
    register_module("interpreters.map_v2", map_interpreter.get());
  }
}

PassResult FaceptorModel::run(const Tensor& input, std::vector<std::string> tasks, const RunOptions& options) const {
  tasks = check_run_request(input, std::move(tasks), "FaceptorModel::run");

  PassResult result;
  result.encoder = encoder.forward(input);
  DecoderMemory memory;
  Tensor pixels;  // the pixel decoder's output, shared by every map task of this pass
  for (const std::string& name : tasks) {
    const TaskSpec* spec = config.find_task(name);
    TaskResult tr;
    tr.spec = spec;
    if (spec->interpreter == InterpreterKind::feature) {
      tr.raw = feature_interpreter->forward(result.encoder);
    } else {
      if (!memory.src.defined()) {
        memory = decoder->build_memory(result.encoder);
        result.memory_levels = memory.token_levels;
      }
      DecoderResult d = decoder->run_queries(memory, name, options.keep_attention);
      tr.decoder_output = d.output;
      tr.cross_attention = std::move(d.cross_attention);
      if (spec->interpreter == InterpreterKind::value) {
        tr.raw = value_interpreter->forward(d.output);
      } else {
        if (!pixels.defined()) pixels = map_interpreter->pixel_features(memory.decoder_src, memory.grid);
        tr.raw = map_interpreter->forward(pixels, d.output);
      }
    }
    result.tasks.emplace(name, std::move(tr));
  }
  return result;
}

}  // namespace fc::faceptor
