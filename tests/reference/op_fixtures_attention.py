"""Fixtures for ops/attention.h (tests/test_attention.cpp).

PyTorch 1.13 has no F.scaled_dot_product_attention, so the math is written out:
softmax(q k^T * scale + mask) v, in float64. Masks are constants (never in grad_inputs).
"""
import math

import torch

NEG_INF = float("-inf")


def attention(q, k, v, mask=None, scale=None):
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ k.transpose(-2, -1) * scale
    if mask is not None:
        s = s + mask
    return torch.softmax(s, dim=-1) @ v


def head_mean_probs(q, k, mask=None, scale=None):
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ k.transpose(-2, -1) * scale
    if mask is not None:
        s = s + mask
    return torch.softmax(s, dim=-1).mean(dim=1)


def key_padding_mask(batch, keys, valid):
    """(B, 1, 1, K): 0 for the first valid[b] keys of batch b, -inf after."""
    m = torch.zeros(batch, 1, 1, keys)
    for b, n in enumerate(valid):
        m[b, ..., n:] = NEG_INF
    return m


def build(w):
    r = lambda *s: torch.randn(*s)
    w.case("attention_self_small", attention, [r(2, 3, 5, 8), r(2, 3, 5, 8), r(2, 3, 5, 8)], [0, 1, 2])
    w.case("attention_cross", attention, [r(1, 2, 7, 32), r(1, 2, 19, 32), r(1, 2, 19, 32)], [0, 1, 2])

    # Key padding (B, 1, 1, K) with an explicit scale; D = 20 is not a multiple of the vector width.
    pad = key_padding_mask(2, 9, [9, 5])
    w.case("attention_key_padding", lambda q, k, v, m: attention(q, k, v, m, scale=0.3),
           [r(2, 2, 6, 20), r(2, 2, 9, 20), r(2, 2, 9, 20), pad], [0, 1, 2])

    # (Q, K) mask: finite biases plus -inf entries, at least one per row, never a whole row.
    qk = torch.randn(6, 9)
    for i in range(6):
        qk[i, (2 * i + 1) % 9] = NEG_INF
        qk[i, (3 * i + 4) % 9] = NEG_INF
    w.case("attention_mask_2d", attention, [r(2, 2, 6, 16), r(2, 2, 9, 16), r(2, 2, 9, 16), qk], [0, 1, 2])

    # 70 queries and keys cross the 64-key tile and several query tiles; D = 64 is read in place.
    w.case("attention_odd_tiles", attention, [r(1, 1, 70, 64), r(1, 1, 70, 64), r(1, 1, 70, 64)], [0, 1, 2])

    # The model's layout: one qkv projection (B, N, 3*H*D) viewed as q, k, v without copies; the
    # output goes back to (B, N, H*D) the way the output projection takes it.
    B, N, H, D = 2, 11, 3, 16

    def from_qkv(qkv):
        qkv5 = qkv.view(B, N, 3, H, D).permute(2, 0, 3, 1, 4)
        out = attention(qkv5[0], qkv5[1], qkv5[2])
        return out.transpose(1, 2).reshape(B, N, H * D)

    w.case("attention_permuted_qkv", from_qkv, [r(B, N, 3 * H * D)], [0])

    # self_attention_packed with a key-padding mask (the packed case without one reuses
    # attention_permuted_qkv): 67 tokens cross the 64-key tile.
    B2, N2, H2, D2 = 2, 67, 2, 4
    pad2 = key_padding_mask(B2, N2, [N2, 41])

    def from_qkv_masked(qkv, m):
        qkv5 = qkv.view(B2, N2, 3, H2, D2).permute(2, 0, 3, 1, 4)
        out = attention(qkv5[0], qkv5[1], qkv5[2], m)
        return out.transpose(1, 2).reshape(B2, N2, H2 * D2)

    w.case("attention_packed_mask", from_qkv_masked, [r(B2, N2, 3 * H2 * D2), pad2], [0])

    # Head-averaged probabilities for the dedicated test (same inputs as attention_key_padding).
    q, k = (w.tensors[f"attention_key_padding/in{i}"].double() for i in range(2))
    w.add("attention_key_padding/probs", head_mean_probs(q, k, pad.double(), scale=0.3))
