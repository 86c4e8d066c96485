#include "faceptor/data/records.h"

#include "faceptor/data/text_file.h"

namespace fc::faceptor::data {

Sample RecordDataset::get(size_t index, Rng&) const {
  check_index(reader_name_.c_str(), index, records_.size());
  return load(records_[index]);
}

std::string RecordDataset::describe(size_t index) const {
  if (index >= records_.size()) return reader_name_ + " index " + std::to_string(index) + " (out of range)";
  return records_[index].image_path;
}

Sample RecordDataset::load(const Record& record) const {
  Sample s = record.labels;
  s.image = load_image01(record.image_path);
  return s;
}

}  // namespace fc::faceptor::data
