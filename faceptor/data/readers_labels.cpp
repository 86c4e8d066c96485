#include "faceptor/data/readers_labels.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.h"
#include "faceptor/data/text_file.h"
#include "faceptor/tasks.h"

namespace fc::faceptor::data {
namespace fs = std::filesystem;
namespace {

// CelebA / CelebAMask-HQ partition numbers a split accepts.
std::set<int> partition_groups(const std::string& reader, const std::string& split) {
  if (split == "train") return {0};
  if (split == "val") return {1};
  if (split == "test") return {2};
  if (split == "train_val" || split == "trainval") return {0, 1};
  if (split == "all") return {0, 1, 2};
  FC_CHECK(false, reader, ": unknown split '", split, "' (train, val, test, train_val, all)");
  return {};
}

bool is_image_name(const std::string& name) {
  std::string ext = fs::path(name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

bool is_blank(const std::string& text) { return split_whitespace(text).empty(); }

// `path` as given, or its .png sibling when only that exists (the synthetic datasets write PNG
// where the public releases have JPEG).
std::string jpg_or_png(const std::string& path) {
  if (file_exists(path)) return path;
  std::string png = fs::path(path).replace_extension(".png").string();
  return file_exists(png) ? png : path;
}

}  // namespace

std::vector<std::string> list_image_files(const std::string& dir) {
  std::error_code ec;
  FC_CHECK(fs::is_directory(dir, ec), dir, ": not a directory");
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && is_image_name(e.path().filename().string())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// ref: the CelebA release's list_attr_celeba.txt / list_eval_partition.txt (the official
// Faceptor reader reads a pickle converted from these: label.pkl).
CelebaAttributes::CelebaAttributes(const std::string& root, const std::string& split)
    : RecordDataset("CelebaAttributes") {
  std::set<int> groups = partition_groups(reader_name_, split);
  std::map<std::string, int> partition;
  if (split != "all") {
    for (const TextLine& line : read_text_lines(join_path(root, "list_eval_partition.txt"))) {
      if (is_blank(line.text)) continue;
      std::vector<std::string> t = split_whitespace(line.text);
      if (t.size() != 2) fail_at(line, "expected '<image> <partition>'");
      int group = parse_int(t[1], line);
      if (group < 0 || group > 2) fail_at(line, "partition must be 0, 1 or 2, got " + t[1]);
      partition[t[0]] = group;
    }
  }
  std::vector<TextLine> lines = read_text_lines(join_path(root, "list_attr_celeba.txt"));
  const std::vector<std::string>& names = celeba_attribute_names();
  FC_CHECK(lines.size() >= 2, root, "/list_attr_celeba.txt: expected a count line and a names line");
  int count = parse_int(split_whitespace(lines[0].text).empty() ? "" : split_whitespace(lines[0].text)[0], lines[0]);
  if (split_whitespace(lines[1].text) != names)
    fail_at(lines[1], "attribute names differ from CelebA's 40 names in order");
  int rows = 0;
  for (size_t i = 2; i < lines.size(); ++i) {
    const TextLine& line = lines[i];
    if (is_blank(line.text)) continue;
    std::vector<std::string> t = split_whitespace(line.text);
    if (t.size() != names.size() + 1)
      fail_at(line, str_cat("expected an image name and ", names.size(), " values, got ", t.size(), " fields"));
    ++rows;
    if (split != "all") {
      auto it = partition.find(t[0]);
      if (it == partition.end()) fail_at(line, t[0] + " has no entry in list_eval_partition.txt");
      if (!groups.count(it->second)) continue;
    }
    Record r{join_path(join_path(root, "img_align_celeba"), t[0]), {}};
    r.labels.name = t[0];
    for (size_t a = 0; a < names.size(); ++a) {
      int v = parse_int(t[a + 1], line);
      if (v != 1 && v != -1 && v != 0) fail_at(line, names[a] + " must be 1 or -1, got " + t[a + 1]);
      r.labels.attributes.push_back(static_cast<int8_t>(v == 1 ? 1 : 0));
    }
    records_.push_back(std::move(r));
  }
  if (count != rows) fail_at(lines[0], str_cat("header says ", count, " images, the file lists ", rows));
}

// ref: core/data/dataset/affect_dataset.py, RAFDBDataset.
RafDb::RafDb(const std::string& root, const std::string& split, const std::string& image_dir)
    : RecordDataset("RafDb") {
  FC_CHECK(split == "train" || split == "test", "RafDb: unknown split '", split, "' (train, test)");
  static const int standard_label[8] = {-1, 3, 4, 5, 1, 2, 6, 0};
  std::string list = join_path(root, "EmoLabel/list_patition_label.txt");
  if (!file_exists(list)) list = join_path(root, "list_patition_label.txt");
  for (const TextLine& line : read_text_lines(list)) {
    if (is_blank(line.text)) continue;
    std::vector<std::string> t = split_whitespace(line.text);
    if (t.size() != 2) fail_at(line, "expected '<image> <label 1-7>'");
    int label = parse_int(t[1], line);
    if (label < 1 || label > 7) fail_at(line, "label must be 1-7, got " + t[1]);
    std::string prefix = t[0].substr(0, t[0].find('_'));
    if (prefix != "train" && prefix != "test") fail_at(line, "image name must start with train_ or test_: " + t[0]);
    if (prefix != split) continue;
    std::string path = join_path(join_path(root, image_dir), t[0]);
    if (!file_exists(path)) {
      std::string stem = fs::path(t[0]).stem().string();
      std::string aligned = jpg_or_png(join_path(join_path(root, image_dir), stem + "_aligned.jpg"));
      if (file_exists(aligned)) path = aligned;
    }
    Record r{path, {}};
    r.labels.name = t[0];
    r.labels.expression = standard_label[label];
    records_.push_back(std::move(r));
  }
}

// ref: core/data/dataset/affect_dataset.py, AffectNetDataset_V2 (labels < 7 kept).
AffectNet::AffectNet(const std::string& root, const std::string& split) : RecordDataset("AffectNet") {
  std::string csv = join_path(root, split + ".csv");
  if (file_exists(csv)) {
    std::vector<TextLine> lines = read_text_lines(csv);
    FC_CHECK(!lines.empty(), csv, ": empty file (expected a header line)");
    std::vector<std::string> header = split_csv(lines[0].text, lines[0]);
    auto column = [&](const char* name) {
      auto it = std::find(header.begin(), header.end(), name);
      if (it == header.end()) fail_at(lines[0], std::string("no '") + name + "' column in the header");
      return static_cast<size_t>(it - header.begin());
    };
    size_t path_col = column("subDirectory_filePath"), label_col = column("expression");
    for (size_t i = 1; i < lines.size(); ++i) {
      if (is_blank(lines[i].text)) continue;
      std::vector<std::string> f = split_csv(lines[i].text, lines[i]);
      if (f.size() != header.size()) fail_at(lines[i], str_cat("expected ", header.size(), " fields, got ", f.size()));
      int label = parse_int(f[label_col], lines[i]);
      if (label < 0) fail_at(lines[i], "negative expression label " + f[label_col]);
      if (label >= 7) continue;
      Record r{join_path(join_path(root, "Manually_Annotated_Images"), f[path_col]), {}};
      r.labels.name = f[path_col];
      r.labels.expression = label;
      records_.push_back(std::move(r));
    }
    return;
  }
  std::string list = join_path(root, "label/" + split + ".txt");
  FC_CHECK(file_exists(list), "AffectNet: neither ", csv, " nor ", list, " exists");
  for (const TextLine& line : read_text_lines(list)) {
    if (is_blank(line.text)) continue;
    std::vector<std::string> t = split_whitespace(line.text);
    if (t.size() < 2) fail_at(line, "expected '<image> <label>'");
    int label = parse_int(t[1], line);
    if (label < 0) fail_at(line, "negative expression label " + t[1]);
    if (label >= 7) continue;
    Record r{join_path(join_path(root, "data"), t[0]), {}};
    r.labels.name = t[0];
    r.labels.expression = label;
    records_.push_back(std::move(r));
  }
}

UtkFace::UtkFace(const std::string& dir) : RecordDataset("UtkFace") {
  for (const std::string& name : list_image_files(dir)) {
    std::string field = name.substr(0, name.find('_'));
    bool digits = !field.empty() && field.size() < 4 && std::all_of(field.begin(), field.end(), ::isdigit);
    FC_CHECK(digits && name.find('_') != std::string::npos && std::stoi(field) <= 120, join_path(dir, name),
             ": UTKFace names start with the age: {age}_{gender}_{race}_{datetime}.jpg");
    Record r{join_path(dir, name), {}};
    r.labels.name = name;
    r.labels.age = static_cast<float>(std::stoi(field));
    records_.push_back(std::move(r));
  }
}

IdentityFolders::IdentityFolders(const std::string& root) : RecordDataset("IdentityFolders") {
  std::error_code ec;
  FC_CHECK(fs::is_directory(root, ec), "IdentityFolders: ", root, ": not a directory");
  std::vector<std::string> folders;
  for (const fs::directory_entry& e : fs::directory_iterator(root))
    if (e.is_directory()) folders.push_back(e.path().filename().string());
  std::sort(folders.begin(), folders.end());
  for (const std::string& folder : folders) {
    std::vector<std::string> images = list_image_files(join_path(root, folder));
    if (images.empty()) continue;
    int id = static_cast<int>(identity_names_.size());
    identity_names_.push_back(folder);
    for (const std::string& image : images) {
      Record r{join_path(join_path(root, folder), image), {}};
      r.labels.name = folder + "/" + image;
      r.labels.identity = id;
      records_.push_back(std::move(r));
    }
  }
}

std::vector<FacePair> read_lfw_pairs(const std::string& pairs_file, const std::string& images_root) {
  auto image = [&](const std::string& name, int number) {
    char digits[16];
    std::snprintf(digits, sizeof(digits), "%04d", number);
    return jpg_or_png(join_path(join_path(images_root, name), name + "_" + digits + ".jpg"));
  };
  std::vector<FacePair> pairs;
  int per_fold = 0;
  std::vector<TextLine> lines = read_text_lines(pairs_file);
  for (size_t i = 0; i < lines.size(); ++i) {
    const TextLine& line = lines[i];
    if (is_blank(line.text)) continue;
    std::vector<std::string> t = split_whitespace(line.text);
    if (i == 0 && t.size() == 2) {  // "<folds> <pairs per fold>"
      parse_int(t[0], line);
      per_fold = parse_int(t[1], line);
      if (per_fold <= 0) fail_at(line, "pairs per fold must be positive");
      continue;
    }
    FacePair p;
    if (t.size() == 3) {
      p = {image(t[0], parse_int(t[1], line)), image(t[0], parse_int(t[2], line)), true, 0};
    } else if (t.size() == 4) {
      p = {image(t[0], parse_int(t[1], line)), image(t[2], parse_int(t[3], line)), false, 0};
    } else {
      fail_at(line, "expected 'name i j' or 'name1 i name2 j'");
    }
    if (per_fold > 0) p.fold = static_cast<int>(pairs.size()) / (2 * per_fold);
    pairs.push_back(std::move(p));
  }
  return pairs;
}

}  // namespace fc::faceptor::data
