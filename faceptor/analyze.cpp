#include "faceptor/analyze.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "core/autograd.h"
#include "core/error.h"
#include "faceptor/outputs.h"
#include "faceptor/preprocess.h"
#include "ops/softmax.h"

namespace fc::faceptor {

namespace {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Label names for K outputs: the task's own, or "0".."K-1" for a task described without names.
std::vector<std::string> label_names(const TaskSpec& spec, int64_t count) {
  if (static_cast<int64_t>(spec.labels.size()) == count) return spec.labels;
  std::vector<std::string> out;
  for (int64_t i = 0; i < count; ++i) out.push_back(std::to_string(i));
  return out;
}

std::vector<float> row0(const Tensor& t) {  // (1, K) -> K values
  FC_CHECK(t.ndim() == 2 && t.size(0) == 1, "analyze: expected a (1, K) head output, got ", t.shape());
  return t.to_vector();
}

// The 512 pipeline's parsing rule (official test_post_transform): logits to the crop size, warped
// back to the frame bilinearly, then argmax.
TaskOutput parsing_output(const TaskSpec& spec, const Tensor& raw, const CropWarp& crop, int frame_height,
                          int frame_width, bool probabilities) {
  FC_CHECK(raw.ndim() == 4 && raw.size(0) == 1, "analyze: ", spec.name, ": expected parsing logits (1, K, h, w), got ",
           raw.shape());
  Tensor crop_logits = parsing_logits_resized(raw, crop.height, crop.width).select(0, 0);
  Tensor frame_logits = warp_from_crop(crop_logits, crop, frame_height, frame_width);
  ParsingOutput out;
  out.names = label_names(spec, raw.size(1));
  out.height = frame_height;
  out.width = frame_width;
  out.labels = argmax_channels(frame_logits);
  if (probabilities) out.probabilities = softmax(frame_logits, 0);
  return out;
}

TaskOutput landmarks_output(const TaskSpec& spec, const Tensor& raw, const CropWarp& crop) {
  FC_CHECK(raw.ndim() == 4 && raw.size(0) == 1, "analyze: ", spec.name, ": expected heatmaps (1, P, h, w), got ",
           raw.shape());
  std::vector<float> xy = landmarks_from_heatmaps(raw).to_vector();  // (1, P, 2), normalised
  LandmarksOutput out;
  for (size_t i = 0; i + 1 < xy.size(); i += 2) {
    // ref: the official AlignOutput: crop pixels = normalised * size - 0.5.
    Point2 in_crop{xy[i] * crop.width - 0.5, xy[i + 1] * crop.height - 0.5};
    out.points.push_back(crop.crop_to_image(in_crop));
  }
  return out;
}

using OutputRule = std::function<TaskOutput(const TaskSpec&, const Tensor& raw, const CropWarp&, int frame_height,
                                            int frame_width, bool parsing_probabilities)>;

// One rule per task kind (faceptor/outputs.h holds the math); a new kind is one more row.
const std::map<TaskKind, OutputRule>& output_rules() {
  static const std::map<TaskKind, OutputRule> rules = {
      {TaskKind::recognition,
       [](const TaskSpec&, const Tensor& raw, const CropWarp&, int, int, bool) -> TaskOutput {
         RecognitionOutput out;
         out.embedding = row0(raw);
         double sum = 0;
         for (float v : out.embedding) sum += static_cast<double>(v) * v;
         out.norm = std::sqrt(sum);
         const double scale = out.norm > 0 ? 1.0 / out.norm : 0.0;
         for (float v : out.embedding) out.normalized.push_back(static_cast<float>(v * scale));
         return out;
       }},
      {TaskKind::age,
       [](const TaskSpec&, const Tensor& raw, const CropWarp&, int, int, bool) -> TaskOutput {
         AgeEstimate estimate = age_from_logits(raw);
         return AgeOutput{estimate.age.to_vector().at(0), row0(estimate.distribution)};
       }},
      {TaskKind::attributes,
       [](const TaskSpec& spec, const Tensor& raw, const CropWarp&, int, int, bool) -> TaskOutput {
         return AttributesOutput{label_names(spec, raw.size(-1)), row0(attribute_probabilities(raw))};
       }},
      {TaskKind::expression,
       [](const TaskSpec& spec, const Tensor& raw, const CropWarp&, int, int, bool) -> TaskOutput {
         ExpressionOutput out{label_names(spec, raw.size(-1)), row0(expression_probabilities(raw)), 0, ""};
         out.top = static_cast<int>(std::max_element(out.probabilities.begin(), out.probabilities.end()) -
                                    out.probabilities.begin());
         out.top_label = out.names.at(out.top);
         return out;
       }},
      {TaskKind::parsing, parsing_output},
      {TaskKind::landmarks,
       [](const TaskSpec& spec, const Tensor& raw, const CropWarp& crop, int, int, bool) {
         return landmarks_output(spec, raw, crop);
       }},
  };
  return rules;
}

// The 112 path crops like PIL's Image.crop: box edges rounded to whole pixels, black outside.
Image crop_like_pil(const Image& image, int left, int top, int right, int bottom) {
  Image out(bottom - top, right - left);
  for (int y = top; y < bottom; ++y)
    for (int x = left; x < right; ++x)
      if (image.contains(y, x)) std::copy_n(image.at(y, x), 3, out.at(y - top, x - left));
  return out;
}

CropWarp identity_crop(int size) { return {Affine2D{}, size, size, 0.0}; }

void check_options(const AnalyzeOptions& options) {
  FC_CHECK(options.box_scale > 0 && std::isfinite(options.box_scale), "analyze: box_scale ", options.box_scale,
           " must be positive");
  if (options.region.box) {
    const Box& b = *options.region.box;
    FC_CHECK(std::isfinite(b.x1) && std::isfinite(b.y1) && std::isfinite(b.x2) && std::isfinite(b.y2) && b.x2 > b.x1 &&
                 b.y2 > b.y1,
             "analyze: face box (", b.x1, ", ", b.y1, ", ", b.x2, ", ", b.y2, ") must have x2 > x1 and y2 > y1");
  }
}

// Runs the tasks (all of one input size) on `input` and interprets them in the frame.
void run_pass(const FaceModel& model, Tensor input, CropWarp crop, const std::vector<std::string>& tasks,
              const AnalyzeOptions& options, Analysis& analysis) {
  NoGradGuard no_grad;
  PassResult result = model.run(input, tasks, {.keep_encoder_layers = options.keep_encoder_layers});
  for (const std::string& name : tasks) {
    TaskResult& tr = result.tasks.at(name);
    TaskAnalysis ta;
    ta.spec = tr.spec;
    ta.raw = tr.raw;
    ta.output = interpret_task_output(*tr.spec, tr.raw, crop, analysis.frame_height, analysis.frame_width,
                                      options.parsing_probabilities);
    analysis.tasks.push_back(std::move(ta));
  }
  analysis.passes.push_back({static_cast<int>(input.size(2)), input, std::move(result.encoder), crop});
}

void sort_by_config_order(const ModelConfig& config, Analysis& analysis) {
  auto index = [&](const TaskAnalysis& t) {
    for (size_t i = 0; i < config.tasks.size(); ++i)
      if (config.tasks[i].name == t.spec->name) return i;
    return config.tasks.size();
  };
  std::stable_sort(analysis.tasks.begin(), analysis.tasks.end(),
                   [&](const TaskAnalysis& a, const TaskAnalysis& b) { return index(a) < index(b); });
  std::sort(analysis.passes.begin(), analysis.passes.end(),
            [](const AnalysisPass& a, const AnalysisPass& b) { return a.input_size < b.input_size; });
}

}  // namespace

std::vector<std::string> resolve_tasks(const ModelConfig& config, const std::vector<std::string>& words) {
  std::set<std::string> wanted;
  for (const std::string& word : words) {
    if (word == "all") {
      for (const TaskSpec& t : config.tasks) wanted.insert(t.name);
      continue;
    }
    if (config.find_task(word) != nullptr) {
      wanted.insert(word);
      continue;
    }
    std::optional<TaskKind> kind = parse_task_kind(word);
    bool found = false;
    for (const TaskSpec& t : config.tasks)
      if (kind && t.kind == *kind) {
        wanted.insert(t.name);
        found = true;
      }
    if (found) continue;
    std::vector<std::string> kinds, names;
    for (const TaskSpec& t : config.tasks) {
      names.push_back(t.name);
      if (std::find(kinds.begin(), kinds.end(), task_kind_name(t.kind)) == kinds.end())
        kinds.push_back(task_kind_name(t.kind));
    }
    FC_CHECK(false, "unknown task '", word, "'", kind ? " (the model has no task of that kind)" : "",
             "; the model has kinds: ", join_names(kinds), "; tasks: ", join_names(names));
  }
  std::vector<std::string> out;
  for (const TaskSpec& t : config.tasks)
    if (wanted.count(t.name)) out.push_back(t.name);
  return out;
}

bool uses_dense_input(const ModelConfig& config, int input_size) {
  bool dense = false, other = false;
  for (const TaskSpec& t : config.tasks) {
    if (t.input_size != input_size) continue;
    (t.interpreter == InterpreterKind::map ? dense : other) = true;
  }
  FC_CHECK(!(dense && other), "analyze: the model mixes map and other tasks at input size ", input_size,
           "; their preprocessing differs");
  return dense;
}

const TaskAnalysis* Analysis::find(const std::string& task_name) const {
  for (const TaskAnalysis& t : tasks)
    if (t.spec->name == task_name) return &t;
  return nullptr;
}

PreparedInput prepare_input(const Image& image, int input_size, bool dense, const AnalyzeOptions& options) {
  FC_CHECK(!image.empty(), "analyze: empty image");
  check_options(options);
  const FaceRegion& region = options.region;
  if (dense) {
    CropWarp crop = region.points ? dense_crop_from_five_points(*region.points, farl_five_point_template(input_size),
                                                                input_size, options.five_point_warp_factor)
                    : region.box ? dense_crop_from_box(*region.box, input_size, options.box_scale)
                                 : dense_crop_whole_image(image.height, image.width, input_size);
    return {dense_input(image, crop), crop};
  }
  if (region.points) {
    // The aligned face is rounded to 8 bits like a stored aligned crop (MS1MV3 ships them so).
    CropWarp crop = dense_crop_from_five_points(*region.points, arcface_five_point_template(input_size), input_size);
    Image aligned = image_from_tensor01(warp_to_crop(image_to_tensor01(image), crop));
    return {attribute_input(aligned, input_size), crop};
  }
  if (region.box) {
    // Boundary coordinates -> PIL crop edges (pixel i spans [i, i + 1) there), rounded as PIL does.
    const Box& b = *region.box;
    const int left = static_cast<int>(std::lround(b.x1 + 0.5)), top = static_cast<int>(std::lround(b.y1 + 0.5));
    const int right = static_cast<int>(std::lround(b.x2 + 0.5)), bottom = static_cast<int>(std::lround(b.y2 + 0.5));
    FC_CHECK(right > left && bottom > top, "analyze: face box (", b.x1, ", ", b.y1, ", ", b.x2, ", ", b.y2,
             ") covers no whole pixel");
    Image face = crop_like_pil(image, left, top, right, bottom);
    CropWarp crop{crop_from_box({left - 0.5, top - 0.5, right - 0.5, bottom - 0.5}, input_size), input_size,
                  input_size, 0.0};
    return {attribute_input(face, input_size), crop};
  }
  return {attribute_input(image, input_size), dense_crop_whole_image(image.height, image.width, input_size)};
}

Analysis analyze(const FaceModel& model, const Image& image, const AnalyzeOptions& options) {
  FC_CHECK(!image.empty(), "analyze: empty image");
  check_options(options);
  std::vector<std::string> tasks = options.tasks;
  if (tasks.empty()) tasks = resolve_tasks(model.config, {"all"});
  std::map<int, std::vector<std::string>> by_size;
  for (const std::string& name : tasks) {
    const TaskSpec* spec = model.config.find_task(name);
    FC_CHECK(spec != nullptr, "analyze: unknown task '", name, "'");
    by_size[spec->input_size].push_back(name);
  }
  Analysis analysis;
  analysis.frame_height = image.height;
  analysis.frame_width = image.width;
  for (const auto& [size, names] : by_size) {
    PreparedInput prepared = prepare_input(image, size, uses_dense_input(model.config, size), options);
    run_pass(model, prepared.input, prepared.crop, names, options, analysis);
  }
  sort_by_config_order(model.config, analysis);
  return analysis;
}

Analysis analyze_input(const FaceModel& model, const Tensor& input, const AnalyzeOptions& options) {
  FC_CHECK(input.ndim() == 4 && input.size(0) == 1 && input.size(1) == 3 && input.size(2) == input.size(3),
           "analyze: a preprocessed input must be (1, 3, S, S), got ", input.shape());
  FC_CHECK(!options.region.box && !options.region.points,
           "analyze: a face box or points make no sense for an already preprocessed input");
  const int size = static_cast<int>(input.size(2));
  std::vector<std::string> tasks = options.tasks.empty() ? model.tasks_for_size(size) : options.tasks;
  FC_CHECK(!tasks.empty(), "analyze: the model has no task for ", size, "x", size, " inputs");
  for (const std::string& name : tasks) {
    const TaskSpec* spec = model.config.find_task(name);
    FC_CHECK(spec != nullptr, "analyze: unknown task '", name, "'");
    FC_CHECK(spec->input_size == size, "analyze: task ", name, " takes ", spec->input_size, "x", spec->input_size,
             " inputs, the input is ", size, "x", size);
  }
  Analysis analysis;
  analysis.frame_height = analysis.frame_width = size;
  run_pass(model, input.contiguous(), identity_crop(size), tasks, options, analysis);
  sort_by_config_order(model.config, analysis);
  return analysis;
}

TaskOutput interpret_task_output(const TaskSpec& spec, const Tensor& raw, const CropWarp& crop, int frame_height,
                                 int frame_width, bool parsing_probabilities) {
  auto rule = output_rules().find(spec.kind);
  FC_CHECK(rule != output_rules().end(), "analyze: task ", spec.name, " has kind ", task_kind_name(spec.kind),
           ", which has no output rule");
  return rule->second(spec, raw, crop, frame_height, frame_width, parsing_probabilities);
}

}  // namespace fc::faceptor
