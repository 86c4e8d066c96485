#include "faceptor/data/transforms.h"

#include <array>

#include "core/error.h"
#include "faceptor/data/flip_tables.h"
#include "faceptor/preprocess.h"

namespace fc::faceptor::data {
namespace {

Sample resize_sample(Sample s, int size) {
  FC_CHECK(s.parsing.empty() && s.landmarks.empty(), "resize_transform: ", s.name,
           ": dense labels need a dense transform, not the 112 resize");
  s.image = resize_image01(s.image, size, size);
  s.has_box = false;
  return s;
}

std::vector<uint8_t> class_map_for(const Sample& s, DenseRecipe recipe) {
  if (s.parsing.empty()) return {};
  return parsing_flip_classes(recipe == DenseRecipe::lapa ? ParsingScheme::lapa : ParsingScheme::celebamask_hq);
}

}  // namespace

Transform attribute_train_transform(int size, ColorJitter jitter) {
  return [size, jitter](Sample s, Rng& rng) {
    s = resize_sample(std::move(s), size);
    if (rng.uniform() < 0.5f) flip_horizontal(s);
    s.image = color_jitter(s.image, jitter, rng);
    return s;
  };
}

// ref: recognition_transform.py, recognition_mxface_transform (Resize, RandomHorizontalFlip).
Transform recognition_train_transform(int size) {
  return [size](Sample s, Rng& rng) {
    s = resize_sample(std::move(s), size);
    if (rng.uniform() < 0.5f) flip_horizontal(s);
    return s;
  };
}

Transform resize_transform(int size) {
  return [size](Sample s, Rng&) { return resize_sample(std::move(s), size); };
}

CropWarp dense_base_crop(const Sample& s, DenseRecipe recipe, int size) {
  switch (recipe) {
    case DenseRecipe::celebamask_hq: return dense_crop_whole_image(s.height(), s.width(), size);
    case DenseRecipe::lapa: {
      FC_CHECK(s.landmarks.size() == 106, "dense_base_crop(lapa): ", s.name, " has ", s.landmarks.size(),
               " landmarks, the LaPa alignment needs 106");
      // ref: lapa_train_transform: landmarks[[104, 105, 54, 84, 90]] -> GetFaceAlignMatrix.
      std::array<Point2, 5> five;
      int picks[5] = {104, 105, 54, 84, 90};
      for (int i = 0; i < 5; ++i) five[i] = s.landmarks[picks[i]];
      return dense_crop_from_five_points(five, farl_five_point_template(size), size, 0.8);
    }
    case DenseRecipe::landmarks:
      FC_CHECK(s.has_box, "dense_base_crop(landmarks): ", s.name, " has no face box");
      return dense_crop_from_box(s.box, size, 0.8);
  }
  return {};
}

Transform dense_train_transform(DenseOptions options) {
  return [options](Sample s, Rng& rng) {
    CropWarp crop = dense_base_crop(s, options.recipe, options.size);
    AffineJitter jitter =
        options.recipe == DenseRecipe::landmarks ? landmark_affine_jitter() : parsing_affine_jitter();
    crop.matrix = crop.matrix.then(random_affine(jitter, options.size, options.size, rng));
    Sample out = warp_sample(s, crop);
    if (options.recipe == DenseRecipe::landmarks) {
      out.image = random_occlusion(out.image, rng);
      if (rng.uniform() < 0.5f) out.image = noise_fusion(out.image, rng);
    }
    out.image = random_blur(random_gamma(random_grey(out.image, rng), rng), rng);
    if (options.flip_probability > 0 && rng.uniform() < options.flip_probability) {
      std::vector<uint8_t> classes = class_map_for(out, options.recipe);
      flip_horizontal(out, classes);
    }
    return out;
  };
}

Transform dense_test_transform(DenseRecipe recipe, int size) {
  return [recipe, size](Sample s, Rng&) { return warp_sample(s, dense_base_crop(s, recipe, size)); };
}

}  // namespace fc::faceptor::data
