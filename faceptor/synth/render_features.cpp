// The feature passes of the synthetic-face renderer (nose, eyes, brows, mouth, bangs, glasses,
// hat) and render_face, which runs every pass in layer order and collects the labels.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "faceptor/synth/labels.h"
#include "faceptor/synth/render.h"
#include "faceptor/synth/scene.h"

namespace fc::faceptor::synth {

void draw_nose(const Scene& s) {
  const Landmarks& p = s.p;
  double nl = p[30].y, nw = p[35].x, base = p[33].y;
  std::vector<Point2> ctl = {{-0.07, 0.0},          {-0.085, nl * 0.45},    {-nw * 0.75, nl - 0.07}, {-nw - 0.045, nl},
                             {-nw - 0.03, base - 0.01}, {-nw * 0.5, base + 0.02}, {0, base + 0.025},      {nw * 0.5, base + 0.02},
                             {nw + 0.03, base - 0.01},  {nw + 0.045, nl},       {nw * 0.75, nl - 0.07},  {0.085, nl * 0.45},
                             {0.07, 0.0}};
  Polygon nose = catmull_rom(ctl, true, 6);
  s.fill(nose, s.lit(scale(s.skin, 1.03f), kNose, {0, 0.3}, 0.9, 1.2));
  // The side of the bridge away from the light is in shadow.
  double side = s.face.light_x > 0 ? -1 : 1;
  Point2 shadow[3] = {{side * 0.07, 0.05}, {side * 0.08, nl * 0.5}, {side * (nw * 0.7), nl - 0.03}};
  double w[3] = {0.02, 0.04, 0.03};
  s.fill(smooth_stroke(shadow, w), s.flat(scale(s.skin, 0.75f), -1, 0.22f), &nose);
  s.fill(ellipse({0, nl - 0.02}, 0.05, 0.035), s.flat({1, 1, 1}, -1, 0.15f));
  for (int sgn : {-1, 1}) {
    s.fill(ellipse({sgn * nw * 0.5, base - 0.02}, 0.045, 0.02, sgn * 0.3), s.flat(scale(s.skin, 0.3f), -1, 0.85f));
    Point2 ala[3] = {{sgn * (nw * 0.8), nl - 0.05}, {sgn * (nw + 0.03), nl + 0.01}, {sgn * (nw * 0.7), base - 0.005}};
    double aw[3] = {0.004, 0.012, 0.004};
    s.fill(smooth_stroke(ala, aw), s.flat(scale(s.skin, 0.55f), -1, 0.5f));
  }
}

void draw_eyes_and_brows(const Scene& s) {
  const Landmarks& p = s.p;
  const Geometry& g = s.g;
  Color sclera{0.95f, 0.94f, 0.9f}, lash{0.08f, 0.06f, 0.06f};
  for (int first : {36, 42}) {
    bool left = first == 36;
    Polygon eye = eye_polygon(p, first);
    Point2 c{(p[first].x + p[first + 3].x) / 2, (p[first + 1].y + p[first + 2].y + p[first + 4].y + p[first + 5].y) / 4};
    s.fill(eye, s.lit(sclera, left ? kLeftEye : kRightEye, c, g.eye_width, 0.2));
    double r = g.eye_width * 0.5;
    s.fill(ellipse(c, r, r), s.lit(s.face.id.iris, -1, c, r * 1.4, r * 1.4), &eye);
    s.fill(ellipse(c, r * 0.45, r * 0.45), s.flat({0.02f, 0.02f, 0.02f}, -1), &eye);
    s.fill(ellipse({c.x + r * 0.35, c.y - r * 0.35}, r * 0.2, r * 0.2), s.flat({1, 1, 1}, -1, 0.9f), &eye);
    // The upper lid line (lashes) and a crease above it.
    Point2 upper[4] = {p[first], p[first + 1], p[first + 2], p[first + 3]};
    double uw[4] = {0.012, 0.028, 0.028, 0.008};
    if (!left) std::swap(uw[0], uw[3]);
    s.fill(smooth_stroke(upper, uw), s.flat(lash, -1));
    Point2 crease[4];
    for (int k = 0; k < 4; ++k) crease[k] = {upper[k].x, upper[k].y - 0.045 - (k == 1 || k == 2 ? 0.01 : 0)};
    double cw[4] = {0.003, 0.01, 0.01, 0.003};
    s.fill(smooth_stroke(crease, cw), s.flat(scale(s.skin, 0.6f), -1, 0.5f));
    Point2 lower[4] = {p[first + 3], p[first + 4], p[first + 5], p[first]};
    double lw[4] = {0.003, 0.008, 0.008, 0.003};
    s.fill(smooth_stroke(lower, lw), s.flat(scale(s.skin, 0.5f), -1, 0.5f));
  }
  // Brows: a tapered stroke whose centre line sits a little below the landmarks' line (300W
  // puts brow points near the upper edge), so every brow landmark is inside the brow mask.
  for (int first : {17, 22}) {
    bool left = first == 17;
    Point2 ctl[5];
    for (int k = 0; k < 5; ++k) ctl[k] = {p[first + k].x, p[first + k].y + 0.1 * g.brow_thickness};
    double t = g.brow_thickness, w[5] = {0.55 * t, 0.9 * t, t, 1.05 * t, 0.9 * t};
    if (!left) std::reverse(std::begin(w), std::end(w));
    s.fill(smooth_stroke(ctl, w), s.lit(s.brow, left ? kLeftBrow : kRightBrow, {0, -0.3}, 1.0, 0.5, 0.35f));
  }
}

void draw_mouth(const Scene& s) {
  const Landmarks& p = s.p;
  auto curve = [&](std::initializer_list<int> ids) {
    std::vector<Point2> pts;
    for (int i : ids) pts.push_back(p[i]);
    return catmull_rom(pts, false, 6);
  };
  Polygon upper = curve({48, 49, 50, 51, 52, 53, 54}), inner_upper = curve({64, 63, 62, 61, 60});
  upper.insert(upper.end(), inner_upper.begin(), inner_upper.end());
  Polygon lower = curve({54, 55, 56, 57, 58, 59, 48}), inner_lower = curve({60, 67, 66, 65, 64});
  lower.insert(lower.end(), inner_lower.begin(), inner_lower.end());
  Polygon inner = curve({60, 61, 62, 63, 64}), inner_back = curve({64, 65, 66, 67, 60});
  inner.insert(inner.end(), inner_back.begin(), inner_back.end());
  Point2 c{0, p[62].y};
  double mw = std::abs(p[48].x);
  s.fill(inner, s.flat({0.32f, 0.07f, 0.09f}, kMouth));
  if (p[66].y - p[62].y > 0.025) {
    double teeth = std::min(0.05, 0.5 * (p[66].y - p[62].y));
    Polygon band = {{-mw, p[62].y - 0.05}, {mw, p[62].y - 0.05}, {mw, p[62].y + teeth}, {-mw, p[62].y + teeth}};
    s.fill(band, s.lit({0.95f, 0.93f, 0.85f}, kMouth, c, mw, 0.2), &inner);
  }
  s.fill(upper, s.lit(scale(s.lip, 0.88f), kUpperLip, c, mw * 1.1, 0.25));
  s.fill(lower, s.lit(s.lip, kLowerLip, {0, p[57].y - 0.05}, mw * 1.1, 0.2));
  s.fill(ellipse({0, (p[57].y + p[66].y) / 2 - 0.01}, mw * 0.35, 0.018), s.flat({1, 1, 1}, -1, 0.18f));
  Polygon seam = curve({60, 61, 62, 63, 64});
  s.fill(stroke(seam, 0.012), s.flat(scale(s.lip, 0.45f), -1, 0.7f));
}

void draw_bangs(const Scene& s) {
  const FaceSpec& f = s.face;
  if (!f.id.bangs || f.id.hair_style == HairStyle::bald) return;
  double fw = s.g.face_width, brow_top = std::min(s.p[19].y, s.p[24].y);
  std::vector<Point2> ctl;
  for (int k = 0; k <= 8; ++k) {  // the crown, right to left
    double phi = M_PI * k / 8;
    ctl.push_back({fw * 0.98 * std::cos(phi), -0.3 - (0.75 + f.id.hair_volume * 0.5) * std::sin(phi)});
  }
  int strands = 9;
  for (int k = 0; k <= strands; ++k) {  // the fringe, left to right, shorter toward the temples
    double x = -fw * 0.9 + 1.8 * fw * k / strands, u = x / fw;
    double y = brow_top - 0.07 - 0.22 * u * u + (k % 2 ? -0.045 : 0);
    ctl.push_back({x, y});
  }
  s.fill(catmull_rom(ctl, true, 4), s.lit(s.hair, kHair, {0, -0.5}, fw + 0.1, 0.9, 0.3f), &s.skin_outline);
}

void draw_glasses(const Scene& s) {
  const FaceSpec& f = s.face;
  if (!f.eyeglasses) return;
  const Geometry& g = s.g;
  double hw = g.eye_width + 0.08, hh = 0.13, cy = 0.0;
  std::vector<Polygon> lenses;
  for (int side : {-1, 1}) {
    Polygon lens;
    for (int k = 0; k < 40; ++k) {  // a rounded rectangle (superellipse, exponent 4)
      double t = 2 * M_PI * k / 40, c = std::cos(t), sn = std::sin(t);
      lens.push_back({side * g.eye_spacing + hw * std::copysign(std::sqrt(std::abs(c)), c),
                      cy + hh * std::copysign(std::sqrt(std::abs(sn)), sn)});
    }
    lenses.push_back(lens);
  }
  Paint tint = f.sunglasses ? s.flat({0.05f, 0.05f, 0.08f}, kEyeglasses, 0.92f) : s.flat({0.7f, 0.85f, 0.95f}, kEyeglasses, 0.15f);
  Paint frame = s.lit(f.glasses_color, kEyeglasses, {0, 0}, 1.2, 0.6);
  for (const Polygon& lens : lenses) {
    s.fill(lens, tint);
    Polygon ring = lens;
    ring.push_back(lens.front());
    s.fill(stroke(ring, 0.035), frame);
  }
  double inner = g.eye_spacing - hw, outer = g.eye_spacing + hw;
  Point2 bridge[3] = {{-inner, cy - 0.02}, {0, cy - 0.06}, {inner, cy - 0.02}};
  double bw[3] = {0.03, 0.03, 0.03};
  s.fill(smooth_stroke(bridge, bw), frame);
  for (int side : {-1, 1}) {
    Polygon arm = {{side * outer, cy - 0.05}, {side * g.face_width * 0.99, cy - 0.02}, {side * g.face_width * 0.99, cy + 0.01},
                   {side * outer, cy - 0.02}};
    s.fill(arm, frame);
  }
  if (f.sunglasses) return;  // the eyes are hidden, so they keep no label
  // CelebAMask-HQ merges l_eye/r_eye and the brows after eye_g: relabel them, keep the colours.
  for (int first : {36, 42}) s.fill(eye_polygon(s.p, first), Paint{{}, 1.f, first == 36 ? kLeftEye : kRightEye, false, {}});
}

void draw_hat(const Scene& s) {
  const FaceSpec& f = s.face;
  if (f.hat == Hat::none) return;
  double rx = s.g.face_width + f.id.hair_volume + 0.07, brim = -0.52;
  Polygon dome;
  for (int k = 0; k <= 20; ++k) {
    double phi = M_PI * k / 20;
    dome.push_back({rx * std::cos(phi), brim - (0.8 + f.id.hair_volume) * std::pow(std::sin(phi), 0.8)});
  }
  s.fill(dome, s.lit(f.hat_color, kHat, {0, brim - 0.3}, rx, 0.9, f.hat == Hat::beanie ? 0.2f : 0.05f));
  if (f.hat == Hat::beanie) {
    Polygon band = {{-rx, brim - 0.16}, {rx, brim - 0.16}, {rx * 1.02, brim + 0.02}, {-rx * 1.02, brim + 0.02}};
    s.fill(band, s.lit(scale(f.hat_color, 0.8f), kHat, {0, brim}, rx, 0.3, 0.3f));
  } else {
    Polygon visor;
    for (int k = 0; k <= 16; ++k) {
      double phi = M_PI * k / 16;
      visor.push_back({-0.95 * rx * std::cos(phi), brim - 0.03 + 0.22 * std::sin(phi)});
    }
    s.fill(visor, s.lit(scale(f.hat_color, 0.75f), kHat, {0, brim}, rx, 0.3));
  }
}

namespace {

Color skin_color(double tone) {
  Color dark{0.33f, 0.2f, 0.13f}, mid{0.78f, 0.56f, 0.42f}, pale{0.98f, 0.86f, 0.78f};
  return tone < 0.5 ? mix(dark, mid, static_cast<float>(tone * 2)) : mix(mid, pale, static_cast<float>(tone * 2 - 1));
}

Color hair_color(HairColor c) {
  switch (c) {
    case HairColor::black: return {0.07f, 0.06f, 0.06f};
    case HairColor::brown: return {0.33f, 0.2f, 0.1f};
    case HairColor::blond: return {0.88f, 0.74f, 0.45f};
    case HairColor::red: return {0.62f, 0.25f, 0.1f};
  }
  return {0, 0, 0};
}

// Box blur (radius 1) of an 8-bit image, edges clamped: the "Blurry" attribute.
Image box_blur(const Image& in) {
  Image out = in;
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x)
      for (int k = 0; k < 3; ++k) {
        int sum = 0;
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx)
            sum += in.at(std::clamp(y + dy, 0, in.height - 1), std::clamp(x + dx, 0, in.width - 1))[k];
        out.at(y, x)[k] = static_cast<uint8_t>((sum + 4) / 9);
      }
  return out;
}

}  // namespace

