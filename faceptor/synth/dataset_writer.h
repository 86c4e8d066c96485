// write_synthetic_dataset: renders `count` seeded synthetic faces and writes them with their
// labels in the public datasets' own file formats, so the same readers and trainer path serve
// real and synthetic data. Sample i is the same image whatever `count` is.
//
//   SynthOptions options;
//   options.out_dir = "data/synth";  options.count = 1000;  options.seed = 1;
//   SynthSummary summary = write_synthetic_dataset(options);
//
// Layout under out_dir (every name is also in manifest.json):
//   manifest.json                      what follows, conventions and label mappings
//   annotations.jsonl                  one JSON object per sample: exact float labels
//   celeba/img_align_celeba/000001.png ...       CelebA: list_attr_celeba.txt (+1/-1; 0 for the
//   celeba/list_attr_celeba.txt                   5 uncontrolled attributes), list_eval_partition.txt
//   celeba/list_eval_partition.txt                (0 train, 1 val, 2 test, by identity),
//   celeba/list_landmarks_align_celeba.txt        5 points rounded to integers
//   celebamask_hq/CelebA-HQ-img/0.png ...        CelebAMask-HQ: per-part 0/255 masks
//   celebamask_hq/CelebAMask-HQ-mask-anno/0/00000_skin.png   (folder = index / 2000, only parts
//   celebamask_hq/CelebAMask-HQ-label/0.png       present) and a single uint8 label PNG per image
//   300w/{train,test}/synth_000001.{png,pts}     300W: 68 points, 1-based like iBUG's files
//   utkface/{age}_{gender}_{race}_{datetime}.png UTKFace: gender 0 male 1 female, race 4 (others)
//   rafdb/basic/EmoLabel/list_patition_label.txt RAF-DB: "train_00001.png 4" (labels 1-7), images
//   rafdb/basic/Image/aligned/train_00001_aligned.png
//   lfw/synth_00000/synth_00000_0001.png, lfw/pairs.txt   recognition folders, LFW pairs (10 folds as LFW)
// The same picture appears under each dataset's name as a hard link (a copy where links fail).
#pragma once

#include <cstdint>
#include <string>

#include "faceptor/synth/render.h"

namespace fc::faceptor::synth {

struct SynthOptions {
  std::string out_dir;
  int count = 100;
  uint64_t seed = 0;
  int image_size = 256;
  int images_per_identity = 4;  // consecutive samples share an identity
  int supersample = 3;
};

struct SynthSummary {
  int images = 0, identities = 0, matched_pairs = 0, mismatched_pairs = 0;
};

// Sample `index` of the dataset with this seed (what write_synthetic_dataset renders).
SynthSample generate_sample(const SynthOptions& options, int index);
SynthSummary write_synthetic_dataset(const SynthOptions& options);
SynthSummary write_synthetic_dataset(const std::string& dir, int count, uint64_t seed, int image_size);

// A single-channel 8-bit PNG (label maps, masks); atomic like save_png.
void save_png_gray(const std::string& path, const std::vector<uint8_t>& values, int height, int width);

// The CLI's `faceptor synth` subcommand. argv[0] is the subcommand name and is skipped; accepts
// --out DIR (required), --count N, --seed S, --size P, --per-identity K, --help. Prints a
// summary; returns 0 on success, 2 on a usage error (message on stderr).
int run_synth_command(int argc, const char* const* argv);

}  // namespace fc::faceptor::synth
