#!/bin/sh
# Prints the demo model's metrics on a synthetic set: scripts/demo_model/evaluate.sh MODEL DIR
# (DIR from `faceptor synth --size 128`, with a seed other than training's 1).
set -e
model=$1
dir=$2
bin=${FACEPTOR:-build/faceptor}
$bin eval --weights "$model" --task align_300w --dataset 300w --root "$dir/300w" --split all
$bin eval --weights "$model" --task parsing_celebam --dataset celebamask_hq --root "$dir/celebamask_hq" --split all
$bin eval --weights "$model" --task age_utkface --dataset utkface --root "$dir/utkface" --split all
$bin eval --weights "$model" --task affect_rafdb --dataset rafdb --root "$dir/rafdb/basic" --split train
$bin eval --weights "$model" --task biattr_celeba --dataset celeba --root "$dir/celeba" --split all
# The synthetic pairs.txt lists all matched pairs first; the 10 folds follow the file's order, so
# alternate the kinds to give every fold both (as LFW's folds have).
awk 'NF == 3 { s[++a] = $0 } NF == 4 { d[++b] = $0 }
     END { for (i = 1; i <= (a > b ? a : b); i++) { if (i <= a) print s[i]; if (i <= b) print d[i] } }' \
  "$dir/lfw/pairs.txt" > "$dir/lfw/pairs_interleaved.txt"
$bin eval --weights "$model" --task recog_ms1mv3 --pairs "$dir/lfw/pairs_interleaved.txt" --root "$dir/lfw"
