"""Fixtures for ops/softmax.h (tests/test_softmax.cpp)."""
import torch


def build(w):
    r = lambda *s: torch.randn(*s)
    t = lambda x: x.transpose(0, 1)  # mirrors x[0].transpose(0, 1) in the C++ lambdas

    w.case("softmax_last", lambda x: torch.softmax(x, -1), [r(3, 4, 7)], [0])
    w.case("softmax_first", lambda x: torch.softmax(x, 0), [r(5, 3, 2)], [0])
    w.case("softmax_middle", lambda x: torch.softmax(x, 1), [r(2, 6, 3)], [0])
    w.case("softmax_transposed", lambda x: torch.softmax(t(x), 1), [r(4, 3, 5)], [0])
    w.case("softmax_1d", lambda x: torch.softmax(x, 0), [r(9)], [0])
    # Logits near 1000 overflow exp without the max subtraction.
    w.case("softmax_large_logits", lambda x: torch.softmax(x, -1), [r(2, 5) * 5 + 1000], [0])
    w.case("softmax_long_row", lambda x: torch.softmax(x, -1), [r(2, 700) * 3], [0])
    w.case("log_softmax_last", lambda x: torch.log_softmax(x, -1), [r(3, 4, 7)], [0])
    w.case("log_softmax_first", lambda x: torch.log_softmax(x, 0), [r(5, 4)], [0])
    w.case("log_softmax_middle", lambda x: torch.log_softmax(x, -2), [r(2, 5, 3)], [0])
    w.case("log_softmax_transposed", lambda x: torch.log_softmax(t(x), -1), [r(3, 4, 2)], [0])
    w.case("log_softmax_large_logits", lambda x: torch.log_softmax(x, 1), [r(3, 6) * 5 - 1000], [0])
