#!/usr/bin/python3
"""Writes tests/fixtures/losses.fxt: the six Faceptor task losses computed by PyTorch in float64.

These references are our own re-derivation of the official training losses
(faceptor_project/core/model/loss/*.py, geometry.py, ext/p2i_ops, data/dataset/age_dataset.py),
written from reading that code, not copied from it. Each case stores its float32 inputs
("<case>/<input>"), the loss and its terms ("<case>/total", "<case>/kl", ...) and the gradient of
the total with respect to each trainable input ("<case>/grad_<input>"). Run:
    /usr/bin/python3 tests/reference/make_loss_fixtures.py
"""
import math
import pathlib
import sys

import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fixture_format import FixtureWriter  # noqa: E402

OUT = HERE.parent / "fixtures" / "losses.fxt"
f64 = torch.float64


# ---- the losses, float64 ----

def cosface(features, classifier, labels, scale=64.0, margin=0.4):
    # recog_loss.py: one clamp on the outer product of the norms.
    norms = torch.outer(features.norm(dim=1), classifier.norm(dim=1)).clamp(min=1e-8)
    cosine = features @ classifier.t() / norms
    one_hot = F.one_hot(labels.long(), classifier.shape[0]).to(f64)
    return {"total": F.cross_entropy(scale * (cosine - margin * one_hot), labels.long())}


def age_distribution(ages, bins=101, sigma=2.0):
    # age_dataset.py: Gaussian density at every integer age, then F.normalize(p=1).
    k = torch.arange(bins, dtype=f64)
    density = torch.exp(-(k[None, :] - ages[:, None]) ** 2 / (2 * sigma ** 2)) / (math.sqrt(2 * math.pi) * sigma)
    return density / density.abs().sum(dim=1, keepdim=True).clamp(min=1e-12)


def age_dldl(logits, ages):
    p = torch.sigmoid(logits)
    p = p / p.abs().sum(dim=1, keepdim=True).clamp(min=1e-12)
    target = age_distribution(ages, logits.shape[1])
    kl = F.kl_div(torch.log(p), target, reduction="none").sum() / logits.shape[0]
    expected = (p * torch.arange(logits.shape[1], dtype=f64)).sum(dim=1)
    l1 = F.l1_loss(expected, ages)
    return {"total": kl + l1, "kl": kl, "l1": l1, "distribution": target}


def attributes(logits, labels):
    known = (labels != -1).to(f64)
    loss = F.binary_cross_entropy_with_logits(logits, labels, weight=known, reduction="none")
    return {"total": loss.sum() / logits.shape[0]}


def expression(logits, labels):
    return {"total": F.cross_entropy(logits, labels.long())}


def parsing(logits, labels):
    h, w = labels.shape[1:]
    if logits.shape[2:] != (h, w):
        logits = F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False)
    channels_last = logits.permute(0, 2, 3, 1).reshape(-1, logits.shape[1])
    per_pixel = F.cross_entropy(channels_last, labels.reshape(-1).long(), reduction="none")
    return {"total": per_pixel.mean()}


def heatmap_points(logits):
    heat = torch.sigmoid(logits)
    _, _, h, w = heat.shape
    rows = torch.arange(h, dtype=f64).view(1, 1, h, 1)
    cols = torch.arange(w, dtype=f64).view(1, 1, 1, w)
    mass = heat.sum((2, 3)).clamp(min=1e-6)
    x = (heat * cols).sum((2, 3)) / mass
    y = (heat * rows).sum((2, 3)) / mass
    return (torch.stack([x, y], dim=-1) + 0.5) / torch.tensor([w, h], dtype=f64)


def target_heatmaps(normalized, size, radius):
    # points2heatmap + p2i 'gaussian_awing' with reduce 'max' on a zero background: one map per
    # point, exp(-8 r^2 / radius^2) where r <= radius, else 0.
    centres = normalized * size - 0.5
    grid = torch.arange(size, dtype=f64)
    dx = grid.view(1, 1, 1, size) - centres[..., 0, None, None]
    dy = grid.view(1, 1, size, 1) - centres[..., 1, None, None]
    r2 = dx ** 2 + dy ** 2
    return torch.where(r2.sqrt() <= radius, torch.exp(-r2 * 16 / 2 / radius ** 2), torch.zeros_like(r2))


def landmarks(logits, points, input_size=512, heatmap_size=128, radius=5.0):
    target = (points + 0.5) / input_size
    coord = (target - heatmap_points(logits)).norm(dim=-1).mean()
    resized = F.interpolate(logits, size=(heatmap_size, heatmap_size), mode="bilinear", align_corners=False)
    heat_target = target_heatmaps(target, heatmap_size, radius)
    bce = F.binary_cross_entropy_with_logits(resized, heat_target, reduction="none").mean()
    return {"total": coord + bce, "coord": coord, "heatmap": bce, "target": heat_target}


