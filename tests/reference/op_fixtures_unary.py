"""Fixtures for ops/unary.h (tests/test_unary.cpp).

Inputs stay away from kinks (relu and abs at 0, clamp at its bounds) so finite differences hold;
the *_at_kink cases put values exactly on them to pin PyTorch's conventions (checked against
PyTorch's backward only). log, sqrt, rsqrt and pow get positive inputs.
"""
import torch
import torch.nn.functional as F


def away_from_zero(*shape, gap=0.1):
    r = torch.randn(*shape)
    return torch.sign(r) * (r.abs() + gap)


def positive(*shape, low=0.2, high=3.0):
    return torch.rand(*shape) * (high - low) + low


def away_from(values, *shape, gap=0.05):
    """randn * 2 with every entry at least `gap` from each of `values`."""
    x = torch.randn(*shape) * 2
    for v in values:
        close = (x - v).abs() < gap
        x = torch.where(close, x + 2 * gap * torch.sign(x - v + 1e-3), x)
    return x


def build(w):
    r = lambda *s: torch.randn(*s)
    t = lambda x: x.transpose(0, 1)  # mirrors x[0].transpose(0, 1) in the C++ lambdas

    w.case("exp_basic", torch.exp, [r(3, 5)], [0])
    w.case("exp_transposed", lambda x: torch.exp(t(x)), [r(4, 3, 2)], [0])
    w.case("log_basic", torch.log, [positive(4, 6)], [0])
    w.case("log_wide_range", torch.log, [positive(37, low=1e-3, high=50.0)], [0])
    w.case("sqrt_basic", torch.sqrt, [positive(2, 3, 5)], [0])
    w.case("sqrt_transposed", lambda x: torch.sqrt(t(x)), [positive(5, 3)], [0])
    w.case("rsqrt_basic", torch.rsqrt, [positive(3, 7)], [0])
    w.case("pow_2_5", lambda x: torch.pow(x, 2.5), [positive(3, 4)], [0])
    w.case("pow_neg_half", lambda x: torch.pow(x, -0.5), [positive(11)], [0])
    w.case("pow_square_signed", lambda x: torch.pow(x, 2.0), [r(2, 5)], [0])
    w.case("pow_zero", lambda x: torch.pow(x, 0.0), [r(6)], [0])
    w.case("abs_basic", torch.abs, [away_from_zero(4, 5)], [0])
    w.case("abs_at_kink", torch.abs, [torch.tensor([-1.5, 0.0, 2.0, -0.0])], [0])
    w.case("clamp_both", lambda x: torch.clamp(x, -0.5, 1.0), [away_from([-0.5, 1.0], 5, 6)], [0])
    w.case("clamp_min_only", lambda x: torch.clamp(x, min=0.25), [away_from([0.25], 3, 8)], [0])
    w.case("clamp_max_only", lambda x: torch.clamp(x, max=-0.3), [away_from([-0.3], 9)], [0])
    w.case("clamp_transposed", lambda x: torch.clamp(t(x), -1.0, 1.0), [away_from([-1.0, 1.0], 4, 5)], [0])
    w.case("clamp_at_bounds", lambda x: torch.clamp(x, -1.0, 2.0),
           [torch.tensor([-2.0, -1.0, 0.5, 2.0, 3.0])], [0])
    w.case("clamp_min_above_max", lambda x: torch.clamp(x, 1.5, 0.5), [torch.tensor([0.0, 1.0, 2.0])], [0])
    w.case("relu_basic", torch.relu, [away_from_zero(4, 6)], [0])
    w.case("relu_transposed", lambda x: torch.relu(t(x)), [away_from_zero(3, 2, 4)], [0])
    w.case("relu_at_kink", torch.relu, [torch.tensor([-1.0, 0.0, 1.0])], [0])
    w.case("gelu_basic", F.gelu, [r(4, 8) * 2], [0])
    w.case("gelu_tails", F.gelu, [torch.linspace(-8, 8, 33)], [0])
    w.case("gelu_transposed", lambda x: F.gelu(t(x)), [r(6, 5)], [0])
    w.case("quick_gelu_basic", lambda x: x * torch.sigmoid(1.702 * x), [r(5, 7) * 2], [0])
    w.case("quick_gelu_transposed", lambda x: (lambda y: y * torch.sigmoid(1.702 * y))(t(x)), [r(3, 4, 2)], [0])
    w.case("sigmoid_basic", torch.sigmoid, [r(3, 9) * 3], [0])
    w.case("sigmoid_tails", torch.sigmoid, [torch.linspace(-20, 20, 21)], [0])
    w.case("tanh_basic", torch.tanh, [r(4, 5) * 2], [0])
    w.case("tanh_transposed", lambda x: torch.tanh(t(x)), [r(2, 6)], [0])
