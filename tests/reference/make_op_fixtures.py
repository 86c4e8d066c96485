#!/usr/bin/python3
"""Regenerates tests/fixtures/ops_<group>.fxt from PyTorch (Debian's python3-torch).

Each module tests/reference/op_fixtures_<group>.py defines `build(w)`, filling a FixtureWriter
with that group's cases. Run `make fixtures` (or this script with group names to rebuild a few).
Tests never need PyTorch: the written files are committed.
"""
import importlib
import pathlib
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fixture_format import FixtureWriter  # noqa: E402

OUT = HERE.parent / "fixtures"


def main(groups):
    torch.set_num_threads(1)
    available = sorted(p.stem[len("op_fixtures_"):] for p in HERE.glob("op_fixtures_*.py"))
    for group in groups or available:
        if group not in available:
            sys.exit(f"unknown group {group}; have {available}")
        torch.manual_seed(0)
        w = FixtureWriter()
        importlib.import_module(f"op_fixtures_{group}").build(w)
        path = OUT / f"ops_{group}.fxt"
        w.write(path)
        print(f"wrote {path.relative_to(HERE.parent.parent)}: {len(w.tensors)} tensors")


if __name__ == "__main__":
    main(sys.argv[1:])
