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
$bin eval --weights "$model" --task recog_ms1mv3 --pairs "$dir/lfw/pairs.txt" --root "$dir/lfw"
