// Labels of a synthetic face for the six Faceptor tasks, and the public datasets' conventions
// they are written in: CelebAMask-HQ class indices (the parsing map), the 40 CelebA attributes,
// RAF-DB's 1-7 expression numbering, the 5-point alignment subset of the 68 landmarks.
//
//   std::array<int8_t, 40> a = face_attributes(face);   // +1 / -1, 0 = not controlled
//   int raf = rafdb_label(1);                            // AffectNet "happy" -> RAF-DB 4
//   std::array<Point2, 5> five = five_points(landmarks); // eyes, nose tip, mouth corners
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "faceptor/synth/face_model.h"

namespace fc::faceptor::synth {

// CelebAMask-HQ classes in faceptor/tasks.h celebamask_hq_class_names() order. l_* is image-left.
enum ParsingClass : uint8_t {
  kBackground, kNeck, kSkin, kCloth, kLeftEar, kRightEar, kLeftBrow, kRightBrow, kLeftEye, kRightEye,
  kNose, kMouth, kLowerLip, kUpperLip, kHair, kEyeglasses, kHat, kEarring, kNecklace, kParsingClassCount
};

// The 40 CelebA attributes (celeba_attribute_names() order): +1 present, -1 absent, 0 for the
// five the renderer does not control (Attractive, Double_Chin, High_Cheekbones, Oval_Face,
// Pointy_Nose). Each controlled one is a rule on the FaceSpec; see labels.cpp.
std::array<int8_t, 40> face_attributes(const FaceSpec& face);
const std::vector<std::string>& uncontrolled_attribute_names();

// AffectNet index (0 neutral, 1 happy, 2 sad, 3 surprise, 4 fear, 5 disgust, 6 anger) ->
// RAF-DB label (1 Surprise, 2 Fear, 3 Disgust, 4 Happiness, 5 Sadness, 6 Anger, 7 Neutral).
int rafdb_label(int affectnet_expression);

// CelebA's 5 points: image-left eye centre, image-right eye centre, nose tip, left and right
// mouth corners (means of 36-41 and 42-47, then points 30, 48, 54).
std::array<Point2, 5> five_points(const Landmarks& landmarks);

// Head pose as classes, for a task that exists only in configuration (tests/test_task_config.cpp):
// yaw in [-kMaxYaw, kMaxYaw] radians (sample_face_spec's range) cut into `bins` equal bins,
// bin 0 the most negative yaw; values outside clamp to the end bins.
inline constexpr double kMaxYaw = 0.4;
int yaw_bin(double yaw, int bins = 5);
// "yaw -0.40..-0.24" ...: each bin's range in radians, for TaskSpec::labels.
std::vector<std::string> yaw_bin_names(int bins = 5);

// How grey the hair has turned at this age (0 none .. 1 white); above 0.55 it counts as Gray_Hair.
float grey_fraction(const FaceSpec& face);

}  // namespace fc::faceptor::synth
