"""Fixtures for ops/index.h (tests/test_index.cpp). Indices travel as float32 tensors and are
converted with .long() inside the lambdas; they are never in grad_inputs."""
import torch


def build(w):
    r = lambda *s: torch.randn(*s)
    ints = lambda high, *s: torch.randint(0, high, s).float()

    w.case("concat_dim0", lambda a, b: torch.cat([a, b], 0), [r(2, 3), r(4, 3)], [0, 1])
    w.case("concat_neg", lambda a, b, c: torch.cat([a, b, c], -2), [r(2, 3, 2), r(2, 1, 2), r(2, 4, 2)], [0, 1, 2])
    w.case("concat_last", lambda a, b: torch.cat([a, b], -1), [r(2, 3), r(2, 5)], [0, 1])

    # split: the pieces are put back together in another order (or added), so each piece's
    # gradient must land in its own slice of the input.
    w.case("split_size_reversed", lambda x: torch.cat(list(reversed(x.split(3, 0))), 0), [r(7, 4)], [0])
    w.case("split_sizes_neg", lambda x: torch.cat([p * (k + 1) for k, p in enumerate(x.split([1, 2, 3], -1))], -1),
           [r(2, 6)], [0])
    w.case("split_add", lambda x: sum(x.split(2, 0)), [r(4, 3)], [0])

    w.case("index_select_dim0_repeat", lambda x, i: torch.index_select(x, 0, i.long()),
           [r(5, 3), torch.tensor([4.0, 0, 2, 0])], [0])
    w.case("index_select_neg", lambda x, i: torch.index_select(x, -2, i.long()),
           [r(2, 5, 3), torch.tensor([1.0, 1, 1, 3])], [0])
    w.case("index_select_last", lambda x, i: torch.index_select(x, 2, i.long()),
           [r(2, 3, 4), torch.tensor([3.0, 0])], [0])

    w.case("gather_dim1", lambda x, i: torch.gather(x, 1, i.long()), [r(3, 5), ints(5, 3, 7)], [0])
    w.case("gather_dim0_smaller", lambda x, i: torch.gather(x, 0, i.long()), [r(4, 3), ints(4, 2, 2)], [0])
    w.case("gather_neg_3d", lambda x, i: torch.gather(x, -1, i.long()), [r(2, 4, 3), ints(3, 2, 3, 3)], [0])

    emb = lambda wt, i: torch.nn.functional.embedding(i.long(), wt)
    w.case("embedding_2d_repeat", emb, [r(6, 4), ints(6, 2, 5)], [0])
    w.case("embedding_1d", emb, [r(10, 3), torch.tensor([9.0, 0, 9, 3])], [0])