# ---- cases ----

def add_case(w, name, fn, inputs, trainable, **kwargs):
    """inputs: dict name -> float32 tensor; trainable: names that get a gradient of the total."""
    x64 = {k: v.to(torch.float32).to(f64).requires_grad_(k in trainable) for k, v in inputs.items()}
    for k, v in inputs.items():
        w.add(f"{name}/{k}", v.to(torch.float32))
    out = fn(*x64.values(), **kwargs)
    for k, v in out.items():
        w.add(f"{name}/{k}", v)
    if trainable:
        grads = torch.autograd.grad(out["total"], [x64[k] for k in trainable])
        for k, g in zip(trainable, grads):
            w.add(f"{name}/grad_{k}", g)


def labels_in(n, classes, g):
    return torch.randint(0, classes, (n,), generator=g).to(torch.float32)


def build(w):
    g = torch.Generator().manual_seed(2024)
    randn = lambda *shape: torch.randn(*shape, generator=g)  # noqa: E731

    add_case(w, "cosface_small", cosface,
             {"features": randn(4, 8), "classifier": randn(5, 8) * 0.3, "labels": torch.tensor([0., 3., 3., 4.])},
             ["features", "classifier"])
    add_case(w, "cosface_dim512", cosface,
             {"features": randn(3, 512), "classifier": randn(8, 512) * 0.05, "labels": labels_in(3, 8, g)},
             ["features", "classifier"])

    add_case(w, "age", age_dldl,
             {"logits": randn(4, 101) * 2, "ages": torch.tensor([23., 0., 67., 100.])}, ["logits"])

    attr_labels = torch.randint(0, 2, (4, 40), generator=g).to(torch.float32)
    attr_labels[torch.rand(4, 40, generator=g) < 0.2] = -1
    add_case(w, "attributes", attributes, {"logits": randn(4, 40) * 3, "labels": attr_labels}, ["logits"])

    add_case(w, "expression", expression, {"logits": randn(5, 7) * 2, "labels": labels_in(5, 7, g)}, ["logits"])

    parse_labels = torch.randint(0, 5, (2, 16, 16), generator=g).to(torch.float32)
    parse_labels[0, :2, :3] = -100  # ignored pixels still count in the mean
    add_case(w, "parsing_resize", parsing, {"logits": randn(2, 5, 6, 6) * 2, "labels": parse_labels}, ["logits"])
    add_case(w, "parsing_same_size", parsing,
             {"logits": randn(1, 4, 8, 8) * 2, "labels": torch.randint(0, 4, (1, 8, 8), generator=g).float()},
             ["logits"])

    # Labels in a 64-pixel input, heatmaps 16 x 16: one point near the left edge so its painted
    # disc is clipped, one just off the top-right corner (only the tail of its disc is painted).
    points = torch.rand(2, 3, 2, generator=g) * 64
    points[0, 0] = torch.tensor([1.2, 30.7])
    points[1, 2] = torch.tensor([70.0, -9.0])
    options = dict(input_size=64, heatmap_size=16, radius=5.0)
    add_case(w, "landmark_small", landmarks, {"logits": randn(2, 3, 16, 16) * 2 - 1, "points": points},
             ["logits"], **options)
    add_case(w, "landmark_resize", landmarks, {"logits": randn(1, 2, 8, 8) * 2 - 1, "points": points[:1, :2]},
             ["logits"], **options)
    # The released sizes (input 512, heatmap 128, radius 5), one point; logits from a formula the
    # C++ test repeats (logits_formula) so only the gradient is stored.
    w.add("landmark_real/points", torch.tensor([[[301.37, 122.81]]]))
    real = add_real_landmark_case(w)
    print(f"landmark_real: total {real:.6f}")


def logits_formula(shape):
    n = math.prod(shape)
    i = torch.arange(n, dtype=f64)
    return (3 * torch.sin(0.37 * i) - 2).to(torch.float32).view(*shape)


def add_real_landmark_case(w):
    logits = logits_formula((1, 1, 128, 128)).to(f64).requires_grad_(True)
    points = w.tensors["landmark_real/points"].to(f64)
    out = landmarks(logits, points)
    for k in ("total", "coord", "heatmap"):
        w.add(f"landmark_real/{k}", out[k])
    (grad,) = torch.autograd.grad(out["total"], [logits])
    w.add("landmark_real/grad_logits", grad)
    return out["total"].item()


def main():
    torch.set_num_threads(1)
    w = FixtureWriter()
    build(w)
    w.write(OUT)
    print(f"wrote {OUT.relative_to(HERE.parent.parent)}: {len(w.tensors)} tensors, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
