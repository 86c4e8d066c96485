#!/usr/bin/python3
"""Writes the whole-model fixtures for the C++ Faceptor tests (tests/fixtures/model/).

    /usr/bin/python3 tests/reference/make_model_fixtures.py             # the committed tiny set
    /usr/bin/python3 tests/reference/make_model_fixtures.py --full DIR  # ViT-B size, not committed
        [--variant stage1|stage2|all_levels] [--classes N] [--batch B]

Every checkpoint is a real torch.save zip archive with the official names (see
faceptor_reference.py); every reference output is computed in float64 from the float32 weights
and float32 inputs that the files hold, then stored as float32 (FCFX, fixture_format.py), so the
references carry no float32 rounding of their own. A self-test runs before anything is written.

Tiny set (seeded, deterministic): encoder width 24, 3 blocks, 3 heads, patch 16, positional grid
4x4, proj 24x12; decoder hidden 16, 2 heads, FFN 32, 2 layers; recognition embedding 40,
10 CosFace classes (every size distinct, so a swapped axis cannot pass, and small enough that
the whole set stays under 2 MB);
the Base task set with its real query counts. Attribute-group input 112 (7x7 grid: the table is
resized 4 -> 7), dense-group input 64 (4x4 grid: identity resize, 16x16 maps).
  stage1      levels [2]                       (TransformerDecoderLevel, as stage-1 Base)
  stage2      levels [2] + new_levels [0, 1]   (TransformerDecoderLevelAddLevel: stage1's
              weights plus new_input_proj / new_level_embed, as a stage-2 model; like a real
              stage-2 checkpoint it has no losses_module tensor)
  all_levels  levels [0, 1, 2]                 (one input_proj / level_embed per block)
  farl        FaRL-style encoder only: {"state_dict": {"visual.*", "logit_scale"}}, width 16,
              2 heads, 2 blocks, 14x14 table (resized 14 -> 7 and 14 -> 4, as FaRL's would be)
"""
import argparse
import copy
import math
import pathlib
import sys
import time

import torch
from torch import nn

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import faceptor_reference as ref  # noqa: E402
from fixture_format import FixtureWriter  # noqa: E402

OUT = HERE.parent / "fixtures" / "model"
BATCH = 2
ATTRIBUTE_SIZE = 112
TINY_DENSE_SIZE = 64
ATTENTION_TASK = "biattr_celeba"   # the task whose last-layer cross-attention is stored


def make_inputs(sizes, batch, seed):
    """Normalised images: a smooth random pattern plus noise, in [-1, 1] like (x - 0.5) / 0.5."""
    g = torch.Generator().manual_seed(seed)
    images = {}
    for size in sizes:
        coarse = torch.rand(batch, 3, 6, 6, generator=g) * 2 - 1
        smooth = nn.functional.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
        noise = torch.rand(batch, 3, size, size, generator=g) * 2 - 1
        images[size] = (0.7 * smooth + 0.3 * noise).clamp(-1, 1).to(torch.float32)
    return images


def build(cfg, seed, base_state=None):
    """A randomised checkpoint module; names shared with base_state (same shape) are copied from
    it, so a stage-2 model is its stage-1 model plus the new tensors."""
    ckpt = ref.FaceptorCheckpoint(cfg)
    ref.randomize(ckpt, seed)
    if base_state is not None:
        own = ckpt.state_dict()
        shared = {k: v for k, v in base_state.items() if k in own and own[k].shape == v.shape}
        ckpt.load_state_dict(shared, strict=False)
    return ckpt


def run(ckpt, images, groups, dtype=torch.float64):
    model = copy.deepcopy(ckpt.module).to(dtype).eval()
    return ref.faceptor_forward(model, {s: x.to(dtype) for s, x in images.items()}, groups)


def add_outputs(w, cfg, out, attention_tasks, with_encoder=True, with_heatmaps=True):
    """with_encoder=False leaves out the encoder maps (a variant sharing stage1's encoder);
    with_heatmaps=False leaves out the landmark heatmaps (the map interpreter is still covered
    by the parsing logits, the landmark path by the landmark points)."""
    w.add("config/levels", torch.tensor(cfg.levels, dtype=torch.float32))
    if cfg.new_levels:
        w.add("config/new_levels", torch.tensor(cfg.new_levels, dtype=torch.float32))
    for size, maps in out["encoder"].items():
        if with_encoder:
            for i, m in enumerate(maps):
                w.add(f"encoder/{size}/{i}", m)
        w.add(f"pos/{size}", out["pos"][size])
    for task in cfg.tasks:
        entry = out[task.name]
        # recognition's head output is its embedding: stored once, as "embedding"
        keys = ("embedding",) if task.kind == "recog" else ("decoder_output", "head", "probs", "age", "landmarks")
        for key in keys:
            if key == "head" and task.kind == "align" and not with_heatmaps:
                continue
            if key in entry:
                w.add(f"{task.name}/{key}", entry[key])
        if task.name in attention_tasks:
            w.add(f"{task.name}/cross_attn_last", entry["cross_attn"][-1])


