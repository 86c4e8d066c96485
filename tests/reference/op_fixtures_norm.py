"""Fixtures for ops/norm.h (tests/test_norm.cpp): layer_norm, layer_norm_channels, batch_norm."""
import torch
import torch.nn.functional as F


def layer_norm_channels(x, w=None, b=None, eps=1e-6):
    # The pixel decoder's LayerNorm2d: LayerNorm over C at every (n, h, w).
    return F.layer_norm(x.permute(0, 2, 3, 1), (x.shape[1],), w, b, eps).permute(0, 3, 1, 2)


def batch_norm_case(w, name, x, weight, bias, running_mean, running_var, training, affine=True):
    """A batch_norm case with inputs [x, (weight, bias,) running_mean, running_var]; the running
    statistics are copied inside the op so every call sees the same ones. For training cases the
    updated running statistics are exported as <name>/running_mean_after and _var_after."""
    momentum, eps = 0.1, 1e-5
    if affine:
        fn = lambda x, wt, b, rm, rv: F.batch_norm(x, rm.clone(), rv.clone(), wt, b, training, momentum, eps)
        w.case(name, fn, [x, weight, bias, running_mean, running_var], [0, 1, 2])
    else:
        fn = lambda x, rm, rv: F.batch_norm(x, rm.clone(), rv.clone(), None, None, training, momentum, eps)
        w.case(name, fn, [x, running_mean, running_var], [0])
    if training:
        rm, rv = running_mean.double().clone(), running_var.double().clone()
        F.batch_norm(x.double(), rm, rv, None, None, True, momentum, eps)
        w.add(f"{name}/running_mean_after", rm)
        w.add(f"{name}/running_var_after", rv)


def build(w):
    r = lambda *s: torch.randn(*s)
    pos = lambda *s: torch.rand(*s) + 0.5
    ln = lambda x, wt, b: F.layer_norm(x, (x.shape[-1],), wt, b, 1e-5)
    w.case("ln_basic", ln, [r(2, 5, 8), r(8), r(8)], [0, 1, 2])
    # Rows with a large common offset: the mean must cancel without losing the spread.
    w.case("ln_offset", ln, [r(7, 13) * 3 + 20, r(13), r(13)], [0, 1, 2])
    w.case("ln_no_affine", lambda x: F.layer_norm(x, (6,), None, None, 1e-5), [r(3, 6)], [0])
    w.case("ln_weight_only", lambda x, wt: F.layer_norm(x, (5,), wt, None, 1e-5), [r(4, 5), r(5)], [0, 1])
    # Rows longer than the kernel's 8 summing lanes, with a tail of 4.
    w.case("ln_wide", ln, [r(2, 3, 100) + 1, r(100), r(100)], [0, 1, 2])
    w.case("ln_1d", lambda x, wt, b: F.layer_norm(x, (9,), wt, b, 1e-5), [r(9), r(9), r(9)], [0, 1, 2])

    lnc = lambda x, wt, b: layer_norm_channels(x, wt, b, 1e-6)
    w.case("lnc_basic", lnc, [r(2, 6, 3, 5), r(6), r(6)], [0, 1, 2])
    w.case("lnc_one_pixel", lnc, [r(3, 4, 1, 1), r(4), r(4)], [0, 1, 2])
    w.case("lnc_no_affine", lambda x: layer_norm_channels(x), [r(1, 5, 4, 3)], [0])

    batch_norm_case(w, "bn_train", r(4, 3), r(3), r(3), r(3), pos(3), True)
    batch_norm_case(w, "bn_train_2d", r(3, 4, 5, 2) * 2 + 1, r(4), r(4), r(4), pos(4), True)
    batch_norm_case(w, "bn_train_3d_no_affine", r(2, 3, 7), None, None, r(3), pos(3), True, affine=False)
    batch_norm_case(w, "bn_eval", r(5, 6), r(6), r(6), r(6), pos(6), False)
    batch_norm_case(w, "bn_eval_2d", r(2, 3, 4, 4), r(3), r(3), r(3), pos(3), False)
