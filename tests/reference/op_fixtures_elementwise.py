"""Fixtures for ops/elementwise.h (tests/test_elementwise.cpp)."""
import torch


def build(w):
    r = lambda *s: torch.randn(*s)
    w.case("add_same", torch.add, [r(3, 4), r(3, 4)], [0, 1])
    w.case("add_broadcast", torch.add, [r(2, 3, 4), r(4)], [0, 1])
    w.case("sub_broadcast", torch.sub, [r(2, 1, 4), r(3, 1)], [0, 1])
    w.case("mul_broadcast", torch.mul, [r(2, 3, 4), r(3, 1)], [0, 1])
    # Divisors kept away from 0 so finite differences stay well-conditioned.
    w.case("div_broadcast", torch.div, [r(2, 3, 4), torch.rand(1, 4) + 0.5], [0, 1])
    w.case("add_scalar", lambda x: x + 0.75, [r(5, 2)], [0])
    w.case("mul_scalar", lambda x: x * -1.5, [r(5, 2)], [0])
    w.case("rsub_scalar", lambda x: 2.0 - x, [r(5, 2)], [0])
    w.case("neg", lambda x: -x, [r(5, 2)], [0])
