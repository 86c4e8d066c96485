#include "faceptor/data/readers_synth.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "faceptor/data/text_file.h"

namespace fc::faceptor::data {
namespace fs = std::filesystem;

SynthHeadPose::SynthHeadPose(const std::string& root, const std::string& split) : RecordDataset("SynthHeadPose") {
  // The CelebA partition numbers the synthetic writer assigns (by identity).
  const std::set<int> partitions = split == "train"     ? std::set<int>{0}
                                   : split == "val"       ? std::set<int>{1}
                                   : split == "test"      ? std::set<int>{2}
                                   : split == "train_val" ? std::set<int>{0, 1}
                                                          : std::set<int>{0, 1, 2};
  FC_CHECK(partitions.size() != 3 || split == "all", "SynthHeadPose: unknown split '", split,
           "' (train, val, test, train_val, all)");
  const std::string list = (fs::path(root) / "annotations.jsonl").string();
  for (const TextLine& line : read_text_lines(list)) {
    if (split_whitespace(line.text).empty()) continue;
    std::string file;
    int partition = 0, bin = 0;
    try {
      const nlohmann::json j = nlohmann::json::parse(line.text);
      file = j.at("celeba_file").get<std::string>();
      partition = j.at("partition").get<int>();
      bin = j.at("yaw_bin").get<int>();
    } catch (const nlohmann::json::exception& e) {
      fail_at(line, std::string("expected a JSON object with celeba_file, partition and yaw_bin (") + e.what() + ")");
    }
    if (!partitions.count(partition)) continue;
    Record r{(fs::path(root) / "celeba/img_align_celeba" / file).string(), {}};
    r.labels.name = file;
    r.labels.expression = bin;
    records_.push_back(std::move(r));
  }
  FC_CHECK(!records_.empty(), "SynthHeadPose: ", list, " has no images in split '", split, "'");
}

}  // namespace fc::faceptor::data
