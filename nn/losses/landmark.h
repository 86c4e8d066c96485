// Face alignment (landmark) loss of Faceptor: the head predicts one heatmap of logits per
// landmark; the loss combines the distance between the points read off those heatmaps and the
// labelled points with a per-pixel binary cross-entropy against Gaussian target heatmaps drawn
// at the labelled points.
//
//   LandmarkLossTerms l = landmark_loss(heatmap_logits, landmarks);  // (B, 68, 128, 128), (B, 68, 2)
//   l.total.backward();                                             // l.coord, l.heatmap for logging
//   Tensor target = landmark_target_heatmaps(normalize_landmarks(landmarks, 512), 128, 128, 5.0);
//
// Port with a pointer (faceptor_project/core/model/):
//   geometry.py normalize_points: p_norm = (p + 0.5) / size, with p in input-image pixels (x, y).
//   geometry.py heatmap2points on heads/task_specific_heads.py AlignOutput (sigmoid activation):
//     h = sigmoid(logits); x = sum(h * col) / max(sum h, 1e-6), y likewise with row;
//     pred = ((x + 0.5) / W, (y + 0.5) / H).
//   geometry.py points2heatmap with ext/p2i_ops (kernel 'gaussian_awing', reduce 'max', background
//     0): each landmark gets its own map; the point moves to heatmap pixels, c = p_norm * size - 0.5;
//     every pixel (col, row) with r = |(col, row) - c| <= radius gets exp(-8 r^2 / radius^2)
//     (a Gaussian with sigma = radius / 4), every other pixel 0.
//   loss/align_loss.py AlignLoss.forward (input_size 512, heatmap_size 128, radius 5):
//     coord   = mean_{b,p} |p_norm - pred|_2          (named coord_l1_loss upstream; an L2 norm)
//     heatmap = mean over all pixels of bce_with_logits(resize(logits, heatmap_size), target)
//               (bilinear, align_corners=False; the identity at the released 128 x 128)
//     total   = coord + heatmap                        (weights [1.0, 1.0])
//   The points come from the logits at the head's own resolution, before that resize.
//   One difference: a predicted point exactly on its label (distance 0) gets a NaN gradient here
//   (sqrt'(0)) where torch.norm's backward gives 0. An exact float hit does not happen in practice.
//
// Letter key: B batch, P landmarks, H W heatmap size.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace fc {

struct LandmarkLossOptions {
  int64_t input_size = 512;     // the image the landmark labels are in (square)
  int64_t heatmap_size = 128;   // the target heatmaps' size (square)
  double heatmap_radius = 5.0;  // in heatmap pixels
};

// points (B, P, 2) in input pixels, x then y -> (B, P, 2) in [0, 1]: (p + 0.5) / input_size.
Tensor normalize_landmarks(const Tensor& points, int64_t input_size);

// normalized_points (B, P, 2) -> (B, P, height, width) constant target heatmaps, computed in double.
Tensor landmark_target_heatmaps(const Tensor& normalized_points, int64_t height, int64_t width, double radius);

// heatmap logits (B, P, H, W) -> (B, P, 2) normalised points, x then y: the sigmoid-weighted mean
// pixel position. Differentiable; faceptor::landmarks_from_heatmaps returns the same values.
Tensor heatmap_points(const Tensor& heatmap_logits);

struct LandmarkLossTerms {
  Tensor total;    // () coord + heatmap
  Tensor coord;    // () mean point distance, in normalised units
  Tensor heatmap;  // () mean per-pixel binary cross-entropy
};

// heatmap_logits (B, P, h, w), landmarks (B, P, 2) in input pixels -> the terms above. Gradients
// flow to the logits only.
LandmarkLossTerms landmark_loss(const Tensor& heatmap_logits, const Tensor& landmarks,
                                const LandmarkLossOptions& options = {});

}  // namespace fc
