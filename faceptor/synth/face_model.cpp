#include "faceptor/synth/face_model.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace fc::faceptor::synth {

namespace {

template <class T>
T pick(Rng& rng, std::initializer_list<std::pair<T, double>> choices) {
  double total = 0;
  for (auto& c : choices) total += c.second;
  double u = rng.uniform() * total;
  for (auto& c : choices) {
    if (u < c.second) return c.first;
    u -= c.second;
  }
  return choices.begin()->first;
}

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

}  // namespace

Identity sample_identity(uint64_t identity_seed) {
  Rng rng(identity_seed);
  Identity id;
  id.male = rng.uniform() < 0.5f;
  id.base_age = rng.uniform() < 0.15f ? 1 + static_cast<int>(rng.below(14)) : 15 + static_cast<int>(rng.below(71));
  id.face_width = rng.uniform(0.88f, 1.04f);
  id.face_length = rng.uniform(1.34f, 1.5f) + (id.male ? 0.03 : 0.0);
  id.jaw_square = id.male ? rng.uniform(2.3f, 3.4f) : rng.uniform(1.9f, 2.6f);
  id.eye_spacing = rng.uniform(0.39f, 0.45f);
  id.eye_width = rng.uniform(0.17f, 0.21f);
  id.eye_height = rng.uniform(0.07f, 0.1f);
  id.eye_tilt = rng.uniform(-0.03f, 0.025f);
  id.brow_y = rng.uniform(-0.33f, -0.27f);
  id.brow_thickness = id.male ? rng.uniform(0.05f, 0.095f) : rng.uniform(0.035f, 0.07f);
  id.brow_arch = rng.uniform(0.0f, 0.08f);
  id.nose_length = rng.uniform(0.48f, 0.6f);
  id.nose_width = rng.uniform(0.13f, 0.21f) + (id.male ? 0.01 : 0.0);
  id.mouth_y = std::max<double>(rng.uniform(0.9f, 0.97f), id.nose_length + 0.2);
  id.mouth_width = rng.uniform(0.27f, 0.37f);
  id.lip_upper = rng.uniform(0.045f, 0.075f) + (id.male ? 0.0 : 0.008);
  id.lip_lower = rng.uniform(0.06f, 0.1f) + (id.male ? 0.0 : 0.01);
  id.skin_tone = rng.uniform();
  id.hair_volume = rng.uniform(0.06f, 0.2f);
  id.hairline_y = rng.uniform(-0.85f, -0.72f);
  id.grey_rate = rng.uniform(0.7f, 1.3f);
  using S = HairStyle;
  if (id.male)
    id.hair_style = id.base_age > 40 ? pick<S>(rng, {{S::short_cut, 0.6}, {S::bob, 0.05}, {S::long_hair, 0.05}, {S::bald, 0.3}})
                                     : pick<S>(rng, {{S::short_cut, 0.75}, {S::bob, 0.1}, {S::long_hair, 0.07}, {S::bald, 0.08}});
  else
    id.hair_style = pick<S>(rng, {{S::short_cut, 0.15}, {S::bob, 0.35}, {S::long_hair, 0.5}});
  using H = HairColor;
  id.hair_color = id.skin_tone < 0.35 ? pick<H>(rng, {{H::black, 0.8}, {H::brown, 0.2}})
                                      : pick<H>(rng, {{H::black, 0.3}, {H::brown, 0.37}, {H::blond, 0.22}, {H::red, 0.11}});
  id.wavy = rng.uniform() < 0.35f;
  id.bangs = id.hair_style != S::bald && rng.uniform() < (id.male ? 0.15f : 0.35f);
  using B = Beard;
  id.beard = id.male && id.base_age >= 18
                 ? pick<B>(rng, {{B::none, 0.45}, {B::stubble, 0.15}, {B::mustache, 0.12}, {B::goatee, 0.13}, {B::full, 0.15}})
                 : B::none;
  id.iris = pick<Color>(rng, {{{0.35f, 0.2f, 0.08f}, 0.4},
                             {{0.12f, 0.08f, 0.05f}, 0.25},
                             {{0.25f, 0.45f, 0.7f}, 0.15},
                             {{0.3f, 0.5f, 0.3f}, 0.1},
                             {{0.5f, 0.4f, 0.2f}, 0.1}});
  return id;
}

