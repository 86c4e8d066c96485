// Faceptor analysis of one picture end to end: the model inputs (faceptor/preprocess.h), one
// encoder pass per input size shared by every requested task of that size (FaceptorModel::run),
// and each task's raw head output turned into what a user reads, in ORIGINAL-image coordinates.
//
//   auto model = load_model("faceptor_base.safetensors");
//   Image photo = load_image("photo.jpg");
//   AnalyzeOptions opts;
//   opts.tasks = resolve_tasks(model->config, {"age", "parsing", "landmarks"});
//   opts.region.points = std::array<Point2, 5>{...};    // optional: eyes, nose tip, mouth corners
//   Analysis a = analyze(*model, photo, opts);
//   for (const TaskAnalysis& t : a.tasks)
//     if (const auto* age = std::get_if<AgeOutput>(&t.output)) std::printf("%.1f\n", age->age);
//
// Which face region feeds the model (the 112 tasks / the 512 tasks):
//  - nothing given: the whole image, stretched to 112x112 (PIL-like resize) / to 512x512 (warp);
//  - a box: that box cropped (PIL crop semantics, black outside the image) and resized / the box
//    warped to 512 (scaled by box_scale about its centre, 0.8 being the official landmark-test zoom);
//  - five points: aligned onto the ArcFace 112 template (the MS1MV3 recognition crop) / onto the
//    FaRL 512 template (with the optional tanh warp of the official LaPa recipe).
// analyze_input takes an already preprocessed tensor instead: coordinates are then in its frame.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "faceptor/image.h"
#include "faceptor/model.h"
#include "faceptor/warp.h"

namespace fc::faceptor {

struct FaceRegion {
  std::optional<Box> box;                      // boundary coordinates (see warp.h)
  std::optional<std::array<Point2, 5>> points;  // pixel coordinates; wins over box when both given
};

struct AnalyzeOptions {
  std::vector<std::string> tasks;  // task names of the model; empty: every task
  FaceRegion region;
  double box_scale = 1.0;              // dense crop from a box, about its centre
  double five_point_warp_factor = 0.0;  // tanh warp of the dense five-point crop (LaPa: 0.8)
  bool parsing_probabilities = false;   // also keep the per-class softmax at image resolution
  bool keep_encoder_layers = false;     // every encoder layer in AnalysisPass::encoder (for dumps)
};

// Task names from user words: a kind ("age", "landmarks", ...) means every task of that kind in
// the model, "all" every task, anything else must be an exact task name. Model order, no
// duplicates. Throws naming the unknown word and listing what the model has.
std::vector<std::string> resolve_tasks(const ModelConfig& config, const std::vector<std::string>& words);

struct RecognitionOutput {
  std::vector<float> embedding;   // the raw embedding (E)
  std::vector<float> normalized;  // embedding / |embedding| (compare faces by dot product)
  double norm = 0;
};
struct AgeOutput {
  double age = 0;                    // sum_i p_i * i
  std::vector<float> distribution;  // (bins) sigmoid, L1-normalised
};
struct AttributesOutput {
  std::vector<std::string> names;
  std::vector<float> probabilities;  // independent sigmoids
};
struct ExpressionOutput {
  std::vector<std::string> names;
  std::vector<float> probabilities;  // softmax, sums to 1
  int top = 0;
  std::string top_label;
};
struct ParsingOutput {
  std::vector<std::string> names;
  int height = 0, width = 0;    // the frame's size (the original image)
  std::vector<int32_t> labels;  // height * width, row-major; pixels outside the crop get 0
  Tensor probabilities;         // (K, height, width) with parsing_probabilities; else undefined
};
struct LandmarksOutput {
  std::vector<Point2> points;  // pixel coordinates of the frame (the original image)
};
using TaskOutput =
    std::variant<RecognitionOutput, AgeOutput, AttributesOutput, ExpressionOutput, ParsingOutput, LandmarksOutput>;

struct TaskAnalysis {
  const TaskSpec* spec = nullptr;  // points into the model's config
  Tensor raw;                      // the head output (1, ...), as FaceptorModel::run returns it
  TaskOutput output;
};

// One encoder pass: what the model saw and what every encoder layer produced.
struct AnalysisPass {
  int input_size = 0;
  Tensor input;           // (1, 3, S*patch, S*patch), normalised
  EncoderOutput encoder;  // feature_map(l) -> (1, C, S, S); every layer with keep_encoder_layers,
                          // else the layers the heads read
  CropWarp crop;          // frame pixel -> model input pixel (112 passes too: the resize as an affine map)
};

struct Analysis {
  int frame_height = 0, frame_width = 0;  // the picture, or the input tensor's own size
  std::vector<AnalysisPass> passes;       // ascending input size
  std::vector<TaskAnalysis> tasks;        // in model config order
  const TaskAnalysis* find(const std::string& task_name) const;
};

// Whether the model's tasks of `input_size` are map tasks (parsing, landmarks), which take the
// dense input; throws when one size mixes both kinds.
bool uses_dense_input(const ModelConfig& config, int input_size);

// The model input for `image` at `input_size` and the crop it was taken with. dense: the parsing/
// landmark pipeline (warp, FaRL statistics); otherwise the 112 attribute pipeline (PIL-like
// resize, (x - 0.5) / 0.5). -> input (1, 3, size, size)
struct PreparedInput {
  Tensor input;
  CropWarp crop;
};
PreparedInput prepare_input(const Image& image, int input_size, bool dense, const AnalyzeOptions& options);

// Runs the requested tasks on `image`; results in the image's pixel coordinates.
Analysis analyze(const FaceModel& model, const Image& image, const AnalyzeOptions& options);
// Runs the requested tasks of the input's size on a preprocessed tensor (1, 3, S, S): the frame
// is the tensor itself (landmarks and parsing in its pixels). options.region must be empty.
Analysis analyze_input(const FaceModel& model, const Tensor& input, const AnalyzeOptions& options);

// The per-kind rule from raw head output (1, ...) to a TaskOutput in frame coordinates, given
// the crop the pass used. Exposed for tests and for callers running the model themselves.
TaskOutput interpret_task_output(const TaskSpec& spec, const Tensor& raw, const CropWarp& crop, int frame_height,
                                 int frame_width, bool parsing_probabilities);

}  // namespace fc::faceptor
