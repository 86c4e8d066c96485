#include "faceptor/data/open_dataset.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "faceptor/data/readers_dense.h"
#include "faceptor/data/readers_labels.h"
#include "faceptor/data/readers_synth.h"
#include "faceptor/data/transforms.h"

namespace fc::faceptor::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string joined_kinds() {
  std::string out;
  for (const std::string& k : dataset_kinds()) out += (out.empty() ? "" : ", ") + k;
  return out;
}

bool is_known_kind(const std::string& kind) {
  const auto& kinds = dataset_kinds();
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

// The task kinds a dataset kind has labels for.
std::vector<TaskKind> labelled_task_kinds(const std::string& kind) {
  if (kind == "celeba") return {TaskKind::attributes};
  if (kind == "celebamask_hq") return {TaskKind::parsing};
  if (kind == "lapa") return {TaskKind::parsing, TaskKind::landmarks};
  if (kind == "300w" || kind == "wflw") return {TaskKind::landmarks};
  if (kind == "rafdb" || kind == "affectnet") return {TaskKind::expression};
  if (kind == "utkface") return {TaskKind::age};
  if (kind == "identity_folders") return {TaskKind::recognition};
  if (kind == "synth_headpose") return {TaskKind::expression};  // yaw bin as the class index
  FC_CHECK(false, "dataset kind '", kind, "' is unknown (known: ", joined_kinds(), ")");
  return {};
}

void check_task_fits(const TaskSpec& task, const DatasetSpec& spec) {
  std::vector<TaskKind> kinds = labelled_task_kinds(spec.kind);
  if (std::find(kinds.begin(), kinds.end(), task.kind) != kinds.end()) return;
  std::string has;
  for (TaskKind k : kinds) has += (has.empty() ? "" : ", ") + std::string(task_kind_name(k));
  FC_CHECK(false, "task '", task.name, "' (", task_kind_name(task.kind), ") cannot use dataset kind '", spec.kind,
           "': it has ", has, " labels");
}

// <root>/<split> when that folder exists, else empty.
std::string split_folder(const DatasetSpec& spec) {
  fs::path p = fs::path(spec.root) / spec.split;
  return !spec.split.empty() && fs::is_directory(p) ? p.string() : std::string();
}

std::string root_for_unsplit(const DatasetSpec& spec) {
  std::string folder = split_folder(spec);
  if (!folder.empty()) return folder;
  FC_CHECK(spec.split == "train" || spec.split == "all", "dataset ", spec.kind, " at '", spec.root, "': split '",
           spec.split, "' needs a folder ", (fs::path(spec.root) / spec.split).string(),
           " (train and all read the root itself)");
  return spec.root;
}

std::shared_ptr<const Dataset> open_300w(const DatasetSpec& spec) {
  std::string folder = split_folder(spec);
  if (!folder.empty()) return std::make_shared<Ibug300w>(folder);
  // The iBUG release's folders; "test" is the full set (common + challenging subsets), the
  // split 300W results are usually reported on.
  std::vector<std::string> subdirs;
  if (spec.split == "train") subdirs = {"lfpw/trainset", "helen/trainset", "afw"};
  else if (spec.split == "test") subdirs = {"lfpw/testset", "helen/testset", "ibug"};
  else if (spec.split == "test_common") subdirs = {"lfpw/testset", "helen/testset"};
  else if (spec.split == "test_challenge") subdirs = {"ibug"};
  else FC_CHECK(spec.split == "all", "dataset 300w: unknown split '", spec.split,
                "' (train, test, test_common, test_challenge, all)");
  return std::make_shared<Ibug300w>(spec.root, subdirs);
}

std::shared_ptr<const Dataset> open_wflw(const DatasetSpec& spec) {
  FC_CHECK(spec.split == "train" || spec.split == "test", "dataset wflw: unknown split '", spec.split,
           "' (train, test)");
  std::string list = "list_98pt_rect_attr_" + spec.split + ".txt";
  fs::path official = fs::path(spec.root) / "WFLW_annotations" / "list_98pt_rect_attr_train_test" / list;
  fs::path flat = fs::path(spec.root) / list;
  fs::path chosen = fs::exists(official) ? official : flat;
  FC_CHECK(fs::exists(chosen), "dataset wflw: neither ", official.string(), " nor ", flat.string(), " exists");
  return std::make_shared<Wflw>(chosen.string(), (fs::path(spec.root) / "WFLW_images").string());
}

}  // namespace