def save_checkpoint(ckpt, path):
    torch.save({"step": 50000, "state_dict": ckpt.state_dict()}, path)


# ---- self-test ---------------------------------------------------------------------------------

def check_attention_layout(seed=0):
    """Our attention() equals nn.MultiheadAttention given the same in_proj/out_proj tensors."""
    g = torch.Generator().manual_seed(seed)
    E, H = 24, 3
    mha = nn.MultiheadAttention(E, H).double()
    ours = ref.MultiheadAttentionParams(E).double()
    with torch.no_grad():
        for p in mha.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    ours.load_state_dict(mha.state_dict())
    q = torch.randn(2, 5, E, generator=g, dtype=torch.float64)
    kv = torch.randn(2, 9, E, generator=g, dtype=torch.float64)
    ref_out, ref_w = mha(q.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1))
    out, w = ref.attention(ours, H, q, kv, kv)
    assert torch.allclose(out, ref_out.transpose(0, 1), atol=1e-12), "attention output layout"
    assert torch.allclose(w, ref_w, atol=1e-12), "attention weights"


def check_anchor_embedding(S=5, hidden=16):
    """The vectorised sine embedding against its definition, one feature at a time."""
    emb = ref.anchor_sine_embedding(S, hidden, torch.float64)
    n = hidden // 2
    for i in range(S):
        for j in range(S):
            for part, coord in enumerate(((i + 0.5) / S, (j + 0.5) / S)):   # y first, then x
                for f in range(n):
                    angle = coord * 2 * math.pi / 10000 ** (2 * (f // 2) / n)
                    want = math.sin(angle) if f % 2 == 0 else math.cos(angle)
                    assert abs(float(emb[i * S + j, part * n + f]) - want) < 1e-12


def check_outputs(cfg, out):
    tokens = {size: maps[0].shape[-1] ** 2 for size, maps in out["encoder"].items()}
    levels = len(cfg.levels) + len(cfg.new_levels or [])
    for task in cfg.tasks:
        e = out[task.name]
        for key, t in e.items():
            if torch.is_tensor(t):
                assert torch.isfinite(t).all(), f"{task.name}/{key} not finite"
        if task.kind == "recog":
            assert e["embedding"].shape[1:] == (cfg.recog_dim,)
            continue
        assert e["decoder_output"].shape[1:] == (task.queries, cfg.hidden)
        for w in e["cross_attn"]:
            assert w.shape[1:] == (task.queries, levels * tokens[e["size"]])
            assert torch.allclose(w.sum(-1), torch.ones_like(w.sum(-1)), atol=1e-9)
        head = e["head"]
        # Random weights must leave the squashing functions in their live range.
        assert 0.1 < head.std() and head.abs().max() < 12, f"{task.name} head scale {head.std()}"
        if task.kind == "age":
            assert ((e["age"] >= 0) & (e["age"] <= task.queries - 1)).all()
            assert torch.allclose(e["probs"].sum(1), torch.ones(head.shape[0], dtype=head.dtype))
        if task.kind == "affect":
            assert torch.allclose(e["probs"].sum(1), torch.ones(head.shape[0], dtype=head.dtype))
        if task.kind == "biattr":
            assert ((e["probs"] > 0.01) & (e["probs"] < 0.99)).all()
        if task.kind in ("parsing", "align"):
            S = round(tokens[e["size"]] ** 0.5)
            assert head.shape[1:] == (task.queries, 4 * S, 4 * S)
        if task.kind == "align":
            assert ((e["landmarks"] >= 0) & (e["landmarks"] <= 1)).all()


def check_roundtrip(path, cfg, images, groups, expected):
    """The written file loads back (plain torch.load), has the same names, keeps the Norm2d
    double entry as one shared storage, and reproduces the outputs exactly."""
    loaded = torch.load(path, map_location="cpu")
    sd = loaded["state_dict"]
    fresh = ref.FaceptorCheckpoint(cfg)
    assert list(sd.keys()) == list(fresh.state_dict().keys())
    fresh.load_state_dict(sd)
    norm = "module.heads_module.interpreters.map_v2.mask_map.1."
    if norm + "weight" in sd:
        assert sd[norm + "weight"].data_ptr() == sd[norm + "ln.weight"].data_ptr()
    again = run(fresh, images, groups)
    for task in cfg.tasks:
        assert torch.equal(again[task.name]["head"], expected[task.name]["head"])


def report_float32_gap(ckpt, images, groups, expected, cfg):
    """How far PyTorch's own float32 forward is from the float64 reference, per output tensor as
    max |a - b| / max |b|: the floor for the C++ tolerance. Returns (worst, its name)."""
    got = run(ckpt, images, groups, torch.float32)
    worst = (0.0, "")
    for task in cfg.tasks:
        for key, b in expected[task.name].items():
            if torch.is_tensor(b):
                a = got[task.name][key].double()
                gap = float((a - b).abs().max() / b.abs().max())
                worst = max(worst, (gap, f"{task.name}/{key}"))
    return worst


# ---- drivers -----------------------------------------------------------------------------------

def write_tiny():
    OUT.mkdir(parents=True, exist_ok=True)
    check_attention_layout()
    check_anchor_embedding()
    images = make_inputs([ATTRIBUTE_SIZE, TINY_DENSE_SIZE], BATCH, seed=7)
    w = FixtureWriter()
    for size, x in images.items():
        w.add(f"input/{size}", x)
    w.write(OUT / "inputs.fxt")
    groups = ref.task_input_sizes(ATTRIBUTE_SIZE, TINY_DENSE_SIZE)

    stage1 = build(ref.FaceptorConfig.tiny(levels=[2]), seed=1)
    base = stage1.state_dict()
    variants = {
        "stage1": stage1,
        "stage2": build(ref.FaceptorConfig.tiny(levels=[2], new_levels=[0, 1], recog_classes=0), seed=2,
                        base_state=base),
        "all_levels": build(ref.FaceptorConfig.tiny(levels=[0, 1, 2]), seed=3, base_state=base),
    }
    for name, ckpt in variants.items():
        cfg = ckpt.module.cfg
        out = run(ckpt, images, groups)
        check_outputs(cfg, out)
        path = OUT / f"{name}.pth.tar"
        save_checkpoint(ckpt, path)
        check_roundtrip(path, cfg, images, groups, out)
        w = FixtureWriter()
        # stage2 and all_levels copy stage1's encoder, so its maps are stored once, in stage1.fxt.
        full = name == "stage1"
        add_outputs(w, cfg, out, {ATTENTION_TASK}, with_encoder=full, with_heatmaps=full)
        w.write(OUT / f"{name}.fxt")
        gap, where = report_float32_gap(ckpt, images, groups, out, cfg)
        print(f"{name}: {len(ckpt.state_dict())} checkpoint tensors, {len(w.tensors)} fixture tensors; "
              f"PyTorch float32 vs this float64 reference: worst max|diff|/max|ref| {gap:.1e} ({where})")

    # Its own width and head count, so nothing in the encoder path may assume the Faceptor sizes.
    farl_cfg = ref.FaceptorConfig.tiny(width=16, encoder_heads=2, hidden=8, decoder_heads=1,
                                       encoder_layers=2, pos_grid=14, levels=[1])
    farl = build(farl_cfg, seed=4)
    torch.save({"state_dict": ref.farl_state_dict(farl.module.backbone_module.visual)}, OUT / "farl.pth")
    visual = copy.deepcopy(farl.module.backbone_module.visual).double()
    w = FixtureWriter()
    for size, x in images.items():
        for i, m in enumerate(ref.encoder_forward(visual, farl_cfg.encoder_heads, x.double())):
            w.add(f"encoder/{size}/{i}", m)
    w.write(OUT / "farl.fxt")
    for p in sorted(OUT.iterdir()):
        print(f"  {p.relative_to(HERE.parent.parent)}  {p.stat().st_size / 1024:.1f} KiB")


def write_full(directory, variant, classes, batch):
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    check_attention_layout()
    levels = {"stage1": dict(levels=[11]), "stage2": dict(levels=[11], new_levels=[1, 3, 5, 7, 9]),
              "all_levels": dict(levels=list(range(12)))}[variant]
    if classes is None:
        classes = 0 if variant == "stage2" else 93431
    cfg = ref.FaceptorConfig(recog_classes=classes, **levels)
    t0 = time.time()
    ckpt = build(cfg, seed=11)
    images = make_inputs([ATTRIBUTE_SIZE, 512], batch, seed=17)
    groups = ref.task_input_sizes(ATTRIBUTE_SIZE, 512)
    out = run(ckpt, images, groups)
    check_outputs(cfg, out)
    t1 = time.time()
    save_checkpoint(ckpt, directory / f"faceptor_{variant}.pth.tar")
    w = FixtureWriter()
    for size, x in images.items():
        w.add(f"input/{size}", x)
    w.write(directory / "inputs.fxt")
    w = FixtureWriter()
    add_outputs(w, cfg, out, {t.name for t in cfg.tasks[1:]})
    w.write(directory / "outputs.fxt")
    print(f"full {variant}: forward {t1 - t0:.0f} s, {len(ckpt.state_dict())} checkpoint tensors, "
          f"written to {directory}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", metavar="DIR", help="write a ViT-B size checkpoint + outputs to DIR")
    parser.add_argument("--variant", default="stage1", choices=["stage1", "stage2", "all_levels"])
    parser.add_argument("--classes", type=int, default=None,
                        help="CosFace classes (--full; default 93431, 0 for stage2 like a real stage-2 file)")
    parser.add_argument("--batch", type=int, default=BATCH, help="images per input size (--full)")
    args = parser.parse_args()
    if args.full:
        write_full(args.full, args.variant, args.classes, args.batch)
    else:
        write_tiny()


if __name__ == "__main__":
    main()