FaceSpec sample_face_spec(const Identity& identity, int identity_id, Rng& rng) {
  FaceSpec f;
  f.id = identity;
  f.identity_id = identity_id;
  Identity& id = f.id;
  // Per-image variation of the shape vector: the same person, a slightly different look.
  for (double* v : {&id.face_width, &id.face_length, &id.eye_spacing, &id.eye_width, &id.eye_height, &id.brow_y,
                    &id.nose_length, &id.nose_width, &id.mouth_width, &id.lip_upper, &id.lip_lower})
    *v *= 1 + 0.02 * std::clamp(rng.normal(), -2.f, 2.f);
  f.age = std::clamp(id.base_age + static_cast<int>(rng.below(7)) - 3, 1, 95);
  f.expression = static_cast<int>(rng.below(7));
  f.expression_intensity = rng.uniform(0.7f, 1.2f);
  f.mouth_slightly_open = (f.expression == 0 || f.expression == 2 || f.expression == 6) && rng.uniform() < 0.2f;
  f.eyeglasses = rng.uniform() < (f.age > 45 ? 0.35f : 0.15f);
  f.sunglasses = f.eyeglasses && rng.uniform() < 0.15f;
  f.hat = pick<Hat>(rng, {{Hat::none, 0.88}, {Hat::beanie, 0.06}, {Hat::cap, 0.06}});
  f.receding_hairline = id.male && f.age > 35 && id.hair_style != HairStyle::bald && rng.uniform() < 0.35f;
  f.earrings = rng.uniform() < (id.male ? 0.05f : 0.35f);
  f.necklace = rng.uniform() < (id.male ? 0.05f : 0.2f);
  f.necktie = id.male && f.age >= 18 && rng.uniform() < 0.2f;
  f.lipstick = !id.male && f.age >= 15 && rng.uniform() < 0.45f;
  f.heavy_makeup = f.lipstick && rng.uniform() < 0.5f;
  f.rosy_cheeks = rng.uniform() < 0.12f;
  f.bags_under_eyes = rng.uniform() < (f.age > 45 ? 0.5f : 0.08f);
  f.sideburns = id.male && id.hair_style != HairStyle::bald && rng.uniform() < 0.3f;
  f.blurry = rng.uniform() < 0.08f;
  f.yaw = rng.uniform(-0.4f, 0.4f);
  f.roll = std::clamp(0.1f * rng.normal(), -0.3f, 0.3f);
  f.scale = rng.uniform(0.85f, 1.1f);
  f.shift_x = rng.uniform(-0.04f, 0.04f);
  f.shift_y = rng.uniform(-0.04f, 0.04f);
  f.background = static_cast<Background>(rng.below(6));
  auto color = [&](float lo, float hi) { return Color{rng.uniform(lo, hi), rng.uniform(lo, hi), rng.uniform(lo, hi)}; };
  f.background_a = color(0.05f, 0.95f);
  f.background_b = color(0.05f, 0.95f);
  f.cloth = color(0.05f, 0.9f);
  f.hat_color = color(0.05f, 0.9f);
  f.glasses_color = pick<Color>(rng, {{{0.08f, 0.08f, 0.08f}, 0.5}, {{0.6f, 0.6f, 0.62f}, 0.25}, {color(0.1f, 0.7f), 0.25}});
  f.lipstick_color = {rng.uniform(0.6f, 0.85f), rng.uniform(0.05f, 0.2f), rng.uniform(0.15f, 0.35f)};
  f.accessory_color = pick<Color>(rng, {{{0.95f, 0.8f, 0.3f}, 0.5}, {{0.85f, 0.85f, 0.9f}, 0.3}, {color(0.2f, 0.9f), 0.2}});
  double angle = rng.uniform(0.f, 6.2831853f);
  f.light_x = std::cos(angle);
  f.light_y = std::sin(angle);
  f.light_strength = rng.uniform(0.25f, 0.7f);
  f.noise_sigma = rng.uniform(0.5f, 4.f);
  f.texture_seed = rng.next_u64();
  return f;
}

