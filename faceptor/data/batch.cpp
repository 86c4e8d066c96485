#include "faceptor/data/batch.h"

#include <algorithm>

#include "core/error.h"
#include "faceptor/preprocess.h"

namespace fc::faceptor::data {
namespace {

// Whether all or none of the samples have a label; throws naming two disagreeing samples.
template <class Has>
bool all_or_none(const std::vector<Sample>& samples, const char* label, Has has) {
  bool first = has(samples[0]);
  for (const Sample& s : samples)
    FC_CHECK(has(s) == first, "make_batch: ", samples[0].name, (first ? " has " : " lacks "), label, " but ", s.name,
             (first ? " lacks it" : " has it"));
  return first;
}

}  // namespace

InputNormalization normalization_for_input_size(int size) {
  return size >= 512 ? InputNormalization::farl : InputNormalization::half;
}

Batch make_batch(const std::vector<Sample>& samples, InputNormalization normalization) {
  FC_CHECK(!samples.empty(), "make_batch: no samples");
  const int64_t n = static_cast<int64_t>(samples.size());
  const Sample& first = samples[0];
  FC_CHECK(first.image.defined() && first.image.ndim() == 3 && first.image.size(0) == 3, "make_batch: ", first.name,
           ": expected an image (3, H, W)");
  const int64_t h = first.image.size(1), w = first.image.size(2), plane = h * w;
  Batch b;
  b.images = Tensor::empty({n, 3, h, w});
  float* images = b.images.mutable_data();
  float mean[3] = {0.5f, 0.5f, 0.5f}, stdev[3] = {0.5f, 0.5f, 0.5f};
  if (normalization == InputNormalization::farl)
    for (int c = 0; c < 3; ++c) mean[c] = kFarlMean[c], stdev[c] = kFarlStd[c];
  for (int64_t i = 0; i < n; ++i) {
    const Sample& s = samples[i];
    FC_CHECK(s.image.defined() && s.image.shape() == first.image.shape(), "make_batch: ", s.name, " image ",
             s.image.defined() ? s.image.shape() : Shape{}, " differs from ", first.name, " image ", first.image.shape());
    b.names.push_back(s.name);
    Tensor src = s.image.contiguous();
    const float* p = src.data();
    for (int c = 0; c < 3; ++c)
      for (int64_t k = 0; k < plane; ++k) images[(i * 3 + c) * plane + k] = (p[c * plane + k] - mean[c]) / stdev[c];
  }
  auto scalar_labels = [&](const char* label, auto get) {
    std::vector<float> v;
    for (const Sample& s : samples) v.push_back(static_cast<float>(get(s)));
    return Tensor::from_vector(v, {n});
  };
  if (all_or_none(samples, "an identity", [](const Sample& s) { return s.identity >= 0; }))
    b.identity = scalar_labels("identity", [](const Sample& s) { return s.identity; });
  if (all_or_none(samples, "an age", [](const Sample& s) { return s.age >= 0; }))
    b.age = scalar_labels("age", [](const Sample& s) { return s.age; });
  if (all_or_none(samples, "an expression", [](const Sample& s) { return s.expression >= 0; }))
    b.expression = scalar_labels("expression", [](const Sample& s) { return s.expression; });
  if (all_or_none(samples, "attributes", [](const Sample& s) { return !s.attributes.empty(); })) {
    int64_t a = static_cast<int64_t>(first.attributes.size());
    std::vector<float> v;
    for (const Sample& s : samples) {
      FC_CHECK(static_cast<int64_t>(s.attributes.size()) == a, "make_batch: ", s.name, " has ", s.attributes.size(),
               " attributes, ", first.name, " has ", a);
      for (int8_t x : s.attributes) v.push_back(x);
    }
    b.attributes = Tensor::from_vector(v, {n, a});
  }
  if (all_or_none(samples, "a parsing map", [](const Sample& s) { return !s.parsing.empty(); })) {
    std::vector<float> v;
    for (const Sample& s : samples) {
      FC_CHECK(s.parsing.height == h && s.parsing.width == w, "make_batch: ", s.name, " parsing map ", s.parsing.height,
               "x", s.parsing.width, " differs from its image ", h, "x", w);
      v.insert(v.end(), s.parsing.labels.begin(), s.parsing.labels.end());
    }
    b.parsing = Tensor::from_vector(v, {n, h, w});
  }
  if (all_or_none(samples, "landmarks", [](const Sample& s) { return !s.landmarks.empty(); })) {
    int64_t points = static_cast<int64_t>(first.landmarks.size());
    std::vector<float> v;
    for (const Sample& s : samples) {
      FC_CHECK(static_cast<int64_t>(s.landmarks.size()) == points, "make_batch: ", s.name, " has ",
               s.landmarks.size(), " landmarks, ", first.name, " has ", points);
      for (const Point2& p : s.landmarks) v.insert(v.end(), {static_cast<float>(p.x), static_cast<float>(p.y)});
    }
    b.landmarks = Tensor::from_vector(v, {n, points, 2});
  }
  return b;
}

}  // namespace fc::faceptor::data
