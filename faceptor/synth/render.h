// render_face: draws one FaceSpec into an RGB image and its exact labels for all six Faceptor
// tasks (landmarks, parsing, age, expression, attributes, identity).
//
//   Rng rng(5);
//   FaceSpec face = sample_face_spec(sample_identity(11), 11, rng);
//   SynthSample s = render_face(face, 256);
//   save_png("face.png", s.image);      // s.parsing: 256 * 256 CelebAMask-HQ class indices
//
// Layers, back to front: background, cloth, long hair behind the head, neck, necklace, ears,
// hair, earrings, face skin, skin details (wrinkles, blush, beard), nose, eyes, brows, lips and
// inner mouth, bangs, glasses, hat. A pixel's parsing label is the last labelled shape over its
// centre, except that the eyes keep their labels under clear glasses, as CelebAMask-HQ's
// merge order (eyes after eye_g) has it. Beard and stubble stay "skin"; sideburns are "hair";
// teeth belong to "mouth" (the inner mouth).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "faceptor/image.h"
#include "faceptor/synth/face_model.h"

namespace fc::faceptor::synth {

struct SynthSample {
  Image image;                   // size x size RGB
  std::vector<uint8_t> parsing;  // size * size CelebAMask-HQ class indices, row-major
  Landmarks landmarks;           // 68 points in pixels (pixel centres at integers), 300W order
  int age = 0;                   // years, 1-95
  int expression = 0;            // AffectNet order 0-6
  int identity = 0;
  bool male = false;
  std::array<int8_t, 40> attributes{};  // CelebA order; +1 / -1, 0 = not controlled
  double yaw = 0, roll = 0;      // head pose in radians (FaceSpec); yaw_bin() in labels.h makes classes
};

// image_size >= 32; supersample (odd) trades speed for smoother edges.
SynthSample render_face(const FaceSpec& face, int image_size, int supersample = 3);

}  // namespace fc::faceptor::synth
