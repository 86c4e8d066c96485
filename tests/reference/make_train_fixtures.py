#!/usr/bin/python3
"""Writes the training-step fixtures for tests/test_train_step.cpp (tests/fixtures/train/).

    /usr/bin/python3 tests/reference/make_train_fixtures.py          # both
    /usr/bin/python3 tests/reference/make_train_fixtures.py naive    # only the Naive Faceptor one

One joint training step of the tiny Faceptor (faceptor_reference.py's FaceptorConfig.tiny: the
Base task set with all six task kinds, levels [last], a 10-class CosFace matrix) as the released
solver runs it (faceptor_training_reference.py): every task's batch, one encoder pass per input
size, the seven task losses and the LossesHolder total with the stage-1 reweighting, backward,
clip_grad_norm_(all parameters, 5), AdamW (lr x1 backbone, x10 decoder / interpreters / losses;
weight decay 0.05 on everything). Then nine more steps on the same batch. Inputs are 32 x 32 for
the 112 group and 64 x 64 for the 512 group (parsing labels 64 x 64, landmark heatmaps 16 x 16);
drop path 0, the decoder's dropout is 0 as released, so the model is in train mode otherwise.

Files:
  tiny.pth.tar  torch.save'd checkpoint (official names, losses_module included), float32
  step.fxt      inputs and labels per task, task weights, optimizer settings, and the reference:
                step 1's task losses (+ age / landmark terms) and total, every parameter's
                gradient before clipping (after clipping = that * clip/coef), the clip norm and
                coefficient, every parameter's update p1 - p0, the BatchNorm running statistics
                after step 1, and the 10-step trajectory of every loss and of the gradient norm.
  naive_tiny.pth.tar, naive_step.fxt   the same for a tiny Naive Faceptor (make_naive_step below:
                one step and a 5-step trajectory, tests/test_train_naive_step.cpp).
The reference runs in float64 from the float32 weights and inputs the files hold. Parameter names
are our converter's (faceptor/convert.h). Running PyTorch's own float32 step next to it measures
what a float32 implementation can reach; the numbers are printed (see tests/test_train_step.cpp).
"""
import copy
import math
import pathlib
import sys

import torch
from torch import nn

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import faceptor_reference as ref  # noqa: E402
import faceptor_training_reference as train  # noqa: E402
import naive_reference as naive  # noqa: E402
from fixture_format import FixtureWriter  # noqa: E402

OUT = HERE.parent / "fixtures" / "train"
ATTRIBUTE_SIZE = 32   # 2x2 grid: the 4x4 positional table is resized (small, to keep the file small)
DENSE_SIZE = 64       # 4x4 grid, 16x16 maps (the landmark heatmap size is input / 4, as 128 at 512)
BATCH = {"recog_ms1mv3": 4, "age_morph2": 2, "biattr_celeba": 2, "affect_affectnet": 2, "affect_rafdb": 1,
         "parsing_celebam": 1, "align_300w": 1}
LR = 1e-4             # base lr: backbone 1e-4, the rest 1e-3
WEIGHT_DECAY = 0.05
MAX_NORM = 5.0        # the released value; step 1's norm is 5.67, so step 1 clips and steps 2-10 do not
STEPS = 10


def make_batches(cfg, seed):
    """Images (smooth pattern + noise in [-1, 1]) and plausible labels for every task, in config
    order (the 48 tasks, then the 64 ones, as the released size groups)."""
    g = torch.Generator().manual_seed(seed)
    batches = []
    for task in cfg.tasks:
        n = BATCH[task.name]
        size = DENSE_SIZE if task.kind in ("parsing", "align") else ATTRIBUTE_SIZE
        coarse = torch.rand(n, 3, 6, 6, generator=g) * 2 - 1
        smooth = nn.functional.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
        images = (0.7 * smooth + 0.3 * (torch.rand(n, 3, size, size, generator=g) * 2 - 1)).clamp(-1, 1)
        if task.kind == "recog":
            labels = {"identity": torch.randint(0, cfg.recog_classes, (n,), generator=g)}
        elif task.kind == "age":
            labels = {"age": torch.randint(3, 95, (n,), generator=g)}
        elif task.kind == "biattr":
            a = torch.randint(0, 2, (n, task.queries), generator=g)
            a[torch.rand(n, task.queries, generator=g) < 0.15] = -1   # unknown labels are masked
            labels = {"attributes": a}
        elif task.kind == "affect":
            labels = {"expression": torch.randint(0, task.queries, (n,), generator=g)}
        elif task.kind == "parsing":   # blobs: argmax of upsampled noise over the classes
            blobs = torch.rand(n, task.queries, 5, 5, generator=g)
            blobs = nn.functional.interpolate(blobs, size=(size, size), mode="bilinear", align_corners=False)
            labels = {"parsing": blobs.argmax(dim=1)}
        else:
            labels = {"landmarks": (4 + torch.rand(n, task.queries, 2, generator=g) * (size - 8)).to(torch.float32)}
        batches.append(train.TaskBatch(task.name, images.to(torch.float32), labels))
    return batches


