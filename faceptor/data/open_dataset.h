// Opening a dataset named in a config or on the command line, and picking the official
// train / test transform for a task on it. The spec is JSON so training configs can hold it:
//
//   DatasetSpec spec = parse_dataset_spec(R"({"kind": "300w", "root": "data/300W", "split": "test"})",
//                                         "train.json: tasks[3].test");
//   std::shared_ptr<const Dataset> raw = open_dataset(spec);          // the reader, raw samples
//   TransformedDataset test(raw, test_transform_for(*find_official_task("align_300w"), spec));
//
// Kinds and how root/split reach the readers (readers_labels.h, readers_dense.h):
//   celeba           CelebaAttributes(root, split)           train, val, test, train_val, all
//   celebamask_hq    CelebAMaskHq(root, split)               train, val, test, train_val, all
//   lapa             LaPa(root, split)                       train, val, test, train_val
//   300w             Ibug300w(root, subdirs of the split): train = lfpw/trainset, helen/trainset,
//                    afw; test = the full set lfpw/testset, helen/testset, ibug; test_common,
//                    test_challenge; all = everything under root
//   wflw             Wflw(list_98pt_rect_attr_<split>.txt, root/WFLW_images), the list found in
//                    root/WFLW_annotations/list_98pt_rect_attr_train_test/ or in root; train, test
//   rafdb            RafDb(root, split)                      train, test
//   affectnet        AffectNet(root, split)                  train, test (or the CSVs' names)
//   utkface          UtkFace(dir)
//   identity_folders IdentityFolders(dir)
//   synth_headpose   SynthHeadPose(root, split) (readers_synth.h): `faceptor synth` output, the
//                    yaw bin as class label; train, val, test, train_val, all; no flip in training
// For 300w, utkface and identity_folders a folder root/<split> wins when it exists (the
// synthetic dataset writes 300w/train and 300w/test that way); utkface and identity_folders
// otherwise read root itself for "train" and "all".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "faceptor/data/dataset.h"
#include "faceptor/tasks.h"

namespace fc::faceptor::data {

struct DatasetSpec {
  std::string kind;
  std::string root;
  std::string split = "train";
};

// The kinds open_dataset knows, in the order listed above.
const std::vector<std::string>& dataset_kinds();

// JSON {"kind": ..., "root": ..., "split": ...} (split optional). Errors name `source` and the
// field; an unknown kind lists the known ones; unknown fields are rejected (a typo would
// otherwise silently fall back to a default).
DatasetSpec parse_dataset_spec(const std::string& json, const std::string& source);
std::string dataset_spec_to_json(const DatasetSpec& spec);

// The raw reader for `spec`. Throws naming the kind and root when root is missing; the
// readers' own errors name the annotation file and line.
std::shared_ptr<const Dataset> open_dataset(const DatasetSpec& spec);

// The official transforms for `task` on a dataset of spec.kind (transforms.h): 112 tasks
// (age, attributes, expression) attribute_train_transform / resize_transform; recognition
// recognition_train_transform / resize_transform; parsing the celebamask_hq or lapa dense
// recipe of the dataset; landmarks the landmarks dense recipe. Throws when the dataset kind
// has no labels for the task's kind (e.g. an age task on celeba).
Transform train_transform_for(const TaskSpec& task, const DatasetSpec& spec);
Transform test_transform_for(const TaskSpec& task, const DatasetSpec& spec);

}  // namespace fc::faceptor::data
