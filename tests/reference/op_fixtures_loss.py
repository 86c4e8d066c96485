"""Fixtures for ops/loss.h (tests/test_loss.cpp). Labels travel as float32 tensors holding
integers and are converted with .long(); labels, targets and weights are not in grad_inputs
except the targets of l1_loss and mse_loss, which are differentiable."""
import warnings

import torch
import torch.nn.functional as F


def build(w):
    r = lambda *s: torch.randn(*s)
    ints = lambda high, *s: torch.randint(0, high, s).float()

    def ce(ignore_index=-100, reduction="mean"):
        return lambda x, t: F.cross_entropy(x, t.long(), ignore_index=ignore_index, reduction=reduction)

    w.case("ce_mean", ce(), [r(4, 5), ints(5, 4)], [0])
    w.case("ce_ignore", ce(), [r(6, 4), torch.tensor([1.0, -100, 3, 0, -100, 2])], [0])
    w.case("ce_sum", ce(reduction="sum"), [r(5, 3), ints(3, 5)], [0])
    w.case("ce_none_ignore", ce(ignore_index=2, reduction="none"), [r(5, 3), torch.tensor([2.0, 0, 1, 2, 1])], [0])
    # Logits of +-60 would overflow a naive exp in float32; the max-shifted form stays exact.
    w.case("ce_large_logits", ce(), [r(3, 4) * 60, ints(4, 3)], [0])
    pixel_target = ints(3, 2, 4, 5)
    pixel_target[0, 1, 2] = pixel_target[1, 3, 0] = pixel_target[1, 0, 4] = 255
    w.case("ce_pixel_nchw", ce(ignore_index=255), [r(2, 3, 4, 5), pixel_target], [0])
    w.case("ce_pixel_ncl_none", ce(reduction="none"), [r(2, 4, 3), ints(4, 2, 3)], [0])
    w.case("ce_all_ignored", ce(), [r(2, 3), torch.tensor([-100.0, -100])], [0])

    def bce(reduction="mean"):
        return lambda x, t, *wt: F.binary_cross_entropy_with_logits(x, t, weight=wt[0] if wt else None,
                                                                  reduction=reduction)

    w.case("bce_mean_soft", bce(), [r(3, 4), torch.rand(3, 4)], [0])
    w.case("bce_weight_sum", bce("sum"), [r(3, 4), ints(2, 3, 4), torch.rand(4) + 0.5], [0])
    w.case("bce_weight_none", bce("none"), [r(2, 3, 2), torch.rand(2, 3, 2), torch.rand(3, 1) + 0.5], [0])
    w.case("bce_large_logits", bce(), [r(6) * 40, torch.tensor([0.0, 1, 1, 0, 1, 0])], [0])

    log_probs = torch.log_softmax(r(3, 5), -1)
    probs = torch.softmax(r(3, 5) * 2, -1)
    probs[0, 1] = probs[2, 4] = probs[1, 0] = 0  # 0 * log 0 terms count as 0
    probs = probs / probs.sum(-1, keepdim=True)
    # reduction="mean" warns that it is not the KL divergence per sample; it is what we test.
    warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
    for red in ["none", "sum", "mean", "batchmean"]:
        w.case(f"kl_div_{red}", lambda x, t, red=red: F.kl_div(x, t, reduction=red), [log_probs, probs], [0])

    # Targets stay at least 0.1 from the inputs so |x - t| has no kink within a finite difference.
    x = r(3, 4)
    t = x + (torch.rand(3, 4) + 0.1) * torch.sign(r(3, 4))
    for red in ["none", "mean", "sum"]:
        w.case(f"l1_{red}", lambda a, b, red=red: F.l1_loss(a, b, reduction=red), [x, t], [0, 1])
        w.case(f"mse_{red}", lambda a, b, red=red: F.mse_loss(a, b, reduction=red), [x, t], [0, 1])
