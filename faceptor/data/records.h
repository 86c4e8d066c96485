// The common shape of every reader: a list of records (an image path plus the labels read from
// the annotation files), loaded on demand. Readers fill `records_` in their constructors and
// may override load() to read per-sample label files (masks, label PNGs).
#pragma once

#include <string>
#include <vector>

#include "faceptor/data/dataset.h"

namespace fc::faceptor::data {

struct Record {
  std::string image_path;
  Sample labels;  // everything but the image
};

class RecordDataset : public Dataset {
 public:
  size_t size() const override { return records_.size(); }
  // Readers apply no randomness: rng is for the transform on top.
  Sample get(size_t index, Rng& rng) const override;
  std::string describe(size_t index) const override;
  const std::vector<Record>& records() const { return records_; }

 protected:
  explicit RecordDataset(std::string reader_name) : reader_name_(std::move(reader_name)) {}
  virtual Sample load(const Record& record) const;  // default: labels + the decoded image
  std::string reader_name_;
  std::vector<Record> records_;
};

}  // namespace fc::faceptor::data