def to_dtype(batches, dtype):
    return [train.TaskBatch(b.task, b.images.to(dtype),
                            {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in b.labels.items()})
            for b in batches]


def run_steps(ckpt, batches, weights, dtype):
    """STEPS training steps from the checkpoint in `dtype`. Returns a dict with step 1's losses,
    gradients (before clipping), norm / coefficient, updates and BN statistics, and the trajectory."""
    wrapper = copy.deepcopy(ckpt).to(dtype).train()
    model = wrapper.module
    groups, _ = train.official_param_groups(wrapper, LR, WEIGHT_DECAY)
    opt = torch.optim.AdamW(groups, lr=LR, weight_decay=WEIGHT_DECAY)   # betas (0.9, 0.999), eps 1e-8
    named = train.named_unique_parameters(wrapper)
    batches = to_dtype(batches, dtype)
    out = {"trajectory": {"total": [], "grad_norm": [], **{t: [] for t in weights}}}
    for step in range(STEPS):
        opt.zero_grad(set_to_none=True)
        result = train.training_forward(model, batches, weights)
        result["total"].backward()
        if step == 0:
            out["loss"] = {"total": result["total"].detach(), **{t: v.detach() for t, v in result["tloss"].items()}}
            out["terms"] = {f"{t}/{k}": v.detach() for t, terms in result["terms"].items() for k, v in terms.items()}
            out["grad"] = {n: p.grad.detach().clone() for n, p in named if p.grad is not None}
            out["no_grad"] = [n for n, p in named if p.grad is None]
            before = {n: p.detach().clone() for n, p in named}
        norm, coef = train.clip_grad_norm(wrapper.parameters(), MAX_NORM)
        opt.step()
        if step == 0:
            out["clip"] = (norm, coef)
            out["update"] = {n: p.detach() - before[n] for n, p in named}
            out["bn"] = {train.converted_name(n): b.detach().clone() for n, b in wrapper.named_buffers()
                         if "running" in n}
        out["trajectory"]["total"].append(float(result["total"]))
        out["trajectory"]["grad_norm"].append(norm)
        for t, v in result["tloss"].items():
            out["trajectory"][t].append(float(v))
    return out


def relative_gap(a, b):
    scale = float(b.abs().max())
    return float((a.double() - b).abs().max()) / scale if scale > 0 else float((a.double() - b).abs().max())


def check_points2heatmap():
    """The vectorised target heatmaps against the p2i kernel's own loop (utility.h
    for_each_pixel_near_point over the clamped window, p2i_max.h's gaussian_awing weight, max
    over a zero background), for points inside, on the border of and outside the map."""
    size, radius = 16, train.ALIGN_RADIUS
    points = torch.tensor([[[3.2, 7.9], [0.0, 15.5], [-2.5, 4.0], [18.0, 20.0], [15.0, 0.0]]], dtype=torch.float64)
    fast = train.points2heatmap(points, (size, size), radius)
    pixels = points * size - 0.5
    for i, (px, py) in enumerate(pixels[0].tolist()):
        want = torch.zeros(size, size, dtype=torch.float64)
        clamp = lambda v: min(max(v, 0), size - 1)  # noqa: E731
        for x in range(clamp(math.floor(px - radius)), clamp(math.ceil(px + radius)) + 1):
            for y in range(clamp(math.floor(py - radius)), clamp(math.ceil(py + radius)) + 1):
                r = math.sqrt((x - px) ** 2 + (y - py) ** 2)
                if r <= radius:
                    want[y, x] = max(want[y, x], math.exp(-r * r * 16 / 2 / radius / radius))
        assert torch.allclose(fast[0, i], want, atol=1e-15), f"points2heatmap point {i}"


