#!/usr/bin/python3
"""Writes the Naive Faceptor fixtures for the C++ tests (tests/fixtures/model/naive.*).

    /usr/bin/python3 tests/reference/make_naive_fixtures.py

naive.pth.tar: a tiny random Naive Faceptor saved by torch.save with the official names
(`module.heads_module.heads.<kind>.*`, see naive_reference.py), like a released checkpoint.
naive.fxt: reference results computed in float64 from the float32 weights and inputs:
  eval/<task>/head, /probs, /age, /landmarks   eval mode (BatchNorm running statistics)
  train/scalar                                  train mode (batch statistics, dropout 0): the sum
                                                over tasks of raw output * sin(0.7 i + 1.3 t)
  train/grad/<our parameter name>               its gradient for every head parameter and the
                                                patch embedding; train/grad/input/<size> for the inputs
  train/running/<our buffer name>               every BatchNorm running statistic after that pass
Inputs are not stored: x[i] = 0.9 sin(0.37 i + 0.5 + size) cos(0.011 i), i the row-major index of
a (3, 3, size, size) tensor, cast to float32 (the C++ test computes the same values).

Tiny sizes (every one distinct where possible): encoder width 12, 5 blocks, 3 heads, patch 8,
positional grid 4; recognition embedding 20; attribute heads 16 channels (gate 16 -> 1 -> 16);
dense heads 6 channels;
attribute-group input 24 (3x3 grid, table resized 4 -> 3), dense-group input 32 (4x4 grid:
pyramid 16, 8, 4, 2); batch 3 (batch statistics of 2 samples are degenerate). Heads as the
released yaml, except that "parsing" serves two tasks (celebam 19 + lapa 11 channels) and
"align" is align_aflw (19 points), so the fixtures stay small.
"""
import copy
import pathlib
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import faceptor_reference as ref  # noqa: E402
import naive_reference as naive  # noqa: E402
from fixture_format import FixtureWriter  # noqa: E402

OUT = HERE.parent / "fixtures" / "model"
BATCH = 3
ATTRIBUTE_SIZE = 24
DENSE_SIZE = 32


def make_input(size):
    i = torch.arange(BATCH * 3 * size * size, dtype=torch.float64)
    x = 0.9 * torch.sin(0.37 * i + 0.5 + size) * torch.cos(0.011 * i)
    return x.reshape(BATCH, 3, size, size).to(torch.float32)


def our_name(official):
    """module.backbone_module.visual.X -> encoder.X; module.heads_module.heads.X -> heads.X."""
    name = official[len("module."):]
    for prefix, ours in (("backbone_module.visual.", "encoder."), ("heads_module.heads.", "heads.")):
        if name.startswith(prefix):
            return ours + name[len(prefix):]
    return None


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    cfg = naive.NaiveConfig.tiny()
    ckpt = naive.NaiveCheckpoint(cfg)
    naive.randomize(ckpt, seed=5)
    path = OUT / "naive.pth.tar"
    torch.save({"step": 50000, "state_dict": ckpt.state_dict()}, path)
    loaded = torch.load(path, map_location="cpu")["state_dict"]
    assert list(loaded) == list(ckpt.state_dict()), "round trip changed the names"

    images = {ATTRIBUTE_SIZE: make_input(ATTRIBUTE_SIZE), DENSE_SIZE: make_input(DENSE_SIZE)}
    groups = ref.task_input_sizes(ATTRIBUTE_SIZE, DENSE_SIZE)
    w = FixtureWriter()

    model = copy.deepcopy(ckpt.module).double().eval()
    with torch.no_grad():
        out = naive.naive_forward(model, {s: x.double() for s, x in images.items()}, groups)
    for task in cfg.tasks():
        e = out[task]
        assert torch.isfinite(e["head"]).all()
        kind = task.split("_")[0]
        if kind != "recog" and kind != "parsing":
            assert 0.05 < e["head"].std() and e["head"].abs().max() < 15, f"{task} head scale {e['head'].std()}"
        for key in ("head", "probs", "age", "landmarks"):
            if key in e and not (kind == "align" and key == "head"):
                w.add(f"eval/{task}/{key}", e[key])

    # Train mode without dropout: batch statistics, running-statistic updates, gradients.
    train_cfg = naive.NaiveConfig.tiny(attribute_dropout=0.0, dense_dropout=0.0)
    train_model = naive.NaiveFaceptor(train_cfg)
    train_model.load_state_dict(ckpt.module.state_dict())
    train_model = train_model.double().train()
    x64 = {s: x.double().requires_grad_(True) for s, x in images.items()}
    out = naive.naive_forward(train_model, x64, groups)
    scalar = naive.training_scalar(train_cfg, out)
    scalar.backward()
    w.add("train/scalar", scalar.detach().reshape(1))
    for size, x in x64.items():
        w.add(f"train/grad/input/{size}", x.grad)
    for name, p in train_model.named_parameters(prefix="module"):
        ours = our_name(name)
        if ours and (ours.startswith("heads.") or ours == "encoder.conv1.weight"):
            assert p.grad is not None, name
            w.add(f"train/grad/{ours}", p.grad)
    for name, b in train_model.named_buffers(prefix="module"):
        ours = our_name(name)
        if ours and "running_" in ours:
            w.add(f"train/running/{ours}", b)
    w.write(OUT / "naive.fxt")

    # PyTorch's own float32 pass against this float64 reference: the floor for the C++ tolerance.
    f32 = copy.deepcopy(ckpt.module).eval()
    with torch.no_grad():
        got = naive.naive_forward(f32, images, groups)
        ref64 = naive.naive_forward(model, {s: x.double() for s, x in images.items()}, groups)
    gap = max(float((got[t]["head"].double() - ref64[t]["head"]).abs().max() / ref64[t]["head"].abs().max())
              for t in cfg.tasks())
    params = sum(p.numel() for p in ckpt.parameters())
    print(f"naive: {len(ckpt.state_dict())} checkpoint tensors ({params} parameters), {len(w.tensors)} fixture "
          f"tensors; float32 vs float64 worst max|diff|/max|ref| {gap:.1e}")
    for p in (path, OUT / "naive.fxt"):
        print(f"  {p.relative_to(HERE.parent.parent)}  {p.stat().st_size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
