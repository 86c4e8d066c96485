#!/usr/bin/python3
"""The PyTorch side of bench/bench_train: one training step of our reference Faceptor
(tests/reference/faceptor_training_reference.py) at full Base size, random weights, per task:
forward (encoder, decoder, head, loss), backward, optimizer (clip_grad_norm_ at 5, AdamW over the
official per-parameter groups, zero_grad). Prints one JSON object on the last line:
{"steps": {step: {"forward": ms, "backward": ms, "optimizer": ms, "cpu": {same}}}, "peak_rss_mib": ...}
with the best of --reps after two warm-up steps per task (as bench_train).

    /usr/bin/python3 bench/torch_train_baseline.py --threads 1 --reps 2 --steps age,landmarks

bench_train runs this with the fair-baseline environment of bench_model (OpenBLAS's own kernels,
glibc malloc keeping large buffers). As in bench_model, attention does not average its
probabilities over heads (need_weights=False; nothing in training reads them). zero_grad sets
gradients to None (PyTorch 2's default; our optimizer frees them the same way).
"""
import argparse
import json
import math
import pathlib
import resource
import sys
import time

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "reference"))
sys.path.insert(0, str(HERE))
import faceptor_reference as ref  # noqa: E402
import faceptor_training_reference as train_ref  # noqa: E402
from torch_baseline import attention_no_weights  # noqa: E402

# bench_train's steps: name -> (task, batch size, input size); the same table is in bench_train.cpp.
STEPS = {
    "age": ("age_morph2", 8, 112),
    "attributes": ("biattr_celeba", 8, 112),
    "expression": ("affect_affectnet", 8, 112),
    "parsing": ("parsing_celebam", 1, 512),
    "landmarks": ("align_300w", 1, 512),
}


def task_batch(task, batch, size, g):
    images = torch.rand(batch, 3, size, size, generator=g) * 2 - 1
    kind = task.split("_")[0]
    if kind == "age":
        labels = {"age": torch.randint(0, 90, (batch,), generator=g).double()}
    elif kind == "biattr":
        labels = {"attributes": torch.randint(0, 2, (batch, 40), generator=g)}
    elif kind == "affect":
        labels = {"expression": torch.randint(0, 7, (batch,), generator=g)}
    elif kind == "parsing":
        labels = {"parsing": torch.randint(0, 19, (batch, size, size), generator=g)}
    else:
        labels = {"landmarks": size * 0.2 + torch.rand(batch, 68, 2, generator=g) * size * 0.6}
    return train_ref.TaskBatch(task, images, labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated: " + ", ".join(STEPS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ref.attention = attention_no_weights  # the module-level name every ref forward calls

    cfg = ref.FaceptorConfig(recog_classes=0)
    ckpt = ref.FaceptorCheckpoint(cfg)
    ref.randomize(ckpt, seed=11)
    model = ckpt.module.float().train()
    groups, _ = train_ref.official_param_groups(model, lr=1e-5, weight_decay=0.05)
    optimizer = torch.optim.AdamW(groups, lr=1e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)
    params = [p for p in model.parameters()]
    g = torch.Generator().manual_seed(3)

    steps = args.steps.split(",")
    best = {s: {"forward": math.inf, "backward": math.inf, "optimizer": math.inf,
                "cpu": {"forward": math.inf, "backward": math.inf, "optimizer": math.inf}} for s in steps}
    for name in steps:
        task, batch, size = STEPS[name]
        data = task_batch(task, batch, size, g)
        for rep in range(-1, args.reps + 1):  # reps -1 and 0 are the warm-up
            marks = [(time.perf_counter(), time.process_time())]
            result = train_ref.training_forward(model, [data], {task: 1.0})
            float(result["total"])
            marks.append((time.perf_counter(), time.process_time()))
            result["total"].backward()
            del result
            marks.append((time.perf_counter(), time.process_time()))
            train_ref.clip_grad_norm(params, 5.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            marks.append((time.perf_counter(), time.process_time()))
            if rep <= 0:
                continue
            for i, phase in enumerate(("forward", "backward", "optimizer")):
                best[name][phase] = min(best[name][phase], (marks[i + 1][0] - marks[i][0]) * 1e3)
                best[name]["cpu"][phase] = min(best[name]["cpu"][phase], (marks[i + 1][1] - marks[i][1]) * 1e3)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"steps": best, "peak_rss_mib": rss}))


if __name__ == "__main__":
    main()