def check_param_groups(wrapper):
    """solver.create_optimizer's multipliers land where the recipe says: encoder x1, rest x10."""
    groups, info = train.official_param_groups(wrapper, LR, WEIGHT_DECAY)
    for name, mult in info.values():
        assert mult == (1.0 if ".backbone_module." in f".{name}" else 10.0), name
    assert len(groups) == len(list(wrapper.parameters()))


def gradient_scales(grads):
    """Per tensor, the scale its gradient error is measured against: max |ref| of the tensor, except
    for tensors whose exact gradient is zero (max |ref| below 1e-10 of the largest gradient: only
    float64 rounding is left), which are measured against the largest gradient of the model.
    Here those are interpreters.feature_v2.norm.bias and head.1.bias (a per-channel shift that the
    next train-mode BatchNorm removes) and, with one decoder level, decoder.level_embed.weight and
    adapt_pos2d.2.bias (the same shift of every key: softmax is invariant to it)."""
    top = max(float(g.abs().max()) for g in grads.values())
    return {n: (float(g.abs().max()) if float(g.abs().max()) > 1e-10 * top else top) for n, g in grads.items()}


def update_gap(update, reference, grad, lr, scale):
    """Adam's first step moves each element by about lr * g / (|g| + eps): elements whose gradient
    is within the noise (|g| <= max(1e-3 * scale, 1e-6)) may move by anything in [-lr, lr] in a
    float32 run and are bounded only by 2 lr; elsewhere a gradient error <= 1e-4 * scale changes
    g / (|g| + eps) by <= 1e-3. Returns (worst |diff| / lr over the other elements, excluded count,
    worst |diff| / lr over the excluded ones)."""
    floor = max(1e-3 * scale, 1e-6)
    keep = grad.abs() > floor
    d = (update.double() - reference).abs() / lr
    return (float(d[keep].max()) if keep.any() else 0.0, int((~keep).sum()),
            float(d[~keep].max()) if (~keep).any() else 0.0)


def report_float32(ref64, ref32):
    """What PyTorch's own float32 step reaches against the float64 reference: the floor for the
    C++ tolerances (printed; tests/test_train_step.cpp quotes it)."""
    scales = gradient_scales(ref64["grad"])
    worst = max((float((ref32["grad"][n].double() - g).abs().max()) / scales[n], n) for n, g in ref64["grad"].items())
    print(f"  float32 gradients: worst max|diff|/scale {worst[0]:.1e} ({worst[1]})")
    for key in ("loss", "terms"):
        gap = max(abs(float(ref32[key][k]) - float(v)) / abs(float(v)) for k, v in ref64[key].items())
        print(f"  float32 step-1 {key}: worst relative {gap:.1e}")
    traj = max((abs(a - b) / abs(b), k) for k in ref64["trajectory"] for a, b in
               zip(ref32["trajectory"][k], ref64["trajectory"][k]))
    print(f"  float32 10-step trajectory: worst relative {traj[0]:.1e} ({traj[1]})")
    worst, excluded, worst_excluded = (0.0, ""), 0, 0.0
    for n, g in ref64["grad"].items():
        lr = LR * (1.0 if n.startswith("encoder.") else 10.0)
        gap, count, gap_excluded = update_gap(ref32["update"][n], ref64["update"][n], g, lr, scales[n])
        worst = max(worst, (gap, n))
        excluded += count
        worst_excluded = max(worst_excluded, gap_excluded)
    print(f"  float32 updates: worst |diff|/lr {worst[0]:.1e} ({worst[1]}); {excluded} elements under the "
          f"noise floor (worst there {worst_excluded:.2f} lr)")


