// The --overlay picture of `faceptor analyze`: the first parsing task's label map blended over
// the picture (CelebAMask-HQ palette, background untouched), every landmark task's points drawn
// (one colour per task), and a short legend (age, expression, which tasks are shown).
//
//   Image panel = draw_overlay(photo, analysis);
//   Image seen = image_from_model_input(x, /*dense=*/true);   // what a (1, 3, S, S) input shows
#pragma once

#include "faceptor/analyze.h"
#include "faceptor/image.h"

namespace fc::tools {

// base must be the analysis frame (the original picture, or the input tensor's picture).
Image draw_overlay(const Image& base, const faceptor::Analysis& analysis);

// input (1, 3, S, S) normalised for the dense (FaRL statistics) or the 112 ((x - 0.5) / 0.5)
// pipeline -> the RGB picture it encodes.
Image image_from_model_input(const Tensor& input, bool dense);

}  // namespace fc::tools
