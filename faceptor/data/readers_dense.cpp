#include "faceptor/data/readers_dense.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.h"
#include "faceptor/data/readers_labels.h"
#include "faceptor/data/text_file.h"
#include "faceptor/preprocess.h"
#include "faceptor/tasks.h"

namespace fc::faceptor::data {
namespace fs = std::filesystem;
namespace {

bool is_blank(const std::string& text) { return split_whitespace(text).empty(); }

// A label PNG: the first channel of each pixel (grey files decode to equal channels).
LabelMap load_label_png(const std::string& path) {
  Image image = load_image(path);
  LabelMap map(image.height, image.width);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) map.at(y, x) = image.at(y, x)[0];
  return map;
}

// Bilinear resize of a [0, 1] image to the label map's size, rounded to 8 bits as cv2.resize on
// uint8 does.
Tensor resize_to(const Tensor& image, int height, int width) {
  if (image.size(1) == height && image.size(2) == width) return image;
  FC_CHECK(height == width, "CelebAMaskHq: masks must be square, got ", height, "x", width);
  CropWarp crop = dense_crop_whole_image(static_cast<int>(image.size(1)), static_cast<int>(image.size(2)), height);
  return image_to_tensor01(image_from_tensor01(warp_to_crop(image, crop)));
}

}  // namespace

Box square_box_around(const std::vector<Point2>& points) {
  FC_CHECK(!points.empty(), "square_box_around: no points");
  double x1 = points[0].x, x2 = x1, y1 = points[0].y, y2 = y1;
  for (const Point2& p : points) {
    x1 = std::min(x1, p.x), x2 = std::max(x2, p.x);
    y1 = std::min(y1, p.y), y2 = std::max(y2, p.y);
  }
  double cx = (x1 + x2) / 2, cy = (y1 + y2) / 2, half = std::max(x2 - x1, y2 - y1) / 2;
  return {cx - half, cy - half, cx + half, cy + half};
}

// ref: core/data/dataset/parsing_dataset.py, CelebAMaskHQDataset (make_label).
CelebAMaskHq::CelebAMaskHq(const std::string& root, const std::string& split)
    : RecordDataset("CelebAMaskHq"), root_(root) {
  std::vector<int> ids;
  if (split == "all") {
    for (const std::string& name : list_image_files(join_path(root, "CelebA-HQ-img"))) {
      std::string stem = fs::path(name).stem().string();
      FC_CHECK(!stem.empty() && std::all_of(stem.begin(), stem.end(), ::isdigit), join_path(root, "CelebA-HQ-img/") + name,
               ": CelebA-HQ images are named <id>.jpg");
      ids.push_back(std::stoi(stem));
    }
    std::sort(ids.begin(), ids.end());
  } else {
    std::set<int> groups;
    if (split == "train") groups = {0};
    else if (split == "val") groups = {1};
    else if (split == "test") groups = {2};
    else if (split == "train_val") groups = {0, 1};
    else FC_CHECK(false, "CelebAMaskHq: unknown split '", split, "' (train, val, test, train_val, all)");
    std::map<std::string, int> orig_to_hq;
    for (const TextLine& line : read_text_lines(join_path(root, "CelebA-HQ-to-CelebA-mapping.txt"))) {
      if (line.text.find(".jpg") == std::string::npos) continue;  // the header, as officially
      std::vector<std::string> t = split_whitespace(line.text);
      if (t.size() != 3) fail_at(line, "expected 'idx orig_idx orig_file'");
      orig_to_hq[t[2]] = parse_int(t[0], line);
    }
    // The official reader walks the partition file, so the order is CelebA's file order.
    for (const TextLine& line : read_text_lines(join_path(root, "list_eval_partition.txt"))) {
      if (line.text.find(".jpg") == std::string::npos) continue;
      std::vector<std::string> t = split_whitespace(line.text);
      if (t.size() != 2) fail_at(line, "expected '<image> <partition>'");
      int group = parse_int(t[1], line);
      auto it = orig_to_hq.find(t[0]);
      if (it != orig_to_hq.end() && groups.count(group)) ids.push_back(it->second);
    }
  }
  for (int id : ids) {
    // The release's images are JPEG; the synthetic dataset's are PNG.
    std::string image = join_path(root, "CelebA-HQ-img/" + std::to_string(id) + ".jpg");
    std::string png = join_path(root, "CelebA-HQ-img/" + std::to_string(id) + ".png");
    Record r{file_exists(image) || !file_exists(png) ? image : png, {}};
    r.labels.name = std::to_string(id);
    records_.push_back(std::move(r));
  }
}

