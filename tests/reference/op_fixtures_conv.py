"""Fixtures for ops/conv.h (tests/test_conv.cpp): F.conv2d and F.conv_transpose2d in float64.

Each case's stride/padding is fixed here and in the matching C++ lambda alike.
"""
import torch
import torch.nn.functional as F


def build(w):
    r = lambda *s: torch.randn(*s)

    def conv(stride, padding):
        return lambda x, wt, b=None: F.conv2d(x, wt, b, stride=stride, padding=padding)

    def convt(stride, padding, output_padding):
        return lambda x, wt, b=None: F.conv_transpose2d(x, wt, b, stride=stride, padding=padding,
                                                        output_padding=output_padding)

    # conv2d, general path (im2col)
    w.case("conv_3x3_p1", conv(1, 1), [r(2, 3, 5, 6), r(4, 3, 3, 3), r(4)], [0, 1, 2])
    w.case("conv_3x3_s2_p1", conv(2, 1), [r(1, 3, 7, 7), r(5, 3, 3, 3), r(5)], [0, 1, 2])
    w.case("conv_rect", conv((2, 1), (1, 0)), [r(2, 3, 7, 6), r(4, 3, 3, 2), r(4)], [0, 1, 2])
    w.case("conv_odd_nobias", conv(1, 0), [r(2, 5, 6, 5), r(7, 5, 3, 3)], [0, 1])
    # Padding wider than the kernel: whole windows read only zeros.
    w.case("conv_wide_pad", conv((1, 3), 2), [r(1, 2, 3, 4), r(3, 2, 2, 3), r(3)], [0, 1, 2])
    w.case("conv_1x1_s2", conv(2, 0), [r(1, 3, 5, 5), r(2, 3, 1, 1), r(2)], [0, 1, 2])
    # pointwise path (1x1, stride 1, no padding)
    w.case("conv_1x1_bias", conv(1, 0), [r(2, 5, 4, 3), r(3, 5, 1, 1), r(3)], [0, 1, 2])
    w.case("conv_1x1_nobias", conv(1, 0), [r(1, 4, 3, 5), r(6, 4, 1, 1)], [0, 1])
    # patches path (kernel == stride, no padding); 18x18 with kernel 4 floors to 4x4 windows and
    # leaves the last two rows/columns out (PyTorch's behaviour), so their gradient is 0.
    w.case("conv_patch4_16", conv(4, 0), [r(1, 3, 16, 16), r(8, 3, 4, 4)], [0, 1])
    w.case("conv_patch4_18", conv(4, 0), [r(2, 3, 18, 18), r(5, 3, 4, 4), r(5)], [0, 1, 2])
    w.case("conv_patch_rect", conv((2, 3), 0), [r(1, 2, 5, 7), r(3, 2, 2, 3)], [0, 1])

    # conv_transpose2d: patches path (kernel 2 stride 2), general path, pointwise path
    w.case("convt_k2s2_bias", convt(2, 0, 0), [r(2, 3, 4, 5), r(3, 5, 2, 2), r(5)], [0, 1, 2])
    w.case("convt_k2s2_outpad", convt(2, 0, 1), [r(1, 2, 3, 3), r(2, 3, 2, 2)], [0, 1])
    w.case("convt_k3s2p1_outpad1", convt(2, 1, 1), [r(1, 4, 3, 4), r(4, 3, 3, 3), r(3)], [0, 1, 2])
    w.case("convt_rect_nobias", convt((2, 1), (1, 0), (1, 0)), [r(2, 3, 4, 3), r(3, 2, 3, 2)], [0, 1])
    w.case("convt_1x1_bias", convt(1, 0, 0), [r(2, 4, 3, 3), r(4, 3, 1, 1), r(3)], [0, 1, 2])
