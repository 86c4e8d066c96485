#!/usr/bin/python3
"""The PyTorch side of bench/bench_model: our reference Faceptor (tests/reference/
faceptor_reference.py) at full Base size, random weights, one face, timed per stage exactly as
the C++ bench splits them. Prints one JSON object on the last line: {"wall": {stage: best ms},
"cpu": {stage: best process CPU ms}, "peak_rss_mib": ...} (CPU time is the steadier figure on a
shared machine; with several threads it also counts OpenMP's spin-waiting).

    /usr/bin/python3 bench/torch_baseline.py --threads 2 --reps 5 [--new-levels 1,3,5,7,9]

bench_model runs this with the fair-baseline environment (OpenBLAS's own kernels: OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE unset; glibc malloc told to keep large buffers instead of returning them to
the OS, since each fresh 4 KiB page costs ~13 us on these VMs). Two deliberate differences from
faceptor_forward, so both sides do the same work: attention does not average the probabilities
over heads (need_weights=False, as our run without keep_attention), and the pixel decoder of the
512 pass runs once, shared by parsing and landmarks (faceptor_forward recomputes it per task).
"""
import argparse
import json
import math
import pathlib
import resource
import sys
import time

import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "reference"))
import faceptor_reference as ref  # noqa: E402


def attention_no_weights(p, heads, query, key, value):
    B, Lq, E = query.shape
    Lk = key.shape[1]
    Wq, Wk, Wv = p.in_proj_weight.chunk(3)
    bq, bk, bv = p.in_proj_bias.chunk(3)
    d = E // heads
    q = F.linear(query, Wq, bq).view(B, Lq, heads, d).transpose(1, 2)
    k = F.linear(key, Wk, bk).view(B, Lk, heads, d).transpose(1, 2)
    v = F.linear(value, Wv, bv).view(B, Lk, heads, d).transpose(1, 2)
    weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
    return p.out_proj((weights @ v).transpose(1, 2).reshape(B, Lq, E)), None


def pixel_decoder(mi, decoder_src):
    """The part of ref.map_interpreter that depends only on the pass: (B, S*S, D) -> (B, D, 4S, 4S)."""
    B, HW, D = decoder_src.shape
    S = math.isqrt(HW)
    x = decoder_src.transpose(1, 2).reshape(B, D, S, S)
    up1, norm, up2 = mi.mask_map[0], mi.mask_map[1], mi.mask_map[3]
    x = F.conv_transpose2d(x, up1.weight, up1.bias, stride=2)
    x = F.layer_norm(x.permute(0, 2, 3, 1), (D,), norm.weight, norm.bias, 1e-6).permute(0, 3, 1, 2)
    return F.conv_transpose2d(F.gelu(x), up2.weight, up2.bias, stride=2)


def map_head(mi, pixels, output):
    e = output
    for i, layer in enumerate(mi.mask_embed.layers):
        e = layer(e) if i == 2 else F.relu(layer(e))
    return torch.einsum("bqc,bchw->bqhw", e, pixels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--new-levels", default="", help="comma-separated stage-2 levels, e.g. 1,3,5,7,9")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ref.attention = attention_no_weights  # the module-level name every ref forward calls

    new_levels = [int(v) for v in args.new_levels.split(",")] if args.new_levels else None
    cfg = ref.FaceptorConfig(recog_classes=0, new_levels=new_levels)
    ckpt = ref.FaceptorCheckpoint(cfg)
    ref.randomize(ckpt, seed=11)
    model = ckpt.module.float().eval()
    visual = model.backbone_module.visual
    decoder = model.heads_module.decoder
    interp = model.heads_module.interpreters
    g = torch.Generator().manual_seed(3)
    x112 = torch.rand(1, 3, 112, 112, generator=g) * 2 - 1
    x512 = torch.rand(1, 3, 512, 512, generator=g) * 2 - 1
    tasks = {t.name: t for t in cfg.tasks}

    def queries(memory, name):
        out, _ = ref.decoder_forward(decoder, cfg, name, memory[0], memory[1])
        return out

    state = {}
    stages = {
        "encoder 112": lambda: state.__setitem__("maps112", ref.encoder_forward(visual, cfg.encoder_heads, x112)),
        "recognition": lambda: ref.feature_interpreter(interp["feature_v2"], state["maps112"][-1]),
        "memory 112": lambda: state.__setitem__("mem112", ref.decoder_memory(decoder, cfg, state["maps112"])),
        "age": lambda: interp["value"].fc(queries(state["mem112"], "age_morph2")),
        "attributes": lambda: interp["value"].fc(queries(state["mem112"], "biattr_celeba")),
        "expression": lambda: [interp["value"].fc(queries(state["mem112"], n)) for n in ("affect_affectnet",
                                                                                           "affect_rafdb")],
        "encoder 512": lambda: state.__setitem__("maps512", ref.encoder_forward(visual, cfg.encoder_heads, x512)),
        "memory 512": lambda: state.__setitem__("mem512", ref.decoder_memory(decoder, cfg, state["maps512"])),
        "pixel decoder": lambda: state.__setitem__("pixels", pixel_decoder(interp["map_v2"], state["mem512"][2])),
        "parsing": lambda: map_head(interp["map_v2"], state["pixels"], queries(state["mem512"], "parsing_celebam")),
        "landmarks": lambda: ref.heatmap_points(torch.sigmoid(
            map_head(interp["map_v2"], state["pixels"], queries(state["mem512"], "align_300w")))),
    }
    assert set(tasks) >= {"age_morph2", "biattr_celeba", "affect_affectnet", "affect_rafdb", "parsing_celebam",
                          "align_300w"}
    best = {name: math.inf for name in stages}
    best_cpu = dict(best)
    with torch.no_grad():
        for rep in range(args.reps + 1):  # rep 0 is the warm-up
            for name, fn in stages.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                fn()
                if rep > 0:
                    best[name] = min(best[name], (time.perf_counter() - start) * 1e3)
                    best_cpu[name] = min(best_cpu[name], (time.process_time() - start_cpu) * 1e3)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": best, "cpu": best_cpu, "peak_rss_mib": rss}))


if __name__ == "__main__":
    main()
