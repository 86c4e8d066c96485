// The --overlay picture of `faceptor analyze`: the first parsing task's label map blended over
// the picture (CelebAMask-HQ palette, background untouched), every landmark task's points drawn
// (one colour per task), and a short legend (age, expression, which tasks are shown).
//
//   Image panel = draw_overlay(photo, analysis);
//   Image seen = picture_from_model_input(x, /*dense=*/true);  // faceptor/preprocess.h
#pragma once

#include "faceptor/analyze.h"
#include "faceptor/image.h"

namespace fc::tools {

// base must be the analysis frame (the original picture, or the input tensor's picture).
Image draw_overlay(const Image& base, const faceptor::Analysis& analysis);

}  // namespace fc::tools