Sample CelebAMaskHq::load(const Record& record) const {
  Sample s = record.labels;
  s.image = load_image01(record.image_path);
  int id = std::stoi(record.labels.name);
  char stem[32];
  std::snprintf(stem, sizeof(stem), "%05d", id);
  std::string prefix = join_path(root_, "CelebAMask-HQ-mask-anno/" + std::to_string(id / 2000) + "/" + stem + "_");
  const std::vector<std::string>& classes = celebamask_hq_class_names();
  for (size_t c = 1; c < classes.size(); ++c) {
    std::string path = prefix + classes[c] + ".png";
    if (!file_exists(path)) continue;
    LabelMap mask = load_label_png(path);
    if (s.parsing.empty()) s.parsing = LabelMap(mask.height, mask.width, 0);
    FC_CHECK(mask.height == s.parsing.height && mask.width == s.parsing.width, path, ": mask is ", mask.height, "x",
             mask.width, " but earlier masks of this image are ", s.parsing.height, "x", s.parsing.width);
    for (size_t i = 0; i < mask.labels.size(); ++i)
      if (mask.labels[i] > 0) s.parsing.labels[i] = static_cast<uint8_t>(c);
  }
  if (s.parsing.empty()) s.parsing = LabelMap(s.height(), s.width(), 0);
  s.image = resize_to(s.image, s.parsing.height, s.parsing.width);
  return s;
}

// ref: core/data/dataset/parsing_dataset.py, LaPaDataset.
LaPa::LaPa(const std::string& root, const std::string& split) : RecordDataset("LaPa") {
  std::vector<std::string> subfolders;
  if (split == "train_val") subfolders = {"train", "val"};
  else if (split == "train" || split == "val" || split == "test") subfolders = {split};
  else FC_CHECK(false, "LaPa: unknown split '", split, "' (train, val, test, train_val)");
  for (const std::string& sub : subfolders) {
    std::string dir = join_path(root, sub);
    for (const std::string& name : list_image_files(join_path(dir, "images"))) {
      std::string stem = fs::path(name).stem().string();
      std::string label = join_path(dir, "labels/" + stem + ".png");
      std::string points = join_path(dir, "landmarks/" + stem + ".txt");
      FC_CHECK(file_exists(label), "LaPa: ", join_path(dir, "images/" + name), " has no label file ", label);
      FC_CHECK(file_exists(points), "LaPa: ", join_path(dir, "images/" + name), " has no landmark file ", points);
      std::vector<double> values;
      TextLine where{points, 1, ""};
      for (const TextLine& line : read_text_lines(points))
        for (const std::string& t : split_whitespace(line.text)) {
          where = line;
          values.push_back(parse_double(t, line));
        }
      if (values.size() != 213 || values[0] != 106)
        fail_at(where, str_cat("expected '106' and 106 x y pairs, got ", values.size(), " numbers"));
      Record r{join_path(dir, "images/" + name), {}};
      r.labels.name = sub + "." + stem;
      for (int i = 0; i < 106; ++i) r.labels.landmarks.push_back({values[1 + 2 * i], values[2 + 2 * i]});
      records_.push_back(std::move(r));
    }
  }
}

Sample LaPa::load(const Record& record) const {
  Sample s = RecordDataset::load(record);
  fs::path image(record.image_path);
  std::string label = (image.parent_path().parent_path() / "labels" / (image.stem().string() + ".png")).string();
  s.parsing = load_label_png(label);
  FC_CHECK(s.parsing.height == s.height() && s.parsing.width == s.width(), label, ": label map is ", s.parsing.height,
           "x", s.parsing.width, " but the image is ", s.height(), "x", s.width());
  for (uint8_t v : s.parsing.labels)
    FC_CHECK(v < lapa_class_names().size(), label, ": label value ", int(v), " outside LaPa's 11 classes");
  return s;
}

