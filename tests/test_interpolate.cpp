#include <doctest/doctest.h>

#include "core/error.h"
#include "ops/interpolate.h"
#include "tests/support/check.h"

using namespace fc;
using namespace fc::test;

// Each case's output size, mode and align_corners mirror tests/reference/op_fixtures_interpolate.py.
#define RESIZE_CASE(ident, h, w, mode, align)                                                                 \
  FC_OP_CASE(ident, {.op = "interpolate", .group = "interpolate", .name = #ident, .fn = [](const Inputs& x) { \
                       return interpolate(x[0], h, w, InterpolateMode::mode, align);                          \
                     }})

RESIZE_CASE(nearest_up, 7, 9, nearest, false);
RESIZE_CASE(nearest_down, 4, 3, nearest, false);
RESIZE_CASE(nearest_2x, 8, 10, nearest, false);
RESIZE_CASE(nearest_one_row, 2, 7, nearest, false);
RESIZE_CASE(nearest_mixed, 4, 11, nearest, false);

RESIZE_CASE(bilinear_up, 7, 11, bilinear, false);
RESIZE_CASE(bilinear_down, 4, 3, bilinear, false);
RESIZE_CASE(bilinear_4x, 64, 64, bilinear, false);
RESIZE_CASE(bilinear_to_one, 1, 1, bilinear, false);
RESIZE_CASE(bilinear_one_col, 4, 3, bilinear, false);
RESIZE_CASE(bilinear_align_up, 9, 7, bilinear, true);
RESIZE_CASE(bilinear_align_down, 3, 4, bilinear, true);
RESIZE_CASE(bilinear_align_to_one, 1, 3, bilinear, true);

RESIZE_CASE(bicubic_4to7, 7, 7, bicubic, false);
RESIZE_CASE(bicubic_9to5, 5, 5, bicubic, false);
RESIZE_CASE(bicubic_32to7, 7, 7, bicubic, false);
RESIZE_CASE(bicubic_identity, 32, 32, bicubic, false);
RESIZE_CASE(bicubic_mixed, 3, 10, bicubic, false);
RESIZE_CASE(bicubic_one_row, 3, 8, bicubic, false);
RESIZE_CASE(bicubic_align_up, 8, 11, bicubic, true);
RESIZE_CASE(bicubic_align_down, 4, 3, bicubic, true);

TEST_CASE("interpolate: a same-size bicubic resize returns the input exactly") {
  Tensor x = Tensor::from_vector({1, -2, 3.5f, 4, 0.25f, -6}, {1, 1, 2, 3});
  CHECK(interpolate(x, 2, 3, InterpolateMode::bicubic).to_vector() == x.to_vector());
  CHECK(interpolate(x, 2, 3, InterpolateMode::bilinear).to_vector() == x.to_vector());
}

TEST_CASE("interpolate: bad shapes and options name the op and the shapes") {
  CHECK_THROWS_WITH_AS(interpolate(Tensor::zeros({2, 4, 4}), 8, 8, InterpolateMode::bilinear),
                       "interpolate: x (2,4,4): expected a non-empty (N, C, H, W)", Error);
  CHECK_THROWS_WITH_AS(interpolate(Tensor::zeros({1, 2, 4, 4}), 0, 8, InterpolateMode::bicubic),
                       "interpolate: x (1,2,4,4): output size (0, 8) must be positive", Error);
  CHECK_THROWS_WITH_AS(interpolate(Tensor::zeros({1, 2, 4, 4}), 8, 8, InterpolateMode::nearest, true),
                       "interpolate: x (1,2,4,4): align_corners is only for the interpolating modes (bilinear, "
                       "bicubic), not nearest",
                       Error);
}