const std::vector<std::string>& dataset_kinds() {
  static const std::vector<std::string> kinds = {"celeba", "celebamask_hq", "lapa",    "300w",
                                                 "wflw",   "rafdb",         "affectnet", "utkface",
                                                 "identity_folders", "synth_headpose"};
  return kinds;
}

DatasetSpec parse_dataset_spec(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    FC_CHECK(false, source, ": dataset spec is not valid JSON (", e.what(), ")");
  }
  FC_CHECK(j.is_object(), source, ": dataset spec must be a JSON object {\"kind\", \"root\", \"split\"}");
  for (auto it = j.begin(); it != j.end(); ++it) {
    FC_CHECK(it.key() == "kind" || it.key() == "root" || it.key() == "split", source, ": dataset spec has unknown field '",
             it.key(), "' (fields: kind, root, split)");
  }
  auto string_field = [&](const char* name, bool required, const std::string& fallback) {
    if (!j.contains(name)) {
      FC_CHECK(!required, source, ": dataset spec needs field '", name, "'");
      return fallback;
    }
    FC_CHECK(j[name].is_string(), source, ": dataset spec field '", name, "' must be a string, got ", j[name].dump());
    std::string value = j[name].get<std::string>();
    FC_CHECK(!value.empty(), source, ": dataset spec field '", name, "' must not be empty");
    return value;
  };
  DatasetSpec spec;
  spec.kind = string_field("kind", true, "");
  spec.root = string_field("root", true, "");
  spec.split = string_field("split", false, spec.split);
  FC_CHECK(is_known_kind(spec.kind), source, ": dataset spec field 'kind': unknown kind '", spec.kind,
           "' (known: ", joined_kinds(), ")");
  return spec;
}

std::string dataset_spec_to_json(const DatasetSpec& spec) {
  return json{{"kind", spec.kind}, {"root", spec.root}, {"split", spec.split}}.dump();
}

std::shared_ptr<const Dataset> open_dataset(const DatasetSpec& spec) {
  FC_CHECK(is_known_kind(spec.kind), "open_dataset: unknown dataset kind '", spec.kind, "' (known: ", joined_kinds(),
           ")");
  FC_CHECK(fs::is_directory(spec.root), "open_dataset: dataset ", spec.kind, ": root '", spec.root,
           "' is not a directory");
  const std::string& kind = spec.kind;
  if (kind == "celeba") return std::make_shared<CelebaAttributes>(spec.root, spec.split);
  if (kind == "celebamask_hq") return std::make_shared<CelebAMaskHq>(spec.root, spec.split);
  if (kind == "lapa") return std::make_shared<LaPa>(spec.root, spec.split);
  if (kind == "300w") return open_300w(spec);
  if (kind == "wflw") return open_wflw(spec);
  if (kind == "rafdb") return std::make_shared<RafDb>(spec.root, spec.split);
  if (kind == "affectnet") return std::make_shared<AffectNet>(spec.root, spec.split);
  if (kind == "utkface") return std::make_shared<UtkFace>(root_for_unsplit(spec));
  if (kind == "synth_headpose") return std::make_shared<SynthHeadPose>(spec.root, spec.split);
  return std::make_shared<IdentityFolders>(root_for_unsplit(spec));
}

namespace {

DenseRecipe dense_recipe_for(const TaskSpec& task, const DatasetSpec& spec) {
  if (task.kind == TaskKind::landmarks) return DenseRecipe::landmarks;
  return spec.kind == "lapa" ? DenseRecipe::lapa : DenseRecipe::celebamask_hq;
}

bool is_dense(const TaskSpec& task) { return task.kind == TaskKind::parsing || task.kind == TaskKind::landmarks; }

}  // namespace

// ref: faceptor_project/core/data/transform (attribute_train_transform, recognition_mxface_transform,
// celebam_/lapa_/align_train_transform); see transforms.h for what ours keep and replace.
Transform train_transform_for(const TaskSpec& task, const DatasetSpec& spec) {
  check_task_fits(task, spec);
  if (is_dense(task)) return dense_train_transform({dense_recipe_for(task, spec), task.input_size});
  if (task.kind == TaskKind::recognition) return recognition_train_transform(task.input_size);
  // A horizontal flip mirrors the yaw, which the label would not follow.
  if (spec.kind == "synth_headpose") return resize_transform(task.input_size);
  return attribute_train_transform(task.input_size);
}

Transform test_transform_for(const TaskSpec& task, const DatasetSpec& spec) {
  check_task_fits(task, spec);
  if (is_dense(task)) return dense_test_transform(dense_recipe_for(task, spec), task.input_size);
  return resize_transform(task.input_size);
}

}  // namespace fc::faceptor::data
