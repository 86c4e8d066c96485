#include "faceptor/synth/labels.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "faceptor/tasks.h"

namespace fc::faceptor::synth {

float grey_fraction(const FaceSpec& face) {
  return std::clamp(static_cast<float>((face.age - 38) / 35.0 * face.id.grey_rate), 0.f, 1.f);
}

const std::vector<std::string>& uncontrolled_attribute_names() {
  static const std::vector<std::string> names = {"Attractive", "Double_Chin", "High_Cheekbones", "Oval_Face",
                                                 "Pointy_Nose"};
  return names;
}

std::array<int8_t, 40> face_attributes(const FaceSpec& f) {
  const Identity& id = f.id;
  Geometry g = face_geometry(f);
  bool has_hair = id.hair_style != HairStyle::bald;
  bool grey = has_hair && grey_fraction(f) > 0.55f;
  auto color_is = [&](HairColor c) { return has_hair && !grey && id.hair_color == c; };
  bool beard = id.beard == Beard::mustache || id.beard == Beard::goatee || id.beard == Beard::full;
  // The thresholds split each drawn quantity near the top of its sampled range, so "Big_Nose" is
  // a visibly wide nose, not half of all noses.
  std::vector<std::pair<const char*, bool>> rules = {
      {"5_o_Clock_Shadow", id.beard == Beard::stubble},
      {"Arched_Eyebrows", g.brow_arch > 0.05},
      {"Bags_Under_Eyes", f.bags_under_eyes},
      {"Bald", !has_hair},
      {"Bangs", has_hair && id.bangs},
      {"Big_Lips", g.lip_upper + g.lip_lower > 0.165},
      {"Big_Nose", g.nose_width > 0.195},
      {"Black_Hair", color_is(HairColor::black)},
      {"Blond_Hair", color_is(HairColor::blond)},
      {"Blurry", f.blurry},
      {"Brown_Hair", color_is(HairColor::brown)},
      {"Bushy_Eyebrows", g.brow_thickness > 0.075},
      {"Chubby", g.face_width > 0.99},
      {"Eyeglasses", f.eyeglasses},
      {"Goatee", id.beard == Beard::goatee || id.beard == Beard::full},
      {"Gray_Hair", grey},
      {"Heavy_Makeup", f.heavy_makeup},
      {"Male", id.male},
      {"Mouth_Slightly_Open", g.expr.mouth_open > 0.03},
      {"Mustache", id.beard == Beard::mustache || id.beard == Beard::full},
      {"Narrow_Eyes", g.eye_height * g.expr.eye_open < 0.055},
      {"No_Beard", !beard},
      {"Pale_Skin", id.skin_tone > 0.85},
      {"Receding_Hairline", f.receding_hairline},
      {"Rosy_Cheeks", f.rosy_cheeks || f.heavy_makeup},
      {"Sideburns", f.sideburns},
      {"Smiling", f.expression == 1},
      {"Straight_Hair", has_hair && !id.wavy},
      {"Wavy_Hair", has_hair && id.wavy},
      {"Wearing_Earrings", f.earrings},
      {"Wearing_Hat", f.hat != Hat::none},
      {"Wearing_Lipstick", f.lipstick},
      {"Wearing_Necklace", f.necklace},
      {"Wearing_Necktie", f.necktie},
      {"Young", f.age < 35},
  };
  const std::vector<std::string>& names = celeba_attribute_names();
  std::array<int8_t, 40> out{};
  for (auto& [name, value] : rules) {
    auto it = std::find(names.begin(), names.end(), name);
    FC_CHECK(it != names.end(), "synth::face_attributes: unknown attribute ", name);
    out[it - names.begin()] = value ? 1 : -1;
  }
  return out;
}

int rafdb_label(int expression) {
  FC_CHECK(expression >= 0 && expression < 7, "synth::rafdb_label: expression ", expression, " not in 0..6");
  static const int raf[7] = {7, 4, 5, 1, 2, 3, 6};
  return raf[expression];
}

int yaw_bin(double yaw, int bins) {
  FC_CHECK(bins > 0, "yaw_bin: ", bins, " bins");
  const auto bin = static_cast<int>(std::floor((yaw + kMaxYaw) / (2 * kMaxYaw) * bins));
  return std::clamp(bin, 0, bins - 1);
}

std::vector<std::string> yaw_bin_names(int bins) {
  FC_CHECK(bins > 0, "yaw_bin_names: ", bins, " bins");
  std::vector<std::string> names;
  for (int i = 0; i < bins; ++i) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "yaw %.2f..%.2f", -kMaxYaw + 2 * kMaxYaw * i / bins,
                  -kMaxYaw + 2 * kMaxYaw * (i + 1) / bins);
    names.push_back(buf);
  }
  return names;
}

std::array<Point2, 5> five_points(const Landmarks& p) {
  auto mean = [&](int first) {
    Point2 m{0, 0};
    for (int i = first; i < first + 6; ++i) m = {m.x + p[i].x / 6, m.y + p[i].y / 6};
    return m;
  };
  return {mean(36), mean(42), p[30], p[48], p[54]};
}

}  // namespace fc::faceptor::synth
