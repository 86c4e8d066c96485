#include "faceptor/data/dataset.h"

#include "core/error.h"

namespace fc::faceptor::data {

LabelMap::LabelMap(int height, int width, uint8_t fill) : height(height), width(width) {
  FC_CHECK(height >= 0 && width >= 0, "LabelMap: negative size ", height, "x", width);
  labels.assign(static_cast<size_t>(height) * width, fill);
}

TransformedDataset::TransformedDataset(const Dataset& base, Transform transform)
    : base_(&base), transform_(std::move(transform)) {}

TransformedDataset::TransformedDataset(std::shared_ptr<const Dataset> base, Transform transform)
    : owned_(std::move(base)), base_(owned_.get()), transform_(std::move(transform)) {
  FC_CHECK(base_ != nullptr, "TransformedDataset: null base dataset");
}

Sample TransformedDataset::get(size_t index, Rng& rng) const { return transform_(base_->get(index, rng), rng); }

void check_index(const char* dataset, size_t index, size_t size) {
  FC_CHECK(index < size, dataset, ": index ", index, " out of range for ", size, " samples");
}

}  // namespace fc::faceptor::data
