"""Fixtures for ops/interpolate.h (tests/test_interpolate.cpp)."""
import torch
import torch.nn.functional as F


def resize(size, mode, align_corners=None):
    return lambda x: F.interpolate(x, size=size, mode=mode, align_corners=align_corners)


def nearest_picks_agree(in_size, out_size):
    # The C++ op picks nearest pixels in float32 as PyTorch does for float tensors; the float64
    # reference must pick the same ones or the case would test rounding, not the op.
    x = torch.arange(in_size[0] * in_size[1], dtype=torch.float32).reshape(1, 1, *in_size)
    return torch.equal(F.interpolate(x, size=out_size, mode="nearest"),
                       F.interpolate(x.double(), size=out_size, mode="nearest").float())


def build(w):
    r = lambda *s: torch.randn(*s)

    nearest = [("nearest_up", (1, 2, 3, 4), (7, 9)), ("nearest_down", (2, 2, 9, 8), (4, 3)),
               ("nearest_2x", (1, 3, 4, 5), (8, 10)), ("nearest_one_row", (1, 1, 1, 3), (2, 7)),
               ("nearest_mixed", (1, 2, 6, 5), (4, 11))]
    for name, shape, size in nearest:
        assert nearest_picks_agree(shape[2:], size), name
        w.case(name, resize(size, "nearest"), [r(*shape)], [0])

    w.case("bilinear_up", resize((7, 11), "bilinear", False), [r(2, 2, 4, 5)], [0])
    w.case("bilinear_down", resize((4, 3), "bilinear", False), [r(1, 3, 9, 10)], [0])
    # The parsing head's 4x upsampling (128 -> 512 there), at a fixture-sized scale.
    w.case("bilinear_4x", resize((64, 64), "bilinear", False), [r(1, 1, 16, 16)], [0])
    w.case("bilinear_to_one", resize((1, 1), "bilinear", False), [r(1, 2, 4, 5)], [0])
    w.case("bilinear_one_col", resize((4, 3), "bilinear", False), [r(1, 2, 6, 1)], [0])
    w.case("bilinear_align_up", resize((9, 7), "bilinear", True), [r(1, 2, 5, 4)], [0])
    w.case("bilinear_align_down", resize((3, 4), "bilinear", True), [r(1, 2, 7, 6)], [0])
    w.case("bilinear_align_to_one", resize((1, 3), "bilinear", True), [r(1, 2, 4, 5)], [0])

    w.case("bicubic_4to7", resize((7, 7), "bicubic", False), [r(1, 2, 4, 4)], [0])
    w.case("bicubic_9to5", resize((5, 5), "bicubic", False), [r(1, 2, 9, 9)], [0])
    # Positional-embedding resizes: 32x32 grid to 7x7, and the identity resize.
    w.case("bicubic_32to7", resize((7, 7), "bicubic", False), [r(1, 2, 32, 32)], [0])
    w.case("bicubic_identity", resize((32, 32), "bicubic", False), [r(1, 1, 32, 32)], [0])
    w.case("bicubic_mixed", resize((3, 10), "bicubic", False), [r(2, 1, 8, 6)], [0])
    w.case("bicubic_one_row", resize((3, 8), "bicubic", False), [r(1, 2, 1, 5)], [0])
    w.case("bicubic_align_up", resize((8, 11), "bicubic", True), [r(1, 2, 5, 6)], [0])
    w.case("bicubic_align_down", resize((4, 3), "bicubic", True), [r(1, 2, 9, 7)], [0])
