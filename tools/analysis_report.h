// What `faceptor analyze` prints and writes for one analysed input: the readable table (stdout)
// and the JSON document (--json), both from a faceptor::Analysis.
//
//   std::cout << analysis_table("photo.jpg", analysis);
//   std::string text = analysis_json("photo.jpg", analysis, region_description).dump(2);
//
// JSON layout (keys in this order; nlohmann::ordered_json):
//   {"input": path, "frame": {"kind": "image" | "input_tensor", "width", "height"},
//    "region": {"kind": "whole_image" | "box" | "five_points", "box"?: [x1, y1, x2, y2],
//               "points"?: [[x, y] x 5]},
//    "passes": [{"input_size", "grid", "encoder_layers", "crop_matrix": [a, b, c, d, e, f]}],
//    "tasks": {name: {"kind", "input_size", ...per kind, see analysis_report.cpp}}}
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "faceptor/analyze.h"

namespace fc::tools {

nlohmann::ordered_json analysis_json(const std::string& input_name, const faceptor::Analysis& analysis,
                                     const faceptor::FaceRegion& region, bool from_tensor);

// The "region" object above: how the face crop was chosen. `from_tensor`: the input was a
// preprocessed tensor (--input-npy), so there was no picture to crop.
nlohmann::ordered_json region_json(const faceptor::FaceRegion& region, bool from_tensor = false);

std::string analysis_table(const std::string& input_name, const faceptor::Analysis& analysis);

}  // namespace fc::tools
