"""Fixtures for ops/pool.h (tests/test_pool.cpp)."""
import torch
import torch.nn.functional as F


def distinct(*shape):
    """Values 0.05 apart in random order: no ties in any max window, and a finite-difference step
    (1e-3 * |x|, at most ~0.01 here) can never reorder two of them."""
    n = torch.Size(shape).numel()
    return (torch.randperm(n).to(torch.float32) * 0.05 - n * 0.025).reshape(shape)


def build(w):
    r = lambda *s: torch.randn(*s)

    def pool_cases(prefix, fn, make):
        w.case(f"{prefix}_k2s2", lambda x: fn(x, 2, 2, 0), [make(2, 3, 6, 6)], [0])
        w.case(f"{prefix}_k3s2p1", lambda x: fn(x, 3, 2, 1), [make(1, 2, 7, 9)], [0])
        w.case(f"{prefix}_k3s1", lambda x: fn(x, 3, 1, 0), [make(2, 2, 5, 4)], [0])
        w.case(f"{prefix}_k3s1p1", lambda x: fn(x, 3, 1, 1), [make(1, 3, 4, 5)], [0])
        w.case(f"{prefix}_unbatched", lambda x: fn(x, 2, 1, 0), [make(3, 5, 5)], [0])
        w.case(f"{prefix}_one_row", lambda x: fn(x, 2, 2, 1), [make(1, 2, 1, 7)], [0])

    pool_cases("max_pool", F.max_pool2d, distinct)
    pool_cases("avg_pool", F.avg_pool2d, r)

    def adaptive_cases(prefix, fn, make):
        w.case(f"{prefix}_global", lambda x: fn(x, (1, 1)), [make(2, 3, 6, 6)], [0])
        w.case(f"{prefix}_2x3", lambda x: fn(x, (2, 3)), [make(1, 2, 7, 9)], [0])
        # Pyramid pooling scales 3 and 6 of a 13x13 map: bins of uneven size that overlap.
        w.case(f"{prefix}_3x3", lambda x: fn(x, (3, 3)), [make(1, 2, 13, 13)], [0])
        w.case(f"{prefix}_6x6", lambda x: fn(x, (6, 6)), [make(1, 2, 13, 13)], [0])
        # More outputs than inputs: every bin is one or two elements.
        w.case(f"{prefix}_up", lambda x: fn(x, (6, 7)), [make(1, 2, 3, 5)], [0])
        w.case(f"{prefix}_one_row", lambda x: fn(x, (1, 3)), [make(2, 1, 1, 5)], [0])

    adaptive_cases("adaptive_avg", F.adaptive_avg_pool2d, r)
    adaptive_cases("adaptive_max", F.adaptive_max_pool2d, distinct)
