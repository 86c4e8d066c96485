"""Fixtures for nn/ layers (tests/test_nn_layers.cpp): torch.nn modules with random weights, run
batch-first on our side and sequence-first (PyTorch's MultiheadAttention default) on theirs."""
import torch


def add_module_state(w, prefix, module):
    for name, t in module.state_dict().items():
        if t.dtype == torch.float32:
            w.add(f"{prefix}/param/{name}", t)


def build(w):
    torch.manual_seed(0)
    E, H, B, Q, K = 16, 4, 2, 5, 9
    mha = torch.nn.MultiheadAttention(E, H)
    torch.nn.init.normal_(mha.in_proj_bias, std=0.1)
    torch.nn.init.normal_(mha.out_proj.bias, std=0.1)
    add_module_state(w, "mha", mha)
    x = torch.randn(B, Q, E)
    mem = torch.randn(B, K, E)
    pos = torch.randn(B, K, E)
    w.add("mha/x", x)
    w.add("mha/mem", mem)
    w.add("mha/pos", pos)
    with torch.no_grad():
        mha64 = mha.double()
        seq = lambda t: t.double().transpose(0, 1)
        y_self, _ = mha64(seq(x), seq(x), seq(x))
        w.add("mha/self_out", y_self.transpose(0, 1))
        y_cross, probs = mha64(seq(x), seq(mem + pos), seq(mem), need_weights=True)
        w.add("mha/cross_out", y_cross.transpose(0, 1))
        w.add("mha/cross_probs", probs)  # averaged over heads by PyTorch's default

    mlp_layers = [torch.nn.Linear(8, 12), torch.nn.Linear(12, 12), torch.nn.Linear(12, 6)]
    for i, layer in enumerate(mlp_layers):
        w.add(f"mlp/param/layers.{i}.weight", layer.weight)
        w.add(f"mlp/param/layers.{i}.bias", layer.bias)
    xm = torch.randn(3, 4, 8)
    w.add("mlp/x", xm)
    with torch.no_grad():
        h = xm.double()
        for i, layer in enumerate(mlp_layers):
            h = torch.nn.functional.linear(h, layer.weight.double(), layer.bias.double())
            if i < 2:
                h = torch.relu(h)
    w.add("mlp/out", h)
