// The synthetic face model: what one rendered face is, before any pixel is drawn.
//
// An Identity is a seeded face-shape vector (proportions, skin, hair, sex, an age around which
// its images vary); a FaceSpec is one image of it: per-image jitter of the shape, age,
// expression, accessories, pose, lighting and background. The geometry is the 68 landmarks in
// 300W order built in a canonical frame (eyes on y = 0, eye centres near x = +-0.42, face
// half-width about 1, y down); the renderer builds every shape from those points and maps it
// through the same Pose, so the landmarks are exact labels of what is drawn.
//
//   Identity who = sample_identity(/*identity_seed=*/7);
//   Rng rng(123);
//   FaceSpec face = sample_face_spec(who, /*identity_id=*/7, rng);
//   face.expression = 1;                                // happy: corners of the mouth go up
//   Landmarks canonical = canonical_landmarks(face);    // 68 points, canonical frame
//   Pose pose = face_pose(face, 256);                    // canonical -> 256x256 pixels
//
// Sides: "left" in names below means image-left (the subject's right), as 300W (points 36-41 are
// the image-left eye) and CelebAMask-HQ's l_eye / l_brow / l_ear masks are drawn.
#pragma once

#include <array>
#include <cstdint>

#include "core/random.h"
#include "faceptor/synth/raster.h"

namespace fc::faceptor::synth {

using Landmarks = std::array<Point2, 68>;

enum class HairStyle { bald, short_cut, bob, long_hair };
enum class HairColor { black, brown, blond, red };
enum class Beard { none, stubble, mustache, goatee, full };
enum class Hat { none, beanie, cap };
enum class Background { solid, vertical_gradient, radial_gradient, stripes, blobs, noise };

// Face-shape vector of one person, in canonical units. Its images jitter these by ~2%.
struct Identity {
  bool male = false;
  int base_age = 30;
  double face_width = 0.95;    // half-width at the cheeks
  double face_length = 1.42;   // chin y
  double jaw_square = 2.4;     // superellipse exponent of the jaw (2 = round, 3.5 = square)
  double eye_spacing = 0.42;   // eye centre x
  double eye_width = 0.18;     // half-width
  double eye_height = 0.08;    // half-height of the opening
  double eye_tilt = 0.0;       // outer corners up (< 0) or down
  double brow_y = -0.3;
  double brow_thickness = 0.06;
  double brow_arch = 0.04;
  double nose_length = 0.55;
  double nose_width = 0.17;
  double mouth_y = 0.92;
  double mouth_width = 0.33;
  double lip_upper = 0.06, lip_lower = 0.08;
  double skin_tone = 0.5;      // 0 dark .. 1 pale
  double hair_volume = 0.12;
  double hairline_y = -0.8;
  double grey_rate = 1.0;      // how fast the hair greys with age
  HairStyle hair_style = HairStyle::short_cut;
  HairColor hair_color = HairColor::brown;
  bool wavy = false;
  bool bangs = false;
  Beard beard = Beard::none;
  Color iris{0.3f, 0.2f, 0.1f};
};

// Expression as geometry: offsets applied to the neutral face (canonical units).
struct ExpressionShape {
  double brow_raise = 0;    // whole brow up
  double brow_inner = 0;    // inner ends up (sad, fear) or down (anger, < 0)
  double brow_furrow = 0;   // inner ends pulled toward the nose
  double eye_open = 1;      // scale of the eye opening
  double mouth_curve = 0;   // corners up (> 0, smile) or down
  double mouth_open = 0;    // gap between the lips
  double mouth_width = 1;   // scale
  double lip_press = 1;     // lip thickness scale
  double upper_lip_raise = 0;  // disgust
  double nose_wrinkle = 0;     // disgust
};

// Everything that determines one image; sampling it is separate from drawing it so tests can
// set one field (expression, eyeglasses) and keep the rest.
struct FaceSpec {
  Identity id;
  int identity_id = 0;
  int age = 30;
  int expression = 0;          // AffectNet order (faceptor/tasks.h expression_names())
  double expression_intensity = 1.0;
  bool mouth_slightly_open = false;  // extra opening for non-open expressions
  bool eyeglasses = false, sunglasses = false;
  Hat hat = Hat::none;
  bool receding_hairline = false;
  bool earrings = false, necklace = false, necktie = false;
  bool lipstick = false, heavy_makeup = false, rosy_cheeks = false;
  bool bags_under_eyes = false, sideburns = false;
  bool blurry = false;
  // Pose: yaw turns the face (features shift over the head ellipsoid), roll rotates, scale and
  // shift place it.
  double yaw = 0, roll = 0, scale = 1, shift_x = 0, shift_y = 0;
  // Appearance.
  Background background = Background::solid;
  Color background_a{0.5f, 0.5f, 0.5f}, background_b{0.7f, 0.7f, 0.7f};
  Color cloth{0.2f, 0.3f, 0.6f}, hat_color{0.6f, 0.1f, 0.1f}, glasses_color{0.1f, 0.1f, 0.1f};
  Color lipstick_color{0.75f, 0.1f, 0.2f}, accessory_color{0.9f, 0.8f, 0.3f};
  double light_x = 0.3, light_y = -0.4;  // light direction in the image plane (toward the light)
  double light_strength = 0.5;
  double noise_sigma = 2.0;               // per-pixel noise, in 8-bit levels
  uint64_t texture_seed = 0;
};

Identity sample_identity(uint64_t identity_seed);
// One image of `id`: per-image jitter, age near id.base_age, expression, accessories, pose...
FaceSpec sample_face_spec(const Identity& id, int identity_id, Rng& rng);

ExpressionShape expression_shape(int expression, double intensity);  // AffectNet index 0-6
// Per-image geometry after age and expression: what the landmarks and shapes are built from.
struct Geometry {
  double face_width, chin_y, jaw_square, eye_spacing, eye_width, eye_height, eye_tilt;
  double brow_y, brow_thickness, brow_arch, nose_length, nose_width, mouth_y, mouth_width;
  double lip_upper, lip_lower, hairline_y;
  ExpressionShape expr;
};
Geometry face_geometry(const FaceSpec& face);
Landmarks canonical_landmarks(const FaceSpec& face);

// Canonical frame -> image pixels: yaw over a head ellipsoid (points in front of it move
// sideways with their depth), then roll, scale and shift.
struct Pose {
  double yaw = 0, cos_roll = 1, sin_roll = 0, pixels_per_unit = 60, center_x = 0, center_y = 0;
  double head_rx = 1, head_ry = 1.5, nose_length = 0.55;
  Point2 apply(Point2 canonical) const;
  Polygon apply(const Polygon& canonical) const;
  Point2 to_canonical(Point2 image) const;  // inverse of roll/scale/shift only (lighting)
};
Pose face_pose(const FaceSpec& face, int image_size);

}  // namespace fc::faceptor::synth