// Each expression's action units, roughly: happy = lip corners up (AU12) with cheeks narrowing
// the eyes; sad = inner brows up (AU1) and corners down (AU15); surprise = brows up (AU1+2),
// eyes wide (AU5), jaw drop (AU26); fear = brows up and together, eyes wide, lips stretched;
// disgust = nose wrinkle and upper lip up (AU9, AU10); anger = brows down and together (AU4),
// lids tight, lips pressed.
ExpressionShape expression_shape(int expression, double k) {
  FC_CHECK(expression >= 0 && expression < 7, "synth::expression_shape: expression ", expression, " not in 0..6");
  ExpressionShape e;
  switch (expression) {
    case 0: break;
    case 1: e.brow_raise = 0.01; e.eye_open = 0.8; e.mouth_curve = 0.09; e.mouth_open = 0.04; e.mouth_width = 1.14; break;
    case 2: e.brow_inner = 0.06; e.brow_furrow = 0.015; e.eye_open = 0.8; e.mouth_curve = -0.07; e.mouth_width = 0.95; break;
    case 3: e.brow_raise = 0.09; e.brow_inner = 0.02; e.eye_open = 1.4; e.mouth_open = 0.22; e.mouth_width = 0.75; break;
    case 4: e.brow_raise = 0.06; e.brow_inner = 0.06; e.brow_furrow = 0.03; e.eye_open = 1.35; e.mouth_curve = -0.03;
            e.mouth_open = 0.1; e.mouth_width = 1.12; e.lip_press = 0.8; break;
    case 5: e.brow_raise = -0.03; e.brow_inner = -0.02; e.brow_furrow = 0.02; e.eye_open = 0.7; e.mouth_curve = -0.04;
            e.mouth_open = 0.03; e.mouth_width = 0.95; e.upper_lip_raise = 0.03; e.nose_wrinkle = 1; break;
    case 6: e.brow_raise = -0.05; e.brow_inner = -0.07; e.brow_furrow = 0.04; e.eye_open = 0.75; e.mouth_curve = -0.03;
            e.mouth_width = 0.9; e.lip_press = 0.6; break;
  }
  ExpressionShape n;  // neutral; intensity scales the distance from it
  auto lerp = [k](double neutral, double full) { return neutral + (full - neutral) * k; };
  return {lerp(n.brow_raise, e.brow_raise), lerp(n.brow_inner, e.brow_inner), lerp(n.brow_furrow, e.brow_furrow),
          lerp(n.eye_open, e.eye_open), lerp(n.mouth_curve, e.mouth_curve), lerp(n.mouth_open, e.mouth_open),
          lerp(n.mouth_width, e.mouth_width), lerp(n.lip_press, e.lip_press), lerp(n.upper_lip_raise, e.upper_lip_raise),
          lerp(n.nose_wrinkle, e.nose_wrinkle)};
}

Geometry face_geometry(const FaceSpec& f) {
  const Identity& id = f.id;
  Geometry g{id.face_width, id.face_length, id.jaw_square, id.eye_spacing, id.eye_width, id.eye_height, id.eye_tilt,
             id.brow_y, id.brow_thickness, id.brow_arch, id.nose_length, id.nose_width, id.mouth_y, id.mouth_width,
             id.lip_upper, id.lip_lower, id.hairline_y, expression_shape(f.expression, f.expression_intensity)};
  // Children: larger eyes, smaller nose and mouth, rounder and shorter face.
  double child = clamp01((14.0 - f.age) / 12.0);
  g.eye_width *= 1 + 0.12 * child;
  g.eye_height *= 1 + 0.2 * child;
  g.nose_length *= 1 - 0.18 * child;
  g.nose_width *= 1 - 0.15 * child;
  g.chin_y *= 1 - 0.07 * child;
  g.mouth_y *= 1 - 0.05 * child;
  g.mouth_width *= 1 - 0.12 * child;
  g.brow_thickness *= 1 - 0.3 * child;
  g.jaw_square = g.jaw_square * (1 - child) + 2.0 * child;
  // Old age: thinner lips, a slightly longer nose.
  double old = clamp01((f.age - 50.0) / 40.0);
  g.lip_upper *= 1 - 0.25 * old;
  g.lip_lower *= 1 - 0.2 * old;
  g.nose_length += 0.03 * old;
  if (f.receding_hairline) g.hairline_y -= 0.2;
  if (f.mouth_slightly_open) g.expr.mouth_open = std::max(g.expr.mouth_open, 0.06);
  return g;
}

