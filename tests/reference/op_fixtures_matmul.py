"""Fixtures for ops/matmul.h (tests/test_matmul.cpp)."""
import torch


def build(w):
    r = lambda *s: torch.randn(*s)
    w.case("matmul_2d", torch.matmul, [r(5, 7), r(7, 3)], [0, 1])
    # Odd sizes around the 16/32-wide register tiles, through the packed kernel's edge tiles.
    w.case("matmul_2d_odd", torch.matmul, [r(17, 33), r(33, 19)], [0, 1])
    w.case("matmul_nd_2d", torch.matmul, [r(2, 3, 4, 6), r(6, 5)], [0, 1])
    w.case("matmul_batched_broadcast", torch.matmul, [r(2, 1, 4, 6), r(3, 6, 5)], [0, 1])
    w.case("matmul_batched_same", torch.matmul, [r(3, 4, 6), r(3, 6, 2)], [0, 1])
    # The C++ side passes b stored (N, K) as b.transpose(0, 1): gemm reads it with a trans flag.
    w.case("matmul_transposed_b", lambda a, bt: a @ bt.T, [r(4, 6), r(5, 6)], [0, 1])
    # q @ k^T with batch dims, and an ND x 2D product whose left operand is a transposed view
    # (its batch cannot fold into rows, so it takes the per-batch path).
    w.case("matmul_transposed_batched", lambda q, k: q @ k.transpose(-2, -1), [r(2, 3, 4, 5), r(2, 3, 6, 5)], [0, 1])
    w.case("matmul_transposed_a_nd_2d", lambda at, b: at.transpose(-2, -1) @ b, [r(2, 6, 4), r(6, 5)], [0, 1])
    w.case("matmul_vector_matrix", torch.matmul, [r(6), r(2, 6, 3)], [0, 1])
    w.case("matmul_matrix_vector", torch.matmul, [r(2, 4, 6), r(6)], [0, 1])
    w.case("matmul_dot", torch.matmul, [r(7), r(7)], [0, 1])
    w.case("linear_bias", torch.nn.functional.linear, [r(2, 3, 6), r(4, 6), r(4)], [0, 1, 2])
    w.case("linear_no_bias", torch.nn.functional.linear, [r(5, 6), r(4, 6)], [0, 1])
    w.case("linear_odd", torch.nn.functional.linear, [r(3, 33), r(17, 33), r(17)], [0, 1, 2])
    w.case("linear_vector", torch.nn.functional.linear, [r(6), r(4, 6), r(4)], [0, 1, 2])