# ---- Naive Faceptor ---------------------------------------------------------------------------
# A smaller model than naive_reference's NaiveConfig.tiny, so every gradient and update fits in a
# small file: encoder width 8, 3 blocks, 2 heads, patch 8; attribute heads 8 channels (gate 8 -> 2
# -> 8); dense heads 4 channels. Heads as the released yaml except that "parsing" serves two tasks
# (celebam 19 + lapa 11 channels: the channel split) and "align" is align_aflw (19 points).
# Dropout 0: PyTorch's masks cannot be reproduced by our Rng (the C++ dropout has its own tests);
# every other train-mode layer (BatchNorm batch statistics per task) is exercised.
NAIVE_ATTRIBUTE_SIZE = 16   # 2x2 grid
NAIVE_DENSE_SIZE = 32       # 4x4 grid: pyramid 16, 8, 4, 2
NAIVE_ATTRIBUTE_LEVELS = [0, 1, 1, 2]
NAIVE_DENSE_LEVELS = [0, 0, 1, 2]
NAIVE_LR = 1e-3             # base lr: backbone 1e-4 (x0.1), heads and losses 1e-3 (x1), as the naive yaml
NAIVE_STEPS = 5
# the naive yaml's loss weights (its task_weight is 1 for every type); lapa / aflw as their kinds' peers
NAIVE_LOSS_WEIGHTS = {"recog_ms1mv3": 128.0, "age_morph2": 32.0, "biattr_celeba": 32.0, "affect_affectnet": 32.0,
                      "affect_rafdb": 8.0, "parsing_celebam": 2.0, "parsing_lapa": 2.0, "align_aflw": 2.0}
NAIVE_TYPE_WEIGHTS = {"recog": 1.0, "age": 1.0, "biattr": 1.0, "affect": 1.0, "parsing": 1.0, "align": 1.0}


def naive_config():
    A, D = NAIVE_ATTRIBUTE_LEVELS, NAIVE_DENSE_LEVELS
    return naive.NaiveConfig.tiny(
        width=8, encoder_layers=3, encoder_heads=2, patch=8, pos_grid=4, proj_dim=6, recog_dim=12, recog_classes=5,
        attribute_channels=8, gate_reduction=4, dense_channels=4, attribute_dropout=0.0, dense_dropout=0.0, heads=[
            naive.HeadSpec("recog", "recognition", [2], ["recog_ms1mv3"], []),
            naive.HeadSpec("age", "attribute", A, ["age_morph2"], [101]),
            naive.HeadSpec("biattr", "attribute", A, ["biattr_celeba"], [40]),
            naive.HeadSpec("affect", "attribute", A, ["affect_affectnet", "affect_rafdb"], [7, 7]),
            naive.HeadSpec("parsing", "dense", D, ["parsing_celebam", "parsing_lapa"], [19, 11]),
            naive.HeadSpec("align", "dense", D, ["align_aflw"], [19]),
        ])


def make_naive_batches(cfg, seed):
    """As make_batches, 3 images per task (4 for recognition): with 2, a train-mode BatchNorm over
    one value per image (the attribute head's BatchNorm1d, the dense head's 1x1 pyramid-pooling
    branch) maps every channel to about +-1, and the gradients into it are float rounding."""
    outputs = {t: n for h in cfg.heads for t, n in zip(h.tasks, h.outputs)}
    g = torch.Generator().manual_seed(seed)
    batches = []
    for task in cfg.tasks():
        kind = task.split("_")[0]
        n = 4 if kind == "recog" else 3
        size = NAIVE_DENSE_SIZE if kind in ("parsing", "align") else NAIVE_ATTRIBUTE_SIZE
        coarse = torch.rand(n, 3, 6, 6, generator=g) * 2 - 1
        smooth = nn.functional.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
        images = (0.7 * smooth + 0.3 * (torch.rand(n, 3, size, size, generator=g) * 2 - 1)).clamp(-1, 1)
        if kind == "recog":
            labels = {"identity": torch.randint(0, cfg.recog_classes, (n,), generator=g)}
        elif kind == "age":
            labels = {"age": torch.randint(3, 95, (n,), generator=g)}
        elif kind == "biattr":
            a = torch.randint(0, 2, (n, outputs[task]), generator=g)
            a[torch.rand(n, outputs[task], generator=g) < 0.15] = -1
            labels = {"attributes": a}
        elif kind == "affect":
            labels = {"expression": torch.randint(0, outputs[task], (n,), generator=g)}
        elif kind == "parsing":
            blobs = torch.rand(n, outputs[task], 5, 5, generator=g)
            blobs = nn.functional.interpolate(blobs, size=(size, size), mode="bilinear", align_corners=False)
            labels = {"parsing": blobs.argmax(dim=1)}
        else:
            labels = {"landmarks": (4 + torch.rand(n, outputs[task], 2, generator=g) * (size - 8)).to(torch.float32)}
        batches.append(train.TaskBatch(task, images.to(torch.float32), labels))
    return batches


