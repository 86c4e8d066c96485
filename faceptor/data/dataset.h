// The data side of training: one Sample type for every task, and the Dataset interface that the
// readers (readers_*.h), the transforms (transforms.h) and the DataLoader (loader.h) share.
//
//   CelebaAttributes celeba("data/celeba", "train");              // a reader is a Dataset
//   TransformedDataset train(celeba, attribute_train_transform());
//   Rng rng(7);
//   Sample s = train.get(0, rng);   // s.image (3, 112, 112) in [0, 1], s.attributes (40)
//
// A Sample carries the image plus whichever labels its dataset has; absent labels keep their
// "none" value (-1, empty). The image is float (3, H, W) in [0, 1] (value / 255 exactly, as
// torchvision's ToTensor / the official Normalize255 give); input normalisation (0.5/0.5 for
// the 112 tasks, FaRL statistics for the 512 tasks) happens when a batch is made (batch.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"
#include "faceptor/warp.h"

namespace fc::faceptor::data {

// A per-pixel class map (parsing labels), row-major height x width.
struct LabelMap {
  int height = 0;
  int width = 0;
  std::vector<uint8_t> labels;

  LabelMap() = default;
  LabelMap(int height, int width, uint8_t fill = 0);
  bool empty() const { return labels.empty(); }
  uint8_t& at(int y, int x) { return labels[static_cast<size_t>(y) * width + x]; }
  uint8_t at(int y, int x) const { return labels[static_cast<size_t>(y) * width + x]; }
};

// Attribute values: 1 present, 0 absent, -1 unknown (masked out of the loss).
inline constexpr int8_t kAttributeUnknown = -1;

struct Sample {
  std::string name;             // the image file (or another stable id): errors and logs name it
  Tensor image;                 // (3, H, W), values in [0, 1]
  int identity = -1;            // recognition class, -1: none
  float age = -1.f;             // years, -1: none
  std::vector<int8_t> attributes;  // 40 CelebA attributes in file order, or empty
  int expression = -1;          // index into expression_names() (AffectNet order), -1: none
  LabelMap parsing;             // H x W class map (same size as image), or empty
  std::vector<Point2> landmarks;  // N points, pixel coordinates of `image` (pixel centres at integers)
  bool has_box = false;         // a face box (boundary coordinates) the dense crop starts from
  Box box;

  int height() const { return image.defined() ? static_cast<int>(image.size(1)) : 0; }
  int width() const { return image.defined() ? static_cast<int>(image.size(2)) : 0; }
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  // Must be safe to call from several threads at once (the DataLoader's workers do); all
  // randomness comes from `rng`, so the same (index, rng state) gives the same sample.
  virtual Sample get(size_t index, Rng& rng) const = 0;
  // What sample `index` is (its file), for error messages; cheap, never throws for a valid index.
  virtual std::string describe(size_t index) const = 0;
};

// A transform turns a raw sample (as read) into a training/test sample; it may draw from rng.
using Transform = std::function<Sample(Sample, Rng&)>;

// `base` with `transform` applied to every sample. Holds a reference: `base` must outlive it
// (or pass a shared_ptr).
class TransformedDataset : public Dataset {
 public:
  TransformedDataset(const Dataset& base, Transform transform);
  TransformedDataset(std::shared_ptr<const Dataset> base, Transform transform);
  size_t size() const override { return base_->size(); }
  Sample get(size_t index, Rng& rng) const override;
  std::string describe(size_t index) const override { return base_->describe(index); }

 private:
  std::shared_ptr<const Dataset> owned_;
  const Dataset* base_;
  Transform transform_;
};

// Checks `index < size` with an error naming the dataset.
void check_index(const char* dataset, size_t index, size_t size);

}  // namespace fc::faceptor::data
