// The per-task training and test pipelines, built from augment.h, in the official recipes'
// order (Faceptor core/data/transform/*.py). Each returns a Transform for TransformedDataset.
//
//   TransformedDataset train(celeba, attribute_train_transform());          // (3, 112, 112)
//   TransformedDataset parse(celebam, dense_train_transform(DenseRecipe::celebamask_hq));
//
// 112 tasks (age, attributes, expression; recognition without the jitter):
//   resize to 112 (PIL bilinear, antialiased) -> horizontal flip p 0.5 -> colour jitter 0.4.
//   The official train recipe is timm's (RandomResizedCrop at scale 1 = a bicubic resize,
//   flip 0.5, RandAugment m9, random erasing 0.25); we keep the resize of the test recipe and
//   replace RandAugment / erasing by the jitter (see augment.h, ColorJitter).
// 512 tasks, as celebam_ / lapa_ / align_train_transform:
//   base crop (celebamask_hq: the whole image; lapa: the 5 points 104, 105, 54, 84, 90 onto
//   FaRL's template with tanh warp 0.8; landmarks: the face box scaled by 0.8) -> random affine
//   (parsing_ / landmark_affine_jitter) -> warp image bilinear, map nearest, points through the
//   crop -> [landmarks: random occlusion, noise fusion p 0.5] -> grey p 0.1 -> gamma -> blur.
//   The official dense recipes do not flip; `flip_probability` adds a flip (default 0).
#pragma once

#include "faceptor/data/augment.h"
#include "faceptor/data/dataset.h"

namespace fc::faceptor::data {

Transform attribute_train_transform(int size = 112, ColorJitter jitter = {});
Transform recognition_train_transform(int size = 112);
Transform resize_transform(int size = 112);  // the 112 test recipe

enum class DenseRecipe { celebamask_hq, lapa, landmarks };
struct DenseOptions {
  DenseRecipe recipe = DenseRecipe::celebamask_hq;
  int size = 512;
  double flip_probability = 0.0;
};
// The crop a recipe starts from (no randomness): what the test transform uses.
CropWarp dense_base_crop(const Sample& sample, DenseRecipe recipe, int size = 512);
Transform dense_train_transform(DenseOptions options);
Transform dense_test_transform(DenseRecipe recipe, int size = 512);

}  // namespace fc::faceptor::data
