// Readers for the 112-input tasks' public datasets, each in the dataset's own published layout.
// Every reader is a Dataset of raw samples (image at file resolution, labels filled in); put a
// transform on top (transforms.h). Malformed annotation lines throw naming "file:line".
//
//   CelebaAttributes celeba("data/CelebA", "train");   // 40 attributes per image
//   RafDb raf("data/RAF-DB/basic", "train");           // expression in AffectNet order
//   IdentityFolders ids("data/faces_by_person");       // identity = sorted folder index
//   std::vector<FacePair> pairs = read_lfw_pairs("lfw/pairs.txt", "lfw/images");
//
// Splits: "train", "val", "test", "train_val", or "all" where the dataset has them.
#pragma once

#include <string>
#include <vector>

#include "faceptor/data/records.h"

namespace fc::faceptor::data {

// CelebA: <root>/list_attr_celeba.txt (line 1: image count; line 2: the 40 attribute names,
// which must be celeba_attribute_names() in order; then "000001.jpg  1 -1 ..." with 1 =
// present, -1 = absent, 0 also accepted as absent), <root>/list_eval_partition.txt
// ("000001.jpg 0", 0 train / 1 val / 2 test; needed unless split is "all"), images in
// <root>/img_align_celeba/. Attributes become 1 / 0 (Sample::attributes).
class CelebaAttributes : public RecordDataset {
 public:
  CelebaAttributes(const std::string& root, const std::string& split);
};

// RAF-DB basic: <root>/EmoLabel/list_patition_label.txt (or <root>/list_patition_label.txt)
// lines "train_00001.jpg 5", labels 1-7 (surprise, fear, disgust, happiness, sadness, anger,
// neutral) mapped to AffectNet order with the official standard_label [-1, 3, 4, 5, 1, 2, 6, 0];
// the split is the name prefix ("train_" / "test_"). Images in <root>/<image_dir>/, found as
// listed or as "<stem>_aligned.jpg" (the aligned release's names).
class RafDb : public RecordDataset {
 public:
  RafDb(const std::string& root, const std::string& split, const std::string& image_dir = "Image/aligned");
};

// AffectNet, two layouts:
// - the official Faceptor reader's: <root>/label/<split>.txt lines "<path> <label>", images in
//   <root>/data/ (split "train" or "test");
// - the released CSVs: <root>/<split>.csv ("training.csv", "validation.csv" give split names
//   "training" / "validation") with a header naming the columns; "subDirectory_filePath" and
//   "expression" are used, images in <root>/Manually_Annotated_Images/.
// Labels are AffectNet's own order; as officially, labels >= 7 (contempt, none, uncertain,
// no-face) are skipped.
class AffectNet : public RecordDataset {
 public:
  AffectNet(const std::string& root, const std::string& split);
};

// UTKFace: every image in <dir> named "{age}_{gender}_{race}_{datetime}.jpg[.chip.jpg]"; the
// age is the first field (an integer 0-120). Sorted by file name. A name whose first field is
// not an age throws naming the file.
class UtkFace : public RecordDataset {
 public:
  explicit UtkFace(const std::string& dir);
};

// One folder per person under <root> (images .jpg/.jpeg/.png/.bmp inside); identity = index of
// the folder in sorted order. Folders without images are skipped.
class IdentityFolders : public RecordDataset {
 public:
  explicit IdentityFolders(const std::string& root);
  int num_identities() const { return static_cast<int>(identity_names_.size()); }
  const std::vector<std::string>& identity_names() const { return identity_names_; }

 private:
  std::vector<std::string> identity_names_;
};

// LFW-style verification pairs: pairs.txt with an optional header "<folds> <pairs per fold>",
// then "name i j" (same person) or "name1 i name2 j" (different people); images at
// <images_root>/<name>/<name>_<i:04d>.jpg. fold = line index / (2 * pairs per fold) when the
// header is there, else 0.
struct FacePair {
  std::string first, second;  // image paths
  bool same = false;
  int fold = 0;
};
std::vector<FacePair> read_lfw_pairs(const std::string& pairs_file, const std::string& images_root);

// Files in `dir` (not recursive) whose extension is an image one, sorted by name.
std::vector<std::string> list_image_files(const std::string& dir);

}  // namespace fc::faceptor::data
