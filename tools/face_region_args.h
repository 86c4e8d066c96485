// The face-region options shared by `faceptor analyze` and `faceptor explain` (--points, --box,
// --box-scale): their help lines and their parsing into a faceptor::FaceRegion, so both commands
// preprocess a picture from the same words in the same way.
//
//   std::vector<OptionSpec> specs = {{"weights", "W", "model file"}};
//   append_face_region_options(specs);
//   FaceRegionArgs region = parse_face_region_args(parse_args("faceptor explain", argv, specs));
#pragma once

#include <vector>

#include "faceptor/analyze.h"
#include "tools/cli_args.h"

namespace fc::tools {

void append_face_region_options(std::vector<OptionSpec>& specs);

struct FaceRegionArgs {
  faceptor::FaceRegion region;  // boundary coordinates (warp.h), converted from pixel edges
  double box_scale = 1.0;
};

// UsageErrors name the option: both --points and --box, wrong counts, an empty box, a scale <= 0.
FaceRegionArgs parse_face_region_args(const ParsedArgs& args);

}  // namespace fc::tools