Landmarks canonical_landmarks(const FaceSpec& f) {
  Geometry g = face_geometry(f);
  const ExpressionShape& e = g.expr;
  Landmarks p;
  // Jaw 0-16: a superellipse from the cheek at eye level down to the chin; an open mouth drops it.
  const double top = 0.05, drop = 0.6 * e.mouth_open;
  for (int i = 0; i <= 16; ++i) {
    double theta = (i <= 8 ? i : 16 - i) / 8.0 * M_PI / 2, side = i < 8 ? -1 : 1;
    double s = std::sin(theta), x = g.face_width * std::pow(std::cos(theta), 2 / g.jaw_square);
    p[i] = {i == 8 ? 0 : side * x, top + (g.chin_y - top) * std::pow(s, 2 / g.jaw_square) + drop * s * s * s};
  }
  // Brows 17-21 (image-left, outer to inner) and 22-26 (mirror, inner to outer).
  double es = g.eye_spacing, ew = g.eye_width;
  for (int k = 0; k < 5; ++k) {
    double t = k / 4.0;  // 0 outer .. 1 inner
    double x = -(es + ew + 0.1) + t * (2 * ew + 0.1) + e.brow_furrow * t * t;
    double y = g.brow_y - e.brow_raise - g.brow_arch * std::sin(M_PI * (0.15 + 0.7 * t)) + 0.03 * (1 - t) -
               e.brow_inner * t * t;
    p[17 + k] = {x, y};
    p[26 - k] = {-x, y};
  }
  // Nose 27-30 bridge to tip, 31-35 nostril base left to right.
  double nl = g.nose_length, nw = g.nose_width, lift = 0.03 * e.nose_wrinkle;
  p[27] = {0, 0.02};
  p[28] = {0, nl * 0.35};
  p[29] = {0, nl * 0.68};
  p[30] = {0, nl - lift * 0.5};
  p[31] = {-nw, nl + 0.05 - lift};
  p[32] = {-nw * 0.5, nl + 0.075 - lift};
  p[33] = {0, nl + 0.085 - lift};
  p[34] = {nw * 0.5, nl + 0.075 - lift};
  p[35] = {nw, nl + 0.05 - lift};
  // Eyes: 36-41 image-left (outer corner, two upper, inner corner, two lower), 42-47 mirrored.
  double h = g.eye_height * e.eye_open;
  Point2 left[6] = {{-es - ew, g.eye_tilt},      {-es - 0.4 * ew, -h},         {-es + 0.35 * ew, -0.95 * h},
                    {-es + ew, 0.01},            {-es + 0.35 * ew, 0.62 * h},  {-es - 0.4 * ew, 0.62 * h}};
  for (int k = 0; k < 6; ++k) p[36 + k] = left[k];
  int mirror[6] = {3, 2, 1, 0, 5, 4};  // 42 is the mirror of 39, 43 of 38, ...
  for (int k = 0; k < 6; ++k) p[42 + k] = {-left[mirror[k]].x, left[mirror[k]].y};
  // Mouth: a centre line bent by the smile, the opening around it, the lips outside that.
  double mw = g.mouth_width * e.mouth_width, my = g.mouth_y, c = e.mouth_curve, o = e.mouth_open;
  double tu = g.lip_upper * e.lip_press, tl = g.lip_lower * e.lip_press, ur = e.upper_lip_raise;
  auto centre = [&](double x) { return my - c * (x / mw) * (x / mw); };
  auto opening = [&](double x) { return std::sqrt(std::max(0.0, 1 - std::pow(x / (0.9 * mw), 2))); };
  auto inner_upper = [&](double x) { return centre(x) - (0.3 * o + ur) * opening(x); };
  auto inner_lower = [&](double x) { return centre(x) + 0.7 * o * opening(x); };
  auto outer_upper = [&](double x) {
    double u = x / mw;
    return inner_upper(x) - tu * std::pow(std::max(0.0, 1 - u * u), 0.6) * (1 - 0.25 * std::exp(-u * u / 0.015));
  };
  auto outer_lower = [&](double x) { return inner_lower(x) + tl * std::sqrt(std::max(0.0, 1 - std::pow(x / mw, 2))); };
  p[48] = {-mw, my - c};
  p[54] = {mw, my - c};
  double upper_x[5] = {-0.62, -0.25, 0, 0.25, 0.62}, lower_x[5] = {0.62, 0.28, 0, -0.28, -0.62};
  for (int k = 0; k < 5; ++k) {
    p[49 + k] = {upper_x[k] * mw, outer_upper(upper_x[k] * mw)};
    p[55 + k] = {lower_x[k] * mw, outer_lower(lower_x[k] * mw)};
  }
  p[60] = {-0.86 * mw, centre(0.86 * mw)};
  p[64] = {0.86 * mw, centre(0.86 * mw)};
  double inner_x[3] = {-0.42, 0, 0.42};
  for (int k = 0; k < 3; ++k) {
    p[61 + k] = {inner_x[k] * mw, inner_upper(inner_x[k] * mw)};
    p[67 - k] = {inner_x[k] * mw, inner_lower(inner_x[k] * mw)};
  }
  return p;
}

