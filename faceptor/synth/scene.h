// Internal to the renderer: the state shared by the drawing passes (render_head.cpp,
// render_features.cpp). Shapes are built in canonical face coordinates and mapped through the
// pose when drawn, so they line up with the landmarks exactly.
#pragma once

#include <cstdint>

#include "faceptor/synth/face_model.h"
#include "faceptor/synth/labels.h"
#include "faceptor/synth/raster.h"

namespace fc::faceptor::synth {

struct Scene {
  const FaceSpec& face;
  Geometry g;
  Landmarks p;  // canonical landmarks
  Pose pose;
  Canvas& canvas;
  Color skin, hair, brow, lip;
  Polygon skin_outline;  // canonical face outline (jaw + hairline or crown), for clipping

  // Fills a canonical-frame polygon (clip also canonical).
  void fill(const Polygon& canonical, const Paint& paint, const Polygon* clip = nullptr) const;
  // Paint lit as a surface of the given ellipsoid (canonical centre and radii), with optional
  // strand texture (amplitude, 0 = none).
  Paint lit(Color base, int label, Point2 center, double rx, double ry, float texture = 0) const;
  Paint flat(Color base, int label, float opacity = 1.f) const;
};

// Canonical polygons shared by several passes.
Polygon eye_polygon(const Landmarks& p, int first);  // first = 36 or 42
Polygon face_outline(const Scene& s);
// A stroke through control points with a width per control point, smoothed.
Polygon smooth_stroke(std::span<const Point2> control, std::span<const double> widths);
float hash01(int64_t a, int64_t b, uint64_t seed);            // deterministic value in [0, 1)
float value_noise(double x, double y, uint64_t seed);         // smooth, lattice spacing 1

void draw_background(const Scene& s);
void draw_body(const Scene& s);        // cloth, long hair behind, neck, necklace
void draw_head(const Scene& s);        // ears, earrings, hair, face skin
void draw_skin_details(const Scene& s);  // wrinkles, blush, makeup, beard, sideburns
void draw_nose(const Scene& s);
void draw_eyes_and_brows(const Scene& s);
void draw_mouth(const Scene& s);
void draw_bangs(const Scene& s);
void draw_glasses(const Scene& s);
void draw_hat(const Scene& s);

}  // namespace fc::faceptor::synth