def run_naive_steps(ckpt, batches, weights, dtype):
    """NAIVE_STEPS steps of the naive model from the checkpoint in `dtype`: step 1's losses,
    gradients (before clipping), clip norm / coefficient, updates and BN statistics; the trajectory."""
    wrapper = copy.deepcopy(ckpt).to(dtype).train()
    groups, _ = train.official_param_groups(wrapper, NAIVE_LR, WEIGHT_DECAY, train.NAIVE_MULTIPLIERS)
    opt = torch.optim.AdamW(groups, lr=NAIVE_LR, weight_decay=WEIGHT_DECAY)
    named = train.named_unique_parameters(wrapper)
    batches = to_dtype(batches, dtype)
    out = {"trajectory": {"total": [], "grad_norm": [], **{t: [] for t in weights}}}
    for step in range(NAIVE_STEPS):
        opt.zero_grad(set_to_none=True)
        result = train.naive_training_forward(wrapper.module, batches, weights)
        result["total"].backward()
        if step == 0:
            out["loss"] = {"total": result["total"].detach(), **{t: v.detach() for t, v in result["tloss"].items()}}
            out["terms"] = {f"{t}/{k}": v.detach() for t, terms in result["terms"].items() for k, v in terms.items()}
            out["grad"] = {n: p.grad.detach().clone() for n, p in named if p.grad is not None}
            out["no_grad"] = [n for n, p in named if p.grad is None]
            before = {n: p.detach().clone() for n, p in named}
        norm, coef = train.clip_grad_norm(wrapper.parameters(), MAX_NORM)
        opt.step()
        if step == 0:
            out["clip"] = (norm, coef)
            out["update"] = {n: p.detach() - before[n] for n, p in named}
            out["bn"] = {train.converted_name(n): b.detach().clone() for n, b in wrapper.named_buffers()
                         if "running" in n}
        out["trajectory"]["total"].append(float(result["total"]))
        out["trajectory"]["grad_norm"].append(norm)
        for t, v in result["tloss"].items():
            out["trajectory"][t].append(float(v))
    return out