Pose face_pose(const FaceSpec& f, int image_size) {
  Pose pose;
  pose.yaw = f.yaw;
  pose.cos_roll = std::cos(f.roll);
  pose.sin_roll = std::sin(f.roll);
  pose.pixels_per_unit = image_size * 0.26 * f.scale;
  // Pixel (size - 1) / 2 is the image centre in pixel-centre coordinates.
  pose.center_x = (image_size - 1) / 2.0 + f.shift_x * image_size;
  pose.center_y = (image_size - 1) / 2.0 + f.shift_y * image_size;
  pose.head_rx = face_geometry(f).face_width;
  pose.head_ry = 1.45;
  pose.nose_length = face_geometry(f).nose_length;
  return pose;
}

// Orthographic view of a head turned by `yaw`: a point at depth d in front of the image plane
// moves by d sin(yaw). Depth is a head ellipsoid plus a bump for the nose, so the nose swings
// further than the cheeks and the far side of the face narrows.
Point2 Pose::apply(Point2 q) const {
  constexpr double kCenterY = 0.1, kDepth = 0.85, kFrameY = 0.05;
  double u = q.x / head_rx, v = (q.y - kCenterY) / head_ry;
  double depth = kDepth * std::sqrt(std::max(0.0, 1 - u * u - v * v));
  double along = std::clamp(q.y / nose_length, 0.0, 1.15);
  if (q.y > -0.05) depth += 0.22 * std::min(along, 1.0) * std::exp(-std::pow(q.x / 0.13, 2)) *
                           std::exp(-std::pow(std::max(0.0, q.y - nose_length - 0.08) / 0.04, 2));
  double x = q.x * std::cos(yaw) + depth * std::sin(yaw), y = q.y - kFrameY;
  return {center_x + pixels_per_unit * (cos_roll * x - sin_roll * y),
          center_y + pixels_per_unit * (sin_roll * x + cos_roll * y)};
}

Polygon Pose::apply(const Polygon& canonical) const {
  Polygon out;
  out.reserve(canonical.size());
  for (Point2 q : canonical) out.push_back(apply(q));
  return out;
}

Point2 Pose::to_canonical(Point2 image) const {
  double dx = (image.x - center_x) / pixels_per_unit, dy = (image.y - center_y) / pixels_per_unit;
  return {cos_roll * dx + sin_roll * dy, -sin_roll * dx + cos_roll * dy + 0.05};
}

}  // namespace fc::faceptor::synth
