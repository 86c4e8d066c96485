// The head and body passes of the synthetic-face renderer: background, clothes, neck, ears,
// hair and face skin, and the colour-only skin details drawn over the skin.
#include <algorithm>
#include <cmath>

#include "faceptor/synth/scene.h"

namespace fc::faceptor::synth {

void Scene::fill(const Polygon& canonical, const Paint& paint, const Polygon* clip) const {
  if (clip) {
    Polygon clip_image = pose.apply(*clip);
    canvas.fill(pose.apply(canonical), paint, &clip_image);
  } else {
    canvas.fill(pose.apply(canonical), paint);
  }
}

// Lambert shading on an ellipsoid seen from the front; the light comes from the image-plane
// direction (light_x, light_y) tilted toward the viewer, so nothing goes fully dark.
Paint Scene::lit(Color base, int label, Point2 center, double rx, double ry, float texture) const {
  Paint paint{base, 1.f, label, true, {}};
  double lx = face.light_x * 0.6, ly = face.light_y * 0.6, lz = 0.8, k = face.light_strength;
  uint64_t seed = face.texture_seed;
  Pose pose_copy = pose;
  paint.shade = [=](double x, double y) {
    Point2 q = pose_copy.to_canonical({x, y});
    double u = (q.x - center.x) / rx, v = (q.y - center.y) / ry, r2 = u * u + v * v;
    if (r2 > 1) u /= std::sqrt(r2), v /= std::sqrt(r2), r2 = 1;
    double lambert = std::max(0.0, u * lx + v * ly + std::sqrt(1 - r2) * lz);
    float s = static_cast<float>(1 - k + k * 1.15 * lambert);
    if (texture > 0) {
      // Strands: thin in x, long in y, in canonical units so they scale with the face.
      int64_t column = static_cast<int64_t>(std::floor(q.x * 70));
      double offset = hash01(column, 7, seed);
      s *= 1 + texture * (hash01(column, static_cast<int64_t>(std::floor(q.y * 5 + offset)), seed) - 0.5f);
    }
    return scale(base, s);
  };
  return paint;
}

Paint Scene::flat(Color base, int label, float opacity) const { return Paint{base, opacity, label, true, {}}; }

float hash01(int64_t a, int64_t b, uint64_t seed) {
  uint64_t h = seed ^ (static_cast<uint64_t>(a) * 0x9E3779B97F4A7C15ull) ^ (static_cast<uint64_t>(b) * 0xC2B2AE3D27D4EB4Full);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return static_cast<float>(h >> 40) / static_cast<float>(1ull << 24);
}

float value_noise(double x, double y, uint64_t seed) {
  double fx = std::floor(x), fy = std::floor(y);
  int64_t ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
  double tx = x - fx, ty = y - fy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  double top = hash01(ix, iy, seed) * (1 - tx) + hash01(ix + 1, iy, seed) * tx;
  double bottom = hash01(ix, iy + 1, seed) * (1 - tx) + hash01(ix + 1, iy + 1, seed) * tx;
  return static_cast<float>(top * (1 - ty) + bottom * ty);
}

Polygon smooth_stroke(std::span<const Point2> control, std::span<const double> widths) {
  constexpr int kPerSegment = 8;
  Polygon line = catmull_rom(control, false, kPerSegment);
  std::vector<double> dense;
  for (size_t i = 0; i < line.size(); ++i) {
    double t = static_cast<double>(i) / kPerSegment;
    size_t k = std::min(static_cast<size_t>(t), widths.size() - 1);
    double frac = t - k;
    dense.push_back(k + 1 < widths.size() ? widths[k] * (1 - frac) + widths[k + 1] * frac : widths.back());
  }
  return stroke(line, dense);
}

Polygon eye_polygon(const Landmarks& p, int first) {
  std::vector<Point2> ring(p.begin() + first, p.begin() + first + 6);
  return catmull_rom(ring, true, 6);
}

// Jaw landmarks, then up the right side to the hairline (or over the crown when bald) and down
// the left side, as one closed smooth curve through every jaw point.
Polygon face_outline(const Scene& s) {
  const Geometry& g = s.g;
  std::vector<Point2> control(s.p.begin(), s.p.begin() + 17);
  double fw = g.face_width;
  control.push_back({fw * 0.99, -0.15});
  bool bald = s.face.id.hair_style == HairStyle::bald;
  double temple_y = -0.35, top = bald ? -1.22 : g.hairline_y;
  int steps = 8;
  for (int k = 0; k <= steps; ++k) {
    double phi = M_PI * k / steps;
    double x = fw * 0.96 * std::cos(phi), rise = std::pow(std::sin(phi), bald ? 1.0 : 0.5);
    double y = temple_y + (top - temple_y) * rise;
    // A receding hairline retreats at the temples (the "M"), not in the middle.
    if (s.face.receding_hairline) y -= 0.16 * std::exp(-std::pow((std::abs(x) - 0.45) / 0.15, 2));
    control.push_back({x, y});
  }
  control.push_back({-fw * 0.99, -0.15});
  return catmull_rom(control, true, 6);
}

void draw_background(const Scene& s) {
  const FaceSpec& f = s.face;
  double size = s.canvas.size();
  uint64_t seed = f.texture_seed ^ 0xB5;
  Color a = f.background_a, b = f.background_b;
  Background kind = f.background;
  s.canvas.fill_all(
      [=](double x, double y) {
        double u = x / size, v = y / size;
        switch (kind) {
          case Background::solid: return a;
          case Background::vertical_gradient: return mix(a, b, static_cast<float>(std::clamp(v, 0.0, 1.0)));
          case Background::radial_gradient:
            return mix(a, b, static_cast<float>(std::min(1.0, 1.5 * std::hypot(u - 0.5, v - 0.4))));
          case Background::stripes: return std::fmod(std::floor((u + v) * 7), 2.0) == 0 ? a : mix(a, b, 0.6f);
          case Background::blobs: return mix(a, b, value_noise(u * 4, v * 4, seed));
          case Background::noise: return mix(a, b, 0.5f * value_noise(u * 24, v * 24, seed) + 0.3f);
        }
        return a;
      },
      kBackground);
}

void draw_body(const Scene& s) {
  const FaceSpec& f = s.face;
  const Geometry& g = s.g;
  double chin = s.p[8].y, fw = g.face_width;
  // Shoulders with a V neckline; the neck is drawn after and ends at the neckline.
  std::vector<Point2> cloth_control = {{0.46, chin + 0.28}, {1.3, chin + 0.52}, {2.0, chin + 0.95}, {2.4, 4.5},
                                       {-2.4, 4.5},         {-2.0, chin + 0.95}, {-1.3, chin + 0.52}, {-0.46, chin + 0.28},
                                       {0, chin + 0.62}};
  Polygon cloth = catmull_rom(cloth_control, true, 6);
  s.fill(cloth, s.lit(f.cloth, kCloth, {0, chin + 1.6}, 2.6, 1.6, 0.05f));
  if (f.necktie) {
    Color tie = mix(f.cloth, Color{0.6f, 0.1f, 0.15f}, 0.7f);
    Polygon knot = {{-0.06, chin + 0.55}, {0.06, chin + 0.55}, {0.045, chin + 0.68}, {-0.045, chin + 0.68}};
    Polygon blade = {{-0.045, chin + 0.68}, {0.045, chin + 0.68}, {0.13, 4.0}, {-0.13, 4.0}};
    s.fill(blade, s.flat(scale(tie, 0.9f), kCloth));
    s.fill(knot, s.flat(tie, kCloth));
  }
  if (f.id.hair_style == HairStyle::long_hair) {
    // An inverted U: down both sides past the shoulders, open around the neck.
    double rx = fw + f.id.hair_volume + 0.12, bottom = chin + 1.1;
    std::vector<Point2> hair = {{-0.58, bottom}, {-0.58, 0.9}, {0.58, 0.9}, {0.58, bottom}};
    for (int k = 0; k <= 12; ++k) {
      double phi = M_PI * k / 12;  // right side up over the top to the left side
      double wave = f.id.wavy ? 0.05 * std::sin(9 * phi) : 0;
      hair.push_back({(rx + wave) * std::cos(phi), -0.15 - (1.07 + f.id.hair_volume) * std::sin(phi)});
      if (k == 0) hair.insert(hair.end() - 1, {rx + 0.1, bottom});
    }
    hair.push_back({-rx - 0.1, bottom});
    s.fill(catmull_rom(hair, true, 4), s.lit(scale(s.hair, 0.85f), kHair, {0, 0.3}, rx + 0.3, 2.0, 0.25f));
  }
  // Neck: a column from under the jaw down to the neckline, shadowed under the chin.
  double nw = 0.43 * fw;
  std::vector<Point2> neck_control = {{-nw, 0.8}, {-nw * 1.02, chin + 0.15}, {-0.47, chin + 0.3},
                                      {0, chin + 0.64},  {0.47, chin + 0.3},   {nw * 1.02, chin + 0.15},
                                      {nw, 0.8}};
  Polygon neck = catmull_rom(neck_control, true, 6);
  s.fill(neck, s.lit(scale(s.skin, 0.9f), kNeck, {0, chin + 0.3}, nw * 1.3, 1.2));
  s.fill(ellipse({0, chin - 0.02}, fw * 0.7, 0.2), s.flat(scale(s.skin, 0.55f), -1, 0.35f), &neck);
  if (f.necklace) {
    std::vector<Point2> arc;
    for (int k = 0; k <= 10; ++k) {
      double t = -1 + 0.2 * k;
      arc.push_back({0.4 * t, chin + 0.36 + 0.18 * (1 - t * t)});
    }
    s.fill(stroke(catmull_rom(arc, false, 4), 0.035), s.flat(f.accessory_color, kNecklace));
    s.fill(ellipse({0, chin + 0.6}, 0.055, 0.07), s.lit(f.accessory_color, kNecklace, {0, chin + 0.58}, 0.08, 0.1));
  }
}

void draw_head(const Scene& s) {
  const FaceSpec& f = s.face;
  const Geometry& g = s.g;
  double fw = g.face_width;
  // Ears, image-left first; the helix is a lit ellipse, the concha a darker one inside it.
  for (int side : {-1, 1}) {
    Point2 c{side * (fw * 0.97 + 0.05), 0.22};
    Polygon ear = ellipse(c, 0.11, 0.23, side * 0.15);
    s.fill(ear, s.lit(scale(s.skin, 0.95f), side < 0 ? kLeftEar : kRightEar, c, 0.13, 0.25));
    s.fill(ellipse({c.x - side * 0.015, c.y + 0.01}, 0.055, 0.13, side * 0.15), s.flat(scale(s.skin, 0.7f), -1, 0.7f));
  }
  if (f.id.hair_style != HairStyle::bald) {
    // The hair mass around the head; the face skin drawn next covers it below the hairline.
    double vol = f.id.hair_volume, rx = fw + (f.id.hair_style == HairStyle::short_cut ? 0.6 : 1.0) * vol;
    double side_bottom = f.id.hair_style == HairStyle::short_cut ? -0.12 : f.id.hair_style == HairStyle::bob ? 0.95 : 1.15;
    double flare = f.id.hair_style == HairStyle::short_cut ? 0 : 0.1;
    std::vector<Point2> hair = {{rx + flare, side_bottom}, {rx + flare * 0.5, (side_bottom - 0.2) / 2}};
    for (int k = 0; k <= 16; ++k) {
      double phi = M_PI * k / 16;
      double wave = f.id.wavy ? 0.035 * std::sin(11 * phi) : 0;
      hair.push_back({(rx + wave) * std::cos(phi), -0.2 - (1.02 + vol + wave) * std::sin(phi)});
    }
    hair.push_back({-rx - flare * 0.5, (side_bottom - 0.2) / 2});
    hair.push_back({-rx - flare, side_bottom});
    if (f.id.wavy && side_bottom > 0)
      for (int k = 1; k < 6; ++k) hair.push_back({-rx - flare + k * (2 * (rx + flare)) / 6, side_bottom + (k % 2 ? 0.06 : 0)});
    s.fill(catmull_rom(hair, true, 4), s.lit(s.hair, kHair, {0, -0.3}, rx + 0.1, 1.4, 0.3f));
  }
  // Earrings hang in front of any hair that covers the ear, so they stay visible.
  if (f.earrings)
    for (int side : {-1, 1}) {
      Point2 lobe{side * (fw * 0.97 + 0.05), 0.46};
      s.fill(ellipse(lobe, 0.04, 0.04), s.lit(f.accessory_color, kEarring, lobe, 0.05, 0.05));
      s.fill(ellipse({lobe.x, lobe.y + 0.07}, 0.035, 0.05), s.lit(f.accessory_color, kEarring, lobe, 0.05, 0.1));
    }
  s.fill(s.skin_outline, s.lit(s.skin, kSkin, {0, 0.1}, fw * 1.05, 1.45));
}

void draw_skin_details(const Scene& s) {
  const FaceSpec& f = s.face;
  const Geometry& g = s.g;
  const Landmarks& p = s.p;
  const Polygon& clip = s.skin_outline;
  Color line = scale(s.skin, 0.55f);
  float wrinkles = std::clamp(static_cast<float>((f.age - 35) / 40.0), 0.f, 1.f);
  if (wrinkles > 0) {
    float alpha = 0.25f + 0.45f * wrinkles;
    for (int k = 0; k < 3; ++k) {  // forehead lines
      double y = g.brow_y - 0.17 - 0.09 * k, half = 0.42 - 0.06 * k;
      Point2 ctl[3] = {{-half, y + 0.02}, {0, y - 0.015}, {half, y + 0.02}};
      double w[3] = {0.004, 0.014, 0.004};
      s.fill(smooth_stroke(ctl, w), s.flat(line, -1, alpha), &clip);
    }
    for (int side : {-1, 1}) {
      Point2 corner = p[side < 0 ? 36 : 45];
      for (int k = -1; k <= 1; ++k) {  // crow's feet
        Point2 ctl[2] = {{corner.x + side * 0.04, corner.y + k * 0.03}, {corner.x + side * 0.13, corner.y + k * 0.06}};
        double w[2] = {0.012, 0.003};
        s.fill(smooth_stroke(ctl, w), s.flat(line, -1, alpha), &clip);
      }
    }
  }
  // Nasolabial folds: faint in the young, deeper with age and with a smile.
  float fold = std::min(1.f, 0.15f + wrinkles + static_cast<float>(std::max(0.0, g.expr.mouth_curve)) * 5);
  for (int side : {-1, 1}) {
    Point2 ala = p[side < 0 ? 31 : 35], corner = p[side < 0 ? 48 : 54];
    Point2 ctl[3] = {{ala.x + side * 0.05, ala.y - 0.04},
                     {(ala.x + corner.x) / 2 + side * 0.09, (ala.y + corner.y) / 2},
                     {corner.x + side * 0.06, corner.y + 0.08}};
    double w[3] = {0.005, 0.016, 0.004};
    s.fill(smooth_stroke(ctl, w), s.flat(line, -1, 0.45f * fold), &clip);
  }
  for (int side : {-1, 1}) {
    double ex = side * g.eye_spacing;
    if (f.rosy_cheeks || f.heavy_makeup)
      s.fill(ellipse({ex * 1.05, 0.45}, 0.16, 0.1), s.flat({0.9f, 0.35f, 0.4f}, -1, 0.3f));
    if (f.bags_under_eyes) {
      Point2 ctl[3] = {{ex - 0.7 * g.eye_width, 0.1}, {ex, 0.16}, {ex + 0.7 * g.eye_width, 0.1}};
      double w[3] = {0.005, 0.025, 0.005};
      s.fill(smooth_stroke(ctl, w), s.flat({0.45f, 0.3f, 0.35f}, -1, 0.35f));
    }
    if (f.heavy_makeup)
      s.fill(ellipse({ex, -0.06}, g.eye_width * 1.1, 0.09), s.flat({0.45f, 0.25f, 0.5f}, -1, 0.4f));
  }
  if (g.expr.nose_wrinkle > 0.3)
    for (int k = 0; k < 3; ++k) {
      double y = p[28].y - 0.04 + 0.05 * k;
      Point2 ctl[3] = {{-0.08, y + 0.01}, {0, y - 0.01}, {0.08, y + 0.01}};
      double w[3] = {0.004, 0.012, 0.004};
      s.fill(smooth_stroke(ctl, w), s.flat(line, -1, 0.5f));
    }
  // Facial hair keeps the skin label (CelebAMask-HQ has no beard class); sideburns are hair.
  Beard beard = f.id.beard;
  if (beard == Beard::full || beard == Beard::stubble) {
    std::vector<Point2> region(p.begin() + 2, p.begin() + 15);
    for (Point2& q : region) q = {q.x * 1.03, q.y + 0.03};
    double ny = p[33].y + 0.03, mw = std::abs(p[48].x);
    for (Point2 q : {Point2{0.62, 0.5}, Point2{mw + 0.06, p[54].y - 0.1}, Point2{0.12, ny}, Point2{-0.12, ny},
                     Point2{-mw - 0.06, p[48].y - 0.1}, Point2{-0.62, 0.5}})
      region.push_back(q);
    Polygon shape = catmull_rom(region, true, 4);
    Paint paint = beard == Beard::full ? s.lit(scale(s.hair, 0.9f), -1, {0, 0.8}, 1.0, 0.8, 0.35f)
                                       : s.lit({0.15f, 0.12f, 0.1f}, -1, {0, 0.8}, 1.0, 0.8, 0.8f);
    if (beard == Beard::stubble) paint.opacity = 0.28f;
    s.fill(shape, paint, &clip);
  }
  if (beard == Beard::mustache || beard == Beard::goatee || beard == Beard::full) {
    std::vector<Point2> ctl;
    for (int i = 48; i <= 54; ++i) ctl.push_back({p[i].x * 1.1, p[i].y - 0.035});
    double w[7] = {0.03, 0.06, 0.075, 0.07, 0.075, 0.06, 0.03};
    s.fill(smooth_stroke(ctl, w), s.lit(scale(s.hair, 0.85f), -1, {0, 0.8}, 1.0, 0.8, 0.35f), &clip);
  }
  if (beard == Beard::goatee) {
    double top = p[57].y + 0.02, bottom = p[8].y + 0.02;
    s.fill(ellipse({0, (top + bottom) / 2}, 0.2, (bottom - top) / 2), s.lit(scale(s.hair, 0.85f), -1, {0, 1.2}, 0.4, 0.4, 0.35f),
           &clip);
  }
  if (f.sideburns)
    for (int side : {-1, 1}) {
      double x = side * g.face_width * 0.97;
      Point2 ctl[3] = {{x, -0.4}, {x, 0.05}, {p[side < 0 ? 1 : 15].x - side * 0.02, p[side < 0 ? 1 : 15].y}};
      double w[3] = {0.12, 0.11, 0.06};
      s.fill(smooth_stroke(ctl, w), s.lit(s.hair, kHair, {0, 0}, 1.0, 1.0, 0.3f), &clip);
    }
}

}  // namespace fc::faceptor::synth
