#include "faceptor/synth/dataset_writer.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <stb/stb_image_write.h>  // the implementation is compiled in faceptor/image.cpp

#include "core/error.h"
#include "faceptor/synth/labels.h"
#include "faceptor/tasks.h"
#include "weights/atomic_file.h"

namespace fc::faceptor::synth {

namespace fs = std::filesystem;

namespace {

void write_text(const std::string& path, const std::string& text) {
  write_file_atomic(path, std::as_bytes(std::span<const char>(text.data(), text.size())));
}

void write_bytes(const std::string& path, const std::string& bytes) { write_text(path, bytes); }

// Every dataset name of a picture points at the same bytes.
void link_or_copy(const std::string& from, const std::string& to) {
  std::error_code error;
  fs::remove(to, error);
  fs::create_hard_link(from, to, error);
  if (error) fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

std::string padded(long value, int width) {
  std::string s = std::to_string(value);
  return std::string(width > static_cast<int>(s.size()) ? width - s.size() : 0, '0') + s;
}

// Identity k's partition: 80% train, 10% val, 10% test, so recognition test identities are unseen.
int partition_of(int identity) { return identity % 10 < 8 ? 0 : identity % 10 == 8 ? 1 : 2; }

std::string fixed(double v, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

std::string identity_name(int identity) { return "synth_" + padded(identity, 5); }

}  // namespace

void save_png_gray(const std::string& path, const std::vector<uint8_t>& values, int height, int width) {
  FC_CHECK(height > 0 && width > 0 && values.size() == static_cast<size_t>(height) * width, "save_png_gray: ",
           values.size(), " values for ", height, "x", width, " (", path, ")");
  std::string out;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
  };
  int ok = stbi_write_png_to_func(append, &out, width, height, 1, values.data(), width);
  FC_CHECK(ok != 0, "save_png_gray: PNG encoding failed (", path, ")");
  write_bytes(path, out);
}

SynthSample generate_sample(const SynthOptions& o, int index) {
  FC_CHECK(index >= 0 && o.images_per_identity > 0, "synth::generate_sample: index ", index, ", images_per_identity ",
           o.images_per_identity);
  Rng root(o.seed);
  int identity = index / o.images_per_identity;
  Identity who = sample_identity(root.split(1).split(identity).next_u64());
  Rng rng = root.split(2).split(index);
  return render_face(sample_face_spec(who, identity, rng), o.image_size, o.supersample);
}

SynthSummary write_synthetic_dataset(const SynthOptions& o) {
  FC_CHECK(!o.out_dir.empty(), "synth: no output directory");
  FC_CHECK(o.count > 0 && o.image_size >= 32 && o.images_per_identity > 0, "synth: count ", o.count, ", size ",
           o.image_size, ", images per identity ", o.images_per_identity, ": need count > 0, size >= 32, per identity > 0");
  fs::path root(o.out_dir);
  const std::vector<std::string>& classes = celebamask_hq_class_names();
  const std::vector<std::string>& attributes = celeba_attribute_names();
  for (const char* dir : {"celeba/img_align_celeba", "celebamask_hq/CelebA-HQ-img", "celebamask_hq/CelebAMask-HQ-label",
                          "300w/train", "300w/test", "utkface", "rafdb/basic/EmoLabel", "rafdb/basic/Image/aligned", "lfw"})
    fs::create_directories(root / dir);

  std::ostringstream attr, partition, five, raf, jsonl;
  attr << o.count << "\n";
  for (size_t k = 0; k < attributes.size(); ++k) attr << attributes[k] << (k + 1 < attributes.size() ? " " : "\n");
  five << o.count << "\nlefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y\n";
  std::vector<int> images_of_identity;
  int raf_train = 0, raf_test = 0;
  for (int i = 0; i < o.count; ++i) {
    SynthSample s = generate_sample(o, i);
    int part = partition_of(s.identity);
    std::string celeba_name = padded(i + 1, 6) + ".png";
    std::string primary = (root / "celeba/img_align_celeba" / celeba_name).string();
    save_png(primary, s.image);

    attr << celeba_name;
    for (int8_t a : s.attributes) attr << (a >= 0 ? "  " : " ") << static_cast<int>(a);
    attr << "\n";
    partition << celeba_name << " " << part << "\n";
    std::array<Point2, 5> pts = five_points(s.landmarks);
    five << celeba_name;
    for (Point2 q : pts) five << " " << std::lround(q.x) << " " << std::lround(q.y);
    five << "\n";

    // CelebAMask-HQ: image, per-part masks, and the merged label map.
    link_or_copy(primary, (root / "celebamask_hq/CelebA-HQ-img" / (std::to_string(i) + ".png")).string());
    fs::path mask_dir = root / "celebamask_hq/CelebAMask-HQ-mask-anno" / std::to_string(i / 2000);
    fs::create_directories(mask_dir);
    for (size_t c = 1; c < classes.size(); ++c) {
      std::vector<uint8_t> mask(s.parsing.size());
      bool any = false;
      for (size_t k = 0; k < mask.size(); ++k) any |= (mask[k] = s.parsing[k] == c ? 255 : 0) != 0;
      if (any) save_png_gray((mask_dir / (padded(i, 5) + "_" + classes[c] + ".png")).string(), mask, o.image_size, o.image_size);
    }
    save_png_gray((root / "celebamask_hq/CelebAMask-HQ-label" / (std::to_string(i) + ".png")).string(), s.parsing,
                  o.image_size, o.image_size);

    // 300W: .pts beside the image, 1-based coordinates as in the iBUG annotation files.
    fs::path w300 = root / "300w" / (part == 0 ? "train" : "test");
    std::string stem = "synth_" + padded(i + 1, 6);
    link_or_copy(primary, (w300 / (stem + ".png")).string());
    std::ostringstream pts_file;
    pts_file << "version: 1\nn_points:  68\n{\n";
    for (Point2 q : s.landmarks) pts_file << fixed(q.x + 1, 3) << " " << fixed(q.y + 1, 3) << "\n";
    pts_file << "}\n";
    write_text((w300 / (stem + ".pts")).string(), pts_file.str());

    // UTKFace: the labels are the file name; the "datetime" field just makes names unique.
    std::string utk = std::to_string(s.age) + "_" + (s.male ? "0" : "1") + "_4_20000101" + padded(i, 9) + ".png";
    link_or_copy(primary, (root / "utkface" / utk).string());

    // RAF-DB basic: train/test split follows the identity partition (val counts as test).
    bool raf_is_train = part == 0;
    std::string raf_stem = (raf_is_train ? "train_" : "test_") + padded(raf_is_train ? ++raf_train : ++raf_test, 5);
    raf << raf_stem << ".png " << rafdb_label(s.expression) << "\n";
    link_or_copy(primary, (root / "rafdb/basic/Image/aligned" / (raf_stem + "_aligned.png")).string());

    // Recognition: one folder per identity, LFW naming.
    if (static_cast<int>(images_of_identity.size()) <= s.identity) images_of_identity.resize(s.identity + 1, 0);
    int number = ++images_of_identity[s.identity];
    fs::path id_dir = root / "lfw" / identity_name(s.identity);
    fs::create_directories(id_dir);
    link_or_copy(primary, (id_dir / (identity_name(s.identity) + "_" + padded(number, 4) + ".png")).string());

    nlohmann::json j;
    j["index"] = i;
    j["celeba_file"] = celeba_name;
    j["identity"] = s.identity;
    j["partition"] = part;
    j["age"] = s.age;
    j["male"] = s.male;
    j["expression"] = s.expression;
    j["expression_name"] = expression_names()[s.expression];
    j["rafdb_file"] = raf_stem + ".png";
    j["utkface_file"] = utk;
    j["attributes"] = std::vector<int>(s.attributes.begin(), s.attributes.end());
    std::vector<std::array<double, 2>> lm, fp;
    for (Point2 q : s.landmarks) lm.push_back({q.x, q.y});
    for (Point2 q : pts) fp.push_back({q.x, q.y});
    j["landmarks"] = lm;
    j["five_points"] = fp;
    j["yaw"] = s.yaw;
    j["roll"] = s.roll;
    j["yaw_bin"] = yaw_bin(s.yaw);
    jsonl << j.dump() << "\n";
  }
  write_text((root / "celeba/list_attr_celeba.txt").string(), attr.str());
  write_text((root / "celeba/list_eval_partition.txt").string(), partition.str());
  write_text((root / "celeba/list_landmarks_align_celeba.txt").string(), five.str());
  write_text((root / "rafdb/basic/EmoLabel/list_patition_label.txt").string(), raf.str());
  write_text((root / "annotations.jsonl").string(), jsonl.str());

  // LFW pairs as LFW lays them out: folds of `per_fold` matched pairs then as many mismatched
  // (header "<folds>\t<per_fold>"), ten folds when there are at least ten matched pairs, so that
  // the 10-fold evaluation, which follows the file's order, sees both kinds in every fold. A
  // matched pair per identity with two or more images (the remainder after the last full fold
  // is dropped), a mismatched pair of two random identities for each.
  SynthSummary summary;
  summary.images = o.count;
  summary.identities = static_cast<int>(images_of_identity.size());
  Rng pair_rng = Rng(o.seed).split(3);
  std::vector<int> repeated;
  for (int k = 0; k < summary.identities; ++k)
    if (images_of_identity[k] >= 2) repeated.push_back(k);
  std::vector<std::string> matched, mismatched;
  for (int k : repeated) {
    int n = images_of_identity[k], a = 1 + static_cast<int>(pair_rng.below(n)), b = 1 + static_cast<int>(pair_rng.below(n - 1));
    if (b >= a) ++b;
    matched.push_back(identity_name(k) + "\t" + std::to_string(a) + "\t" + std::to_string(b) + "\n");
  }
  if (summary.identities >= 2)
    for (size_t p = 0; p < matched.size(); ++p) {
      int x = static_cast<int>(pair_rng.below(summary.identities));
      int y = static_cast<int>(pair_rng.below(summary.identities - 1));
      if (y >= x) ++y;
      mismatched.push_back(identity_name(x) + "\t" + std::to_string(1 + pair_rng.below(images_of_identity[x])) + "\t" +
                           identity_name(y) + "\t" + std::to_string(1 + pair_rng.below(images_of_identity[y])) + "\n");
    }
  const size_t pairs_of_each = std::min(matched.size(), mismatched.size());
  const size_t folds = pairs_of_each >= 10 ? 10 : 1, per_fold = pairs_of_each / folds;
  std::string pairs_text = std::to_string(folds) + "\t" + std::to_string(per_fold) + "\n";
  for (size_t f = 0; f < folds; ++f) {
    for (size_t i = f * per_fold; i < (f + 1) * per_fold; ++i) pairs_text += matched[i];
    for (size_t i = f * per_fold; i < (f + 1) * per_fold; ++i) pairs_text += mismatched[i];
  }
  summary.matched_pairs = summary.mismatched_pairs = static_cast<int>(folds * per_fold);
  write_text((root / "lfw/pairs.txt").string(), pairs_text);

  nlohmann::json m;
  m["generator"] = "faceptor.cpp synthetic faces (faceptor/synth)";
  m["format_version"] = 1;
  m["seed"] = o.seed;
  m["count"] = o.count;
  m["image_size"] = o.image_size;
  m["images_per_identity"] = o.images_per_identity;
  m["identities"] = summary.identities;
  m["coordinates"] = "pixel centres at integers, origin at the top-left pixel centre; .pts files add 1 (iBUG convention)";
  m["partition"] = "by identity: identity % 10 < 8 train (0), == 8 val (1), == 9 test (2)";
  m["parsing_classes"] = classes;
  m["parsing_note"] = "l_* / r_* are image-left / image-right; beard keeps the skin label; teeth are 'mouth'";
  m["attributes"] = attributes;
  m["uncontrolled_attributes"] = uncontrolled_attribute_names();
  m["uncontrolled_attribute_value"] = 0;
  m["expressions_affectnet_order"] = expression_names();
  std::vector<int> raf_map;
  for (int e = 0; e < 7; ++e) raf_map.push_back(rafdb_label(e));
  m["rafdb_label_of_affectnet_index"] = raf_map;
  m["rafdb_labels"] = {"1 Surprise", "2 Fear", "3 Disgust", "4 Happiness", "5 Sadness", "6 Anger", "7 Neutral"};
  m["datasets"] = {
      {"celeba", {{"images", "celeba/img_align_celeba"}, {"attributes", "celeba/list_attr_celeba.txt"},
                  {"partition", "celeba/list_eval_partition.txt"}, {"landmarks_5", "celeba/list_landmarks_align_celeba.txt"}}},
      {"celebamask_hq", {{"images", "celebamask_hq/CelebA-HQ-img"}, {"masks", "celebamask_hq/CelebAMask-HQ-mask-anno"},
                         {"label_maps", "celebamask_hq/CelebAMask-HQ-label"},
                         {"note", "masks are 0/255 single-channel PNGs named {index:05d}_{class}.png in folder index/2000, "
                                  "same size as the image; label maps hold class indices"}}},
      {"300w", {{"train", "300w/train"}, {"test", "300w/test"}, {"note", "68 points, 300W order, 1-based"}}},
      {"utkface", {{"images", "utkface"}, {"note", "{age}_{gender}_{race}_{datetime}.png; gender 0 male, 1 female; race 4"}}},
      {"rafdb", {{"list", "rafdb/basic/EmoLabel/list_patition_label.txt"}, {"images", "rafdb/basic/Image/aligned"},
                 {"note", "list names end in .png; the image is <stem>_aligned.png"}}},
      {"lfw", {{"images", "lfw"}, {"pairs", "lfw/pairs.txt"}, {"note", "as LFW: header '<folds><TAB>n', then per fold n matched and n mismatched pairs"}}},
      {"annotations", {{"file", "annotations.jsonl"}, {"note", "exact float labels per sample, 0-based pixel coordinates; yaw and roll in radians, yaw_bin: "
                                  "yaw in 5 equal bins over [-0.4, 0.4] (synth/labels.h yaw_bin)"}}}};
  m["matched_pairs"] = summary.matched_pairs;
  m["mismatched_pairs"] = summary.mismatched_pairs;
  write_text((root / "manifest.json").string(), m.dump(2) + "\n");
  return summary;
}

SynthSummary write_synthetic_dataset(const std::string& dir, int count, uint64_t seed, int image_size) {
  SynthOptions o;
  o.out_dir = dir;
  o.count = count;
  o.seed = seed;
  o.image_size = image_size;
  return write_synthetic_dataset(o);
}

int run_synth_command(int argc, const char* const* argv) {
  const char* usage =
      "usage: faceptor synth --out DIR [--count N=100] [--seed S=0] [--size PIXELS=256] [--per-identity K=4]\n"
      "Renders N synthetic faces with labels for all six tasks in the public datasets' formats.\n";
  SynthOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << "synth: " << arg << " needs a value (or is unknown)\n" << usage;
      return 2;
    }
    std::string value = argv[++i];
    try {
      if (arg == "--out") o.out_dir = value;
      else if (arg == "--count") o.count = std::stoi(value);
      else if (arg == "--seed") o.seed = std::stoull(value);
      else if (arg == "--size") o.image_size = std::stoi(value);
      else if (arg == "--per-identity") o.images_per_identity = std::stoi(value);
      else {
        std::cerr << "synth: unknown option " << arg << "\n" << usage;
        return 2;
      }
    } catch (const std::exception&) {
      std::cerr << "synth: " << arg << ": not a number: " << value << "\n";
      return 2;
    }
  }
  if (o.out_dir.empty()) {
    std::cerr << "synth: --out DIR is required\n" << usage;
    return 2;
  }
  if (o.count <= 0 || o.image_size < 32 || o.images_per_identity <= 0) {
    std::cerr << "synth: need --count > 0, --size >= 32, --per-identity > 0\n";
    return 2;
  }
  SynthSummary s = write_synthetic_dataset(o);
  std::cout << "synth: wrote " << s.images << " images of " << s.identities << " identities ("
            << s.matched_pairs << " + " << s.mismatched_pairs << " verification pairs) to " << o.out_dir << "\n";
  return 0;
}

}  // namespace fc::faceptor::synth