def make_naive_step():
    cfg = naive_config()
    ckpt = naive.NaiveCheckpoint(cfg)
    naive.randomize(ckpt, seed=31)
    torch.save({"step": 0, "state_dict": ckpt.state_dict()}, OUT / "naive_tiny.pth.tar")
    batches = make_naive_batches(cfg, seed=9)
    weights = train.reweight_tasks(NAIVE_LOSS_WEIGHTS, NAIVE_TYPE_WEIGHTS)
    r64 = run_naive_steps(ckpt, batches, weights, torch.float64)
    r32 = run_naive_steps(ckpt, batches, weights, torch.float32)

    w = FixtureWriter()
    w.add("config/attribute_levels", torch.tensor(NAIVE_ATTRIBUTE_LEVELS, dtype=torch.float32))
    w.add("config/dense_levels", torch.tensor(NAIVE_DENSE_LEVELS, dtype=torch.float32))
    for key, value in (("lr", NAIVE_LR), ("weight_decay", WEIGHT_DECAY), ("max_norm", MAX_NORM),
                       ("steps", NAIVE_STEPS)):
        w.add(f"config/{key}", torch.tensor(float(value)))
    for b in batches:
        w.add(f"weight/{b.task}", torch.tensor(weights[b.task]))
        w.add(f"input/{b.task}/images", b.images)
        for k, v in b.labels.items():
            w.add(f"input/{b.task}/{k}", v.to(torch.float32))
    for k, v in r64["loss"].items():
        w.add(f"loss/{k}", v)
    for k, v in r64["terms"].items():
        w.add(f"term/{k}", v)
    w.add("clip/norm", torch.tensor(r64["clip"][0]))
    w.add("clip/coef", torch.tensor(r64["clip"][1]))
    for n, g in r64["grad"].items():
        w.add(f"grad/{n}", g)
    for n, u in r64["update"].items():
        w.add(f"update/{n}", u)
    for n, b in r64["bn"].items():
        w.add(f"bn/{n}", b)
    for k, v in r64["trajectory"].items():
        w.add(f"trajectory/{k}", torch.tensor(v, dtype=torch.float64))
    w.write(OUT / "naive_step.fxt")

    print(f"naive training step: {len(r64['grad'])} parameters with gradients "
          f"({sum(g.numel() for g in r64['grad'].values())} values); without: {r64['no_grad']}")
    print(f"  losses: " + ", ".join(f"{k} {float(v):.4f}" for k, v in r64["loss"].items()))
    print(f"  clip: norm {r64['clip'][0]:.4f}, coef {r64['clip'][1]:.4f}; total over {NAIVE_STEPS} steps: "
          + " ".join(f"{v:.4f}" for v in r64["trajectory"]["total"]))
    scales = gradient_scales(r64["grad"])
    worst = max((float((r32["grad"][n].double() - g).abs().max()) / scales[n], n) for n, g in r64["grad"].items())
    print(f"  float32 gradients: worst max|diff|/scale {worst[0]:.1e} ({worst[1]})")
    gap = max(abs(float(r32["loss"][k]) - float(v)) / abs(float(v)) for k, v in r64["loss"].items())
    print(f"  float32 step-1 losses: worst relative {gap:.1e}")
    for name in ("naive_tiny.pth.tar", "naive_step.fxt"):
        print(f"  tests/fixtures/train/{name}  {(OUT / name).stat().st_size / 1024:.1f} KiB")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    make_naive_step()
    if sys.argv[1:] == ["naive"]:
        return
    cfg = ref.FaceptorConfig.tiny(levels=[2])
    ckpt = ref.FaceptorCheckpoint(cfg)
    ref.randomize(ckpt, seed=21)
    check_points2heatmap()
    check_param_groups(ckpt)
    torch.save({"step": 0, "state_dict": ckpt.state_dict()}, OUT / "tiny.pth.tar")
    batches = make_batches(cfg, seed=5)
    weights = train.reweight_tasks(train.STAGE1_LOSS_WEIGHTS, train.STAGE1_TYPE_WEIGHTS)

    r64 = run_steps(ckpt, batches, weights, torch.float64)
    r32 = run_steps(ckpt, batches, weights, torch.float32)

    w = FixtureWriter()
    w.add("config/levels", torch.tensor(cfg.levels, dtype=torch.float32))
    for key, value in (("lr", LR), ("weight_decay", WEIGHT_DECAY), ("max_norm", MAX_NORM), ("steps", STEPS)):
        w.add(f"config/{key}", torch.tensor(float(value)))
    for b in batches:
        w.add(f"weight/{b.task}", torch.tensor(weights[b.task]))
        w.add(f"input/{b.task}/images", b.images)
        for k, v in b.labels.items():
            w.add(f"input/{b.task}/{k}", v.to(torch.float32))
    for k, v in r64["loss"].items():
        w.add(f"loss/{k}", v)
    for k, v in r64["terms"].items():
        w.add(f"term/{k}", v)
    w.add("clip/norm", torch.tensor(r64["clip"][0]))
    w.add("clip/coef", torch.tensor(r64["clip"][1]))
    for n, g in r64["grad"].items():
        w.add(f"grad/{n}", g)
    for n, u in r64["update"].items():
        w.add(f"update/{n}", u)
    for n, b in r64["bn"].items():
        w.add(f"bn/{n}", b)
    for k, v in r64["trajectory"].items():
        w.add(f"trajectory/{k}", torch.tensor(v, dtype=torch.float64))
    w.write(OUT / "step.fxt")

    print(f"tiny training step: {len(r64['grad'])} parameters with gradients "
          f"({sum(g.numel() for g in r64['grad'].values())} values); without: {r64['no_grad']}")
    print(f"  losses: " + ", ".join(f"{k} {float(v):.4f}" for k, v in r64["loss"].items()))
    print(f"  clip: norm {r64['clip'][0]:.4f}, coef {r64['clip'][1]:.4f}; total over 10 steps: "
          + " ".join(f"{v:.4f}" for v in r64["trajectory"]["total"]))
    report_float32(r64, r32)
    for p in sorted(OUT.iterdir()):
        print(f"  {p.relative_to(HERE.parent.parent)}  {p.stat().st_size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
