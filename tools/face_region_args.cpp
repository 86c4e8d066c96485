#include "tools/face_region_args.h"

namespace fc::tools {

void append_face_region_options(std::vector<OptionSpec>& specs) {
  specs.push_back({"points", "x1,y1,...,x5,y5",
                   "five face points in pixels: left eye, right eye, nose tip,\n"
                   "left mouth corner, right mouth corner (as seen in the picture)"});
  specs.push_back({"box", "x0,y0,x1,y1",
                   "face box in pixels: columns x0..x1-1, rows y0..y1-1 (0,0,W,H is\n"
                   "the whole picture)"});
  specs.push_back({"box-scale", "S",
                   "zoom of the dense (512) crop about the box centre; 0.8 is the official\n"
                   "landmark-test setting (default 1)"});
}

FaceRegionArgs parse_face_region_args(const ParsedArgs& args) {
  FaceRegionArgs out;
  if (args.has("points") && args.has("box")) throw UsageError("give --points or --box, not both");
  if (auto text = args.value("points")) {
    std::vector<double> v = parse_doubles("--points", *text, 10);
    std::array<Point2, 5> points;
    for (int i = 0; i < 5; ++i) points[i] = {v[2 * i], v[2 * i + 1]};
    out.region.points = points;
  }
  if (auto text = args.value("box")) {
    std::vector<double> v = parse_doubles("--box", *text, 4);
    if (!(v[2] > v[0] && v[3] > v[1])) throw UsageError("--box: '" + *text + "' needs x1 > x0 and y1 > y0");
    // Pixel-edge coordinates -> boundary coordinates (pixel centres at integers, warp.h).
    out.region.box = Box{v[0] - 0.5, v[1] - 0.5, v[2] - 0.5, v[3] - 0.5};
  }
  if (auto s = args.value("box-scale")) {
    out.box_scale = parse_double("--box-scale", *s);
    if (out.box_scale <= 0) throw UsageError("--box-scale: " + *s + " must be positive");
  }
  return out;
}

}  // namespace fc::tools
