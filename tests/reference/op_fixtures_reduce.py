"""Fixtures for ops/reduce.h (tests/test_reduce.cpp).

Inputs of max/argmax are shuffled distinct values at least 0.1 apart, so no tie can flip under a
finite-difference step; the *_ties cases pin which element PyTorch's gradient picks on ties.
"""
import torch


def distinct(*shape):
    n = 1
    for s in shape:
        n *= s
    return (torch.randperm(n).to(torch.float32) * 0.1 - 0.05 * n).reshape(*shape)


def build(w):
    r = lambda *s: torch.randn(*s)
    t = lambda x: x.transpose(0, 1)  # mirrors x[0].transpose(0, 1) in the C++ lambdas

    w.case("sum_all", torch.sum, [r(3, 4, 5)], [0])
    w.case("sum_all_transposed", lambda x: torch.sum(t(x)), [r(4, 3)], [0])
    w.case("sum_last", lambda x: torch.sum(x, [-1]), [r(3, 4, 5)], [0])
    w.case("sum_last_keepdim", lambda x: torch.sum(x, [2], keepdim=True), [r(3, 4, 5)], [0])
    w.case("sum_first", lambda x: torch.sum(x, [0]), [r(6, 3, 5)], [0])
    w.case("sum_middle_keepdim", lambda x: torch.sum(x, [1], keepdim=True), [r(2, 7, 3)], [0])
    w.case("sum_two_adjacent", lambda x: torch.sum(x, [1, 2]), [r(2, 3, 4, 5)], [0])
    w.case("sum_two_apart", lambda x: torch.sum(x, [0, -1], keepdim=True), [r(3, 4, 5)], [0])
    w.case("sum_transposed", lambda x: torch.sum(t(x), [1]), [r(5, 3, 4)], [0])
    w.case("sum_long_row", lambda x: torch.sum(x, [-1]), [r(3, 1000)], [0])
    w.case("mean_all", torch.mean, [r(4, 5)], [0])
    w.case("mean_last_keepdim", lambda x: torch.mean(x, [-1], keepdim=True), [r(2, 3, 8)], [0])
    w.case("mean_first", lambda x: torch.mean(x, [0]), [r(5, 6)], [0])
    w.case("mean_two_apart", lambda x: torch.mean(x, [0, 2]), [r(3, 2, 4)], [0])
    w.case("mean_transposed", lambda x: torch.mean(t(x), [0], keepdim=True), [r(4, 6)], [0])

    values = lambda x, d, k=False: torch.max(x, d, keepdim=k).values
    w.case("max_last", lambda x: values(x, -1), [distinct(3, 4, 5)], [0])
    w.case("max_last_keepdim", lambda x: values(x, 2, True), [distinct(3, 4, 5)], [0])
    w.case("max_first", lambda x: values(x, 0), [distinct(5, 3, 4)], [0])
    w.case("max_middle_keepdim", lambda x: values(x, 1, True), [distinct(2, 6, 3)], [0])
    w.case("max_transposed", lambda x: values(t(x), 1), [distinct(4, 3, 5)], [0])
    w.case("max_ties", lambda x: values(x, 1), [torch.tensor([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 0.0, 5.0]])], [0])
    w.case("max_ties_first_dim", lambda x: values(x, 0), [torch.tensor([[2.0, 1.0], [2.0, 4.0], [0.0, 4.0]])], [0])
    w.case("max_all", torch.max, [distinct(3, 5)], [0])
    w.case("max_all_ties", torch.max, [torch.tensor([[1.0, 4.0, 4.0], [0.0, 4.0, -1.0]])], [0])

    indices = lambda x, d, k=False: torch.argmax(x, d, keepdim=k)
    w.case("argmax_last", lambda x: indices(x, -1), [distinct(3, 4, 5)])
    w.case("argmax_first_keepdim", lambda x: indices(x, 0, True), [distinct(4, 3)])
    w.case("argmax_middle", lambda x: indices(x, 1), [distinct(2, 5, 3)])
    w.case("argmax_transposed", lambda x: indices(t(x), 0), [distinct(3, 6)])
    w.case("argmax_ties", lambda x: indices(x, 1), [torch.tensor([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 0.0, 5.0]])])
