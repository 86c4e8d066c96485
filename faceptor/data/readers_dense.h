// Readers for the 512-input tasks' public datasets (parsing and landmarks), each in the
// dataset's own published layout. Samples come at file resolution with labels in that image's
// pixel coordinates; the dense transforms (transforms.h) crop and warp them to 512.
//
//   CelebAMaskHq celebam("data/CelebAMask-HQ", "train_val");   // parsing map, 19 classes
//   Ibug300w w300("data/300W", {"lfpw/trainset", "helen/trainset", "afw"});
//   Wflw wflw("WFLW_annotations/list_98pt_rect_attr_train_test/list_98pt_rect_attr_train.txt",
//             "WFLW_images");
#pragma once

#include <string>
#include <vector>

#include "faceptor/data/records.h"

namespace fc::faceptor::data {

// CelebAMask-HQ: images <root>/CelebA-HQ-img/<id>.jpg; part masks
// <root>/CelebAMask-HQ-mask-anno/<id / 2000>/<id:05d>_<part>.png (non-zero = part), parts in
// celebamask_hq_class_names() order (class = position, 0 background); a missing mask file is an
// absent part; later parts override earlier ones (official make_label). The label map takes
// the masks' size (all must agree; 512 in the release); the image is resized to it with
// bilinear sampling (the official cv2.resize INTER_LINEAR; ours rounds from float, so a pixel
// may differ by 1/255). A sample without any mask gets an all-background map of the image's size.
// Splits through <root>/CelebA-HQ-to-CelebA-mapping.txt ("idx orig_idx orig_file") and
// <root>/list_eval_partition.txt (CelebA's); split "all" needs neither and takes every image
// in CelebA-HQ-img, by id.
class CelebAMaskHq : public RecordDataset {
 public:
  CelebAMaskHq(const std::string& root, const std::string& split);

 protected:
  Sample load(const Record& record) const override;

 private:
  std::string root_;
};

// LaPa: <root>/<split>/images/<name>.jpg, labels/<name>.png (grey label values 0-10,
// lapa_class_names()), landmarks/<name>.txt ("106" then 106 "x y" pairs, pixel coordinates).
// split: train, val, test or train_val; names sorted.
class LaPa : public RecordDataset {
 public:
  LaPa(const std::string& root, const std::string& split);

 protected:
  Sample load(const Record& record) const override;
};

// 300W in the iBUG release layout: every "<stem>.pts" under <root>/<subdir> (recursively) next
// to an image <stem>.jpg/.png. A .pts file is "version: 1", "n_points: 68", "{", 68 lines
// "x y", "}". Its coordinates are 1-based (the iBUG/Matlab convention: the top-left pixel's
// centre is (1, 1)), so the reader subtracts 1 to get Sample pixel coordinates. The face box is
// the square around the points' extent (centre of the extent, side = the larger extent), the
// rule the official COFW reader uses. Sorted by path.
class Ibug300w : public RecordDataset {
 public:
  explicit Ibug300w(const std::string& root, const std::vector<std::string>& subdirs = {});
};

// Reads one .pts file (points as written, no offset applied).
std::vector<Point2> read_pts_file(const std::string& path);

// WFLW annotation list (list_98pt_rect_attr_*.txt): per line 196 numbers (x0 y0 ... x97 y97,
// 0-based pixels), 4 numbers (face rect x_min y_min x_max y_max), 6 attribute flags (pose,
// expression, illumination, make-up, occlusion, blur; 0/1), and the image path relative to
// `images_dir`. The box is the rect made square (its centre, side = the longer side).
class Wflw : public RecordDataset {
 public:
  Wflw(const std::string& annotation_file, const std::string& images_dir);
};

// The square box centred on the points' extent with side max(width, height) of the extent.
Box square_box_around(const std::vector<Point2>& points);

}  // namespace fc::faceptor::data