std::vector<Point2> read_pts_file(const std::string& path) {
  std::vector<TextLine> lines = read_text_lines(path);
  int declared = -1;
  size_t i = 0;
  for (; i < lines.size() && lines[i].text.find('{') == std::string::npos; ++i) {
    std::vector<std::string> t = split_whitespace(lines[i].text);
    if (t.size() == 2 && t[0] == "n_points:") declared = parse_int(t[1], lines[i]);
  }
  FC_CHECK(i < lines.size(), path, ": no '{' opening the point list");
  FC_CHECK(declared > 0, path, ": no 'n_points: N' line before '{'");
  std::vector<Point2> points;
  for (++i; i < lines.size(); ++i) {
    if (lines[i].text.find('}') != std::string::npos) break;
    std::vector<std::string> t = split_whitespace(lines[i].text);
    if (t.empty()) continue;
    if (t.size() != 2) fail_at(lines[i], "expected 'x y'");
    points.push_back({parse_double(t[0], lines[i]), parse_double(t[1], lines[i])});
  }
  FC_CHECK(i < lines.size(), path, ": no '}' closing the point list");
  if (static_cast<int>(points.size()) != declared)
    fail_at(lines[i], str_cat("n_points says ", declared, ", the list holds ", points.size()));
  return points;
}

Ibug300w::Ibug300w(const std::string& root, const std::vector<std::string>& subdirs) : RecordDataset("Ibug300w") {
  std::vector<std::string> dirs = subdirs.empty() ? std::vector<std::string>{""} : subdirs;
  std::vector<std::string> pts_files;
  for (const std::string& sub : dirs) {
    std::string dir = sub.empty() ? root : join_path(root, sub);
    std::error_code ec;
    FC_CHECK(fs::is_directory(dir, ec), "Ibug300w: ", dir, ": not a directory");
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file() && e.path().extension() == ".pts") pts_files.push_back(e.path().string());
  }
  std::sort(pts_files.begin(), pts_files.end());
  for (const std::string& pts : pts_files) {
    std::string image;
    for (const char* ext : {".jpg", ".png", ".jpeg"}) {
      std::string candidate = fs::path(pts).replace_extension(ext).string();
      if (file_exists(candidate)) {
        image = candidate;
        break;
      }
    }
    FC_CHECK(!image.empty(), pts, ": no image (.jpg/.png/.jpeg) with the same name");
    Record r{image, {}};
    r.labels.name = image;
    r.labels.landmarks = read_pts_file(pts);
    for (Point2& p : r.labels.landmarks) p = {p.x - 1.0, p.y - 1.0};
    r.labels.has_box = true;
    r.labels.box = square_box_around(r.labels.landmarks);
    records_.push_back(std::move(r));
  }
}

Wflw::Wflw(const std::string& annotation_file, const std::string& images_dir) : RecordDataset("Wflw") {
  for (const TextLine& line : read_text_lines(annotation_file)) {
    if (is_blank(line.text)) continue;
    std::vector<std::string> t = split_whitespace(line.text);
    if (t.size() != 196 + 4 + 6 + 1)
      fail_at(line, str_cat("expected 196 coordinates, 4 box values, 6 flags and a name (207 fields), got ", t.size()));
    Record r{join_path(images_dir, t[206]), {}};
    r.labels.name = t[206];
    for (int i = 0; i < 98; ++i) r.labels.landmarks.push_back({parse_double(t[2 * i], line), parse_double(t[2 * i + 1], line)});
    double x1 = parse_double(t[196], line), y1 = parse_double(t[197], line);
    double x2 = parse_double(t[198], line), y2 = parse_double(t[199], line);
    if (!(x2 > x1 && y2 > y1)) fail_at(line, "face rect must have x_max > x_min and y_max > y_min");
    for (int f = 0; f < 6; ++f) {
      int flag = parse_int(t[200 + f], line);
      if (flag != 0 && flag != 1) fail_at(line, "attribute flags must be 0 or 1, got " + t[200 + f]);
    }
    double cx = (x1 + x2) / 2, cy = (y1 + y2) / 2, half = std::max(x2 - x1, y2 - y1) / 2;
    r.labels.has_box = true;
    r.labels.box = {cx - half, cy - half, cx + half, cy + half};
    records_.push_back(std::move(r));
  }
}

}  // namespace fc::faceptor::data
