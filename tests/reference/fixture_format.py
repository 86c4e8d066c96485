"""Writer for the "FCFX" version-1 fixture format read by tests/support/fixture.cpp.

magic "FCFX" | u32 version | u32 count | count x { u32 name_len | name utf-8 | u32 ndim |
ndim x i64 size | float32 data row-major }, all little-endian.
"""
import struct

import torch

VERSION = 1


class FixtureWriter:
    def __init__(self):
        self.tensors = {}

    def add(self, name, tensor):
        if name in self.tensors:
            raise ValueError(f"duplicate fixture name {name}")
        self.tensors[name] = torch.as_tensor(tensor).detach().to(torch.float32).contiguous().cpu()

    def case(self, name, fn, inputs, grad_inputs=None, seed=0):
        """Records one op case: inputs in0.., out, and (when grad_inputs lists input indices)
        grad_out and grad<i>. The op runs in float64 so the reference carries no float32 rounding
        of its own; inputs are the float32 values the C++ test will see."""
        inputs = [torch.as_tensor(t).to(torch.float32) for t in inputs]
        grad_inputs = grad_inputs or []
        x64 = [t.to(torch.float64).requires_grad_(i in grad_inputs) for i, t in enumerate(inputs)]
        out = fn(*x64)
        for i, t in enumerate(inputs):
            self.add(f"{name}/in{i}", t)
        self.add(f"{name}/out", out)
        if grad_inputs:
            g = torch.Generator().manual_seed(seed + 12345)
            grad_out = torch.randn(out.shape, generator=g).to(torch.float32)
            self.add(f"{name}/grad_out", grad_out)
            grads = torch.autograd.grad(out, [x64[i] for i in grad_inputs], grad_out.to(torch.float64))
            for i, gi in zip(grad_inputs, grads):
                self.add(f"{name}/grad{i}", gi)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(b"FCFX")
            f.write(struct.pack("<II", VERSION, len(self.tensors)))
            for name, t in self.tensors.items():
                encoded = name.encode()
                f.write(struct.pack("<I", len(encoded)))
                f.write(encoded)
                f.write(struct.pack("<I", t.dim()))
                f.write(struct.pack(f"<{t.dim()}q", *t.shape))
                f.write(t.numpy().astype("<f4").tobytes())