SynthSample render_face(const FaceSpec& face, int image_size, int supersample) {
  FC_CHECK(image_size >= 32, "synth::render_face: image size ", image_size, " below 32");
  Canvas canvas(image_size, supersample);
  float grey = grey_fraction(face);
  Color skin = skin_color(face.id.skin_tone);
  // Older skin is a little duller and greyer.
  skin = mix(skin, Color{0.7f, 0.62f, 0.58f}, 0.2f * std::clamp(static_cast<float>((face.age - 50) / 40.0), 0.f, 1.f));
  Color hair = mix(hair_color(face.id.hair_color), Color{0.82f, 0.82f, 0.8f}, grey);
  Color brow = mix(scale(hair_color(face.id.hair_color), 0.7f), Color{0.6f, 0.6f, 0.58f}, 0.7f * grey);
  Color lip = face.lipstick ? face.lipstick_color : mix(skin, Color{0.7f, 0.28f, 0.3f}, 0.45f);
  Scene scene{face, face_geometry(face), canonical_landmarks(face), face_pose(face, image_size), canvas,
              skin, hair, brow, lip, {}};
  scene.skin_outline = face_outline(scene);
  draw_background(scene);
  draw_body(scene);
  draw_head(scene);
  draw_skin_details(scene);
  draw_nose(scene);
  draw_eyes_and_brows(scene);
  draw_mouth(scene);
  draw_bangs(scene);
  draw_glasses(scene);
  draw_hat(scene);

  SynthSample out;
  out.image = canvas.image();
  if (face.blurry) out.image = box_blur(box_blur(out.image));
  Rng noise(face.texture_seed ^ 0x5EEDull);
  for (uint8_t& v : out.image.pixels)
    v = static_cast<uint8_t>(std::clamp(std::lround(v + face.noise_sigma * noise.normal()), 0L, 255L));
  out.parsing = canvas.labels();
  for (int i = 0; i < 68; ++i) out.landmarks[i] = scene.pose.apply(scene.p[i]);
  out.age = face.age;
  out.expression = face.expression;
  out.identity = face.identity_id;
  out.male = face.id.male;
  out.attributes = face_attributes(face);
  out.yaw = face.yaw;
  out.roll = face.roll;
  return out;
}

}  // namespace fc::faceptor::synth
