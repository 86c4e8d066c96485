"""Our PyTorch implementation of Faceptor (arXiv 2403.09500), the oracle for the C++ model tests.

Written from /work/shared/DESIGN.md; module and parameter names follow the public code
(lxq1000/Faceptor: backbone/farl_vit.py, heads/decoder.py, loss/recog_loss.py) so that
`FaceptorCheckpoint(...).state_dict()` has exactly the names of an official checkpoint, `module.`
prefix and the Norm2d double entry included. Only the names are shared: the forward pass below
is our own, written batch-first and computed in whatever dtype the weights are in (the fixture
script converts a float32 model to float64, so references carry no float32 rounding).

    cfg = FaceptorConfig.tiny(levels=[2], new_levels=[0, 1])
    model = FaceptorCheckpoint(cfg); randomize(model, seed=0)
    out = faceptor_forward(model.module.double(), {112: x112, 64: x64},  # x: normalised NCHW
                           task_input_sizes(attribute_size=112, dense_size=64))

Letters: B batch, C encoder width, S grid side (input / patch), N = 1 + S*S tokens,
D decoder hidden, Q queries of one task, M memory tokens (S*S per used level), H heads.
Runs with Debian's python3-torch (1.13) on CPU. Input normalisation is not part of the model.
The training side (the six losses, the joint forward, the optimizer's groups) is in
faceptor_training_reference.py.
"""
import dataclasses
import math
from collections import OrderedDict
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import nn

# Output kinds, keyed by the official task-name prefix (recog_ms1mv3 -> "recog").
TASK_KINDS = ("recog", "age", "biattr", "affect", "parsing", "align")


@dataclasses.dataclass
class TaskSpec:
    name: str          # official name, e.g. "age_morph2"; its prefix picks the output kind
    queries: int       # query count (the recognition task's listed count is never built)
    interpreter: str   # "feature_v2" | "value" | "map_v2"

    @property
    def kind(self):
        kind = self.name.split("_")[0]
        assert kind in TASK_KINDS, self.name
        return kind


BASE_TASKS = [  # stage_1/train_recog_age_biattr_affect_parsing_align.yaml
    TaskSpec("recog_ms1mv3", 2, "feature_v2"),
    TaskSpec("age_morph2", 101, "value"),
    TaskSpec("biattr_celeba", 40, "value"),
    TaskSpec("affect_affectnet", 7, "value"),
    TaskSpec("affect_rafdb", 7, "value"),
    TaskSpec("parsing_celebam", 19, "map_v2"),
    TaskSpec("align_300w", 68, "map_v2"),
]


@dataclasses.dataclass
class FaceptorConfig:
    width: int = 768           # encoder
    encoder_layers: int = 12
    encoder_heads: int = 12
    patch: int = 16
    pos_grid: int = 32         # positional table side (32 in a trained Faceptor, 14 in FaRL)
    proj_dim: int = 512        # visual.proj columns (stored, unused)
    hidden: int = 256          # decoder
    decoder_heads: int = 8
    ffn: int = 2048
    decoder_layers: int = 9
    levels: List[int] = dataclasses.field(default_factory=lambda: [11])
    new_levels: Optional[List[int]] = None   # None: stage-1 decoder (no new_* tensors)
    recog_dim: int = 512
    recog_classes: int = 93431  # CosFace class matrix rows (training only); 0: none (stage 2)
    tasks: List[TaskSpec] = dataclasses.field(default_factory=lambda: list(BASE_TASKS))

    @property
    def last_level(self):
        return self.encoder_layers - 1

    @staticmethod
    def tiny(**overrides):
        """The committed-fixture size: every dimension distinct so a swapped axis cannot pass."""
        base = dict(width=24, encoder_layers=3, encoder_heads=3, patch=16, pos_grid=4, proj_dim=12,
                    hidden=16, decoder_heads=2, ffn=32, decoder_layers=2, levels=[2],
                    recog_dim=40, recog_classes=10)
        base.update(overrides)
        return FaceptorConfig(**base)

    def validate(self):
        assert self.width % self.encoder_heads == 0 and self.hidden % self.decoder_heads == 0
        # The sine embedding interleaves sin/cos pairs over hidden/2 features per coordinate.
        assert self.hidden % 4 == 0
        # The official decoder builds input_proj only when the widths differ.
        assert self.width != self.hidden
        used = self.levels + (self.new_levels or [])
        assert all(0 <= lvl < self.encoder_layers for lvl in used) and len(set(used)) == len(used)
        # decoder_src is the last layer's projected tokens (the official code looks for level 11).
        assert self.last_level in self.levels
        assert self.tasks[0].kind == "recog" and all(t.kind != "recog" for t in self.tasks[1:])


# ---- parameter containers with the official names --------------------------------------------

class MultiheadAttentionParams(nn.Module):
    """nn.MultiheadAttention's state: in_proj_weight (3E, E) = [Wq; Wk; Wv], in_proj_bias, out_proj."""

    def __init__(self, dim):
        super().__init__()
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * dim))
        self.out_proj = nn.Linear(dim, dim)


class MlpParams(nn.Module):   # farl_vit ResidualAttentionBlock.mlp: c_fc, (gelu), c_proj
    def __init__(self, width):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width)
        self.c_proj = nn.Linear(4 * width, width)


class ResidualBlock(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.attn = MultiheadAttentionParams(width)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = MlpParams(width)
        self.ln_2 = nn.LayerNorm(width)


class TransformerParams(nn.Module):
    def __init__(self, width, layers):
        super().__init__()
        self.resblocks = nn.ModuleList(ResidualBlock(width) for _ in range(layers))


class VisualTransformer(nn.Module):
    """FaRL's visual tower. Registration order matches farl_vit.VisualTransformer so state_dict
    order matches too (own parameters first: class_embedding, positional_embedding, proj)."""

    def __init__(self, cfg: FaceptorConfig):
        super().__init__()
        self.conv1 = nn.Conv2d(3, cfg.width, cfg.patch, stride=cfg.patch, bias=False)
        self.class_embedding = nn.Parameter(torch.empty(cfg.width))
        self.positional_embedding = nn.Parameter(torch.empty(1 + cfg.pos_grid ** 2, cfg.width))
        self.ln_pre = nn.LayerNorm(cfg.width)
        self.transformer = TransformerParams(cfg.width, cfg.encoder_layers)
        self.ln_post = nn.LayerNorm(cfg.width)
        self.proj = nn.Parameter(torch.empty(cfg.width, cfg.proj_dim))


class Backbone(nn.Module):  # FaRLVisualFeatures
    def __init__(self, cfg):
        super().__init__()
        self.visual = VisualTransformer(cfg)


class CrossAttentionLayer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.multihead_attn = MultiheadAttentionParams(dim)
        self.norm = nn.LayerNorm(dim)


class SelfAttentionLayer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.self_attn = MultiheadAttentionParams(dim)
        self.norm = nn.LayerNorm(dim)


class FFNLayer(nn.Module):
    def __init__(self, dim, ffn):
        super().__init__()
        self.linear1 = nn.Linear(dim, ffn)
        self.linear2 = nn.Linear(ffn, dim)
        self.norm = nn.LayerNorm(dim)


class Decoder(nn.Module):
    """TransformerDecoderLevel (stage 1) or TransformerDecoderLevelAddLevel (new_levels given)."""

    def __init__(self, cfg: FaceptorConfig):
        super().__init__()
        D = cfg.hidden
        self.query_feat = nn.ModuleDict()
        self.query_embed = nn.ModuleDict()
        for task in cfg.tasks[1:]:   # DecoderNewHolder drops the leading recog task
            self.query_feat[task.name] = nn.Embedding(task.queries, D)
            self.query_embed[task.name] = nn.Embedding(task.queries, D)
        self.level_embed = nn.Embedding(len(cfg.levels), D)
        self.input_proj = nn.ModuleList(nn.Conv2d(cfg.width, D, 1) for _ in cfg.levels)
        if cfg.new_levels is not None:
            self.new_level_embed = nn.Embedding(len(cfg.new_levels), D)
            self.new_input_proj = nn.ModuleList(nn.Conv2d(cfg.width, D, 1) for _ in cfg.new_levels)
        L = cfg.decoder_layers
        self.transformer_self_attention_layers = nn.ModuleList(SelfAttentionLayer(D) for _ in range(L))
        self.transformer_cross_attention_layers = nn.ModuleList(CrossAttentionLayer(D) for _ in range(L))
        self.transformer_ffn_layers = nn.ModuleList(FFNLayer(D, cfg.ffn) for _ in range(L))
        self.adapt_pos2d = nn.Sequential(nn.Linear(D, D), nn.ReLU(), nn.Linear(D, D))


class ChannelNorm(nn.Module):
    """decoder.Norm2d: its weight/bias are also registered as ln.weight/ln.bias (same tensors),
    so an official state_dict lists them twice."""

    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.ln.weight = self.weight
        self.ln.bias = self.bias


class FeatureInterpreter(nn.Module):  # feature_v2
    def __init__(self, width, out_dim):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.head = nn.Sequential(nn.Linear(width, width, bias=False), nn.BatchNorm1d(width, eps=2e-5),
                                  nn.Linear(width, out_dim, bias=False), nn.BatchNorm1d(out_dim, eps=2e-5))


class ValueInterpreter(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, 1)


class MaskMlp(nn.Module):  # decoder.MLP(dim, dim, dim, 3)
    def __init__(self, dim):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(dim, dim) for _ in range(3))


class MapInterpreter(nn.Module):  # map_v2
    def __init__(self, dim):
        super().__init__()
        self.mask_map = nn.Sequential(nn.ConvTranspose2d(dim, dim, 2, stride=2), ChannelNorm(dim),
                                      nn.GELU(), nn.ConvTranspose2d(dim, dim, 2, stride=2))
        self.mask_embed = MaskMlp(dim)


class Heads(nn.Module):  # DecoderNewHolder (its out_modules hold no state)
    def __init__(self, cfg: FaceptorConfig):
        super().__init__()
        self.decoder = Decoder(cfg)
        self.interpreters = nn.ModuleDict()
        kinds = {t.interpreter for t in cfg.tasks}
        if "feature_v2" in kinds:
            self.interpreters["feature_v2"] = FeatureInterpreter(cfg.width, cfg.recog_dim)
        if "value" in kinds:
            self.interpreters["value"] = ValueInterpreter(cfg.hidden)
        if "map_v2" in kinds:
            self.interpreters["map_v2"] = MapInterpreter(cfg.hidden)


class CosFaceParams(nn.Module):  # loss/recog_loss.MarginCosineProductLoss
    def __init__(self, classes, dim):
        super().__init__()
        self.classifier = nn.Parameter(torch.empty(classes, dim))


class Losses(nn.Module):
    """Only the CosFace loss has parameters. A stage-2 run builds losses for its one main task
    (e.g. age_morph2, parameter-free), so its checkpoints hold no losses_module tensor at all:
    recog_classes=0 models that."""

    def __init__(self, cfg: FaceptorConfig):
        super().__init__()
        self.losses = nn.ModuleDict()
        if cfg.recog_classes:
            self.losses[cfg.tasks[0].name] = CosFaceParams(cfg.recog_classes, cfg.recog_dim)


class Faceptor(nn.Module):  # model_entry.AIOEntry
    def __init__(self, cfg: FaceptorConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.backbone_module = Backbone(cfg)
        self.heads_module = Heads(cfg)
        self.losses_module = Losses(cfg)


class FaceptorCheckpoint(nn.Module):
    """Stands in for the DDP wrapper: state_dict() names start with `module.` and carry the
    `_metadata` attribute an official torch.save'd state_dict has."""

    def __init__(self, cfg: FaceptorConfig):
        super().__init__()
        self.module = Faceptor(cfg)


# ---- random weights ----------------------------------------------------------------------------

@torch.no_grad()
def randomize(model: nn.Module, seed: int):
    """Random weights at a scale that keeps activations O(1) (no saturated sigmoid/softmax) and
    BatchNorm running statistics away from the identity so eval-mode BN is really tested."""
    g = torch.Generator().manual_seed(seed)

    def normal(t, std, mean=0.0):
        t.copy_(torch.randn(t.shape, generator=g, dtype=torch.float64) * std + mean)

    for name, m in model.named_modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            normal(m.weight, 1.0 / math.sqrt(m.weight[0].numel()))
        elif isinstance(m, nn.ConvTranspose2d):  # 2x2 stride 2: each output pixel sees C_in taps
            normal(m.weight, 1.0 / math.sqrt(m.weight.shape[0]))
        elif isinstance(m, (nn.LayerNorm, ChannelNorm, nn.BatchNorm1d)):
            normal(m.weight, 0.1, 1.0)
        elif isinstance(m, nn.Embedding):
            if ".query_embed." in f".{name}":   # the official query positions start uniform(0,1)
                m.weight.copy_(torch.rand(m.weight.shape, generator=g, dtype=torch.float64))
            else:
                normal(m.weight, 1.0)
        elif isinstance(m, MultiheadAttentionParams):
            normal(m.in_proj_weight, 1.0 / math.sqrt(m.in_proj_weight.shape[1]))
            normal(m.in_proj_bias, 0.1)
        elif isinstance(m, VisualTransformer):
            w = m.class_embedding.shape[0]
            normal(m.class_embedding, w ** -0.5)
            normal(m.positional_embedding, w ** -0.5)
            normal(m.proj, w ** -0.5)
        elif isinstance(m, CosFaceParams):
            m.classifier.copy_((torch.rand(m.classifier.shape, generator=g, dtype=torch.float64) * 2 - 1)
                               / math.sqrt(m.classifier.shape[1]))
        if getattr(m, "bias", None) is not None:   # ChannelNorm.ln shares (and redraws) these
            normal(m.bias, 0.1)
        if isinstance(m, nn.BatchNorm1d):
            normal(m.running_mean, 0.2)
            m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g, dtype=torch.float64))
            m.num_batches_tracked.fill_(50000)
    for m in model.modules():
        if isinstance(m, MaskMlp):
            # The mask logits sum D products of O(1) terms: 4/sqrt(D) keeps them near unit scale
            # at every width, so the landmark sigmoids are not saturated.
            m.layers[2].weight.mul_(4 / math.sqrt(m.layers[2].weight.shape[1]))


# ---- forward -----------------------------------------------------------------------------------

def attention(p: MultiheadAttentionParams, heads, query, key, value):
    """query (B, Lq, E), key/value (B, Lk, E) -> out (B, Lq, E), weights averaged over heads
    (B, Lq, Lk), as nn.MultiheadAttention with need_weights=True."""
    B, Lq, E = query.shape
    Lk = key.shape[1]
    Wq, Wk, Wv = p.in_proj_weight.chunk(3)
    bq, bk, bv = p.in_proj_bias.chunk(3)
    d = E // heads
    q = F.linear(query, Wq, bq).view(B, Lq, heads, d).transpose(1, 2)
    k = F.linear(key, Wk, bk).view(B, Lk, heads, d).transpose(1, 2)
    v = F.linear(value, Wv, bv).view(B, Lk, heads, d).transpose(1, 2)
    weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
    out = (weights @ v).transpose(1, 2).reshape(B, Lq, E)
    return p.out_proj(out), weights.mean(dim=1)


def layer_norm(ln: nn.LayerNorm, x):
    return F.layer_norm(x, ln.normalized_shape, ln.weight, ln.bias, ln.eps)


def resize_positional_table(table, S):
    """(1 + G*G, C) -> (1 + S*S, C): the grid part bicubic (align_corners=False), CLS row kept."""
    G = math.isqrt(table.shape[0] - 1)
    grid = table[1:].reshape(1, G, G, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(S, S), mode="bicubic", align_corners=False)
    return torch.cat([table[:1], grid.flatten(2)[0].t()], dim=0)


def encoder_forward(visual: VisualTransformer, heads, images):
    """images (B, 3, P*S, P*S), normalised -> list over blocks of (B, C, S, S), CLS dropped.
    ref: farl_vit.FaRLVisualFeatures.forward, ResidualAttentionBlock.forward"""
    x = F.conv2d(images, visual.conv1.weight, stride=visual.conv1.stride)
    B, C, S, _ = x.shape
    tokens = torch.cat([visual.class_embedding.expand(B, 1, C), x.flatten(2).transpose(1, 2)], dim=1)
    tokens = tokens + resize_positional_table(visual.positional_embedding, S)
    tokens = layer_norm(visual.ln_pre, tokens)
    maps = []
    for block in visual.transformer.resblocks:
        h = layer_norm(block.ln_1, tokens)
        tokens = tokens + attention(block.attn, heads, h, h, h)[0]
        h = block.mlp.c_fc(layer_norm(block.ln_2, tokens))
        tokens = tokens + block.mlp.c_proj(h * torch.sigmoid(1.702 * h))   # QuickGELU
        maps.append(tokens[:, 1:].transpose(1, 2).reshape(B, C, S, S))
    return maps


def anchor_sine_embedding(S, hidden, dtype):
    """(S*S, hidden): per token (row i, column j) the anchor y=(i+0.5)/S, x=(j+0.5)/S, each
    scaled by 2*pi and embedded with hidden/2 interleaved sin/cos features; y part first.
    ref: decoder.get_vis_token_pos_embed (mask2pos, pos2posemb2d)"""
    n = hidden // 2
    centers = (torch.arange(S, dtype=dtype) + 0.5) / S
    k = torch.arange(n, dtype=dtype)
    dim_t = 10000.0 ** (2 * torch.div(k, 2, rounding_mode="floor") / n)

    def embed(coord):  # (S, S) -> (S, S, n)
        a = coord[..., None] * (2 * math.pi) / dim_t
        out = torch.empty_like(a)
        out[..., 0::2] = a[..., 0::2].sin()
        out[..., 1::2] = a[..., 1::2].cos()
        return out

    y = centers[:, None].expand(S, S)
    x = centers[None, :].expand(S, S)
    return torch.cat([embed(y), embed(x)], dim=-1).reshape(S * S, hidden)


def decoder_memory(decoder: Decoder, cfg: FaceptorConfig, maps):
    """-> memory (B, M, D), pos (M, D), decoder_src (B, S*S, D): levels then new_levels.
    ref: decoder.TransformerDecoderLevelAddLevel.forward (its `levels[j] == 11` test for
    decoder_src is generalised to the last encoder block)"""
    S = maps[0].shape[-1]
    anchor = decoder.adapt_pos2d(anchor_sine_embedding(S, cfg.hidden, maps[0].dtype))
    entries = [(lvl, decoder.input_proj[j], decoder.level_embed.weight[j]) for j, lvl in enumerate(cfg.levels)]
    for j, lvl in enumerate(cfg.new_levels or []):
        entries.append((lvl, decoder.new_input_proj[j], decoder.new_level_embed.weight[j]))
    memory, pos, decoder_src = [], [], None
    for lvl, proj, level_embed in entries:
        tokens = proj(maps[lvl]).flatten(2).transpose(1, 2)
        memory.append(tokens)
        pos.append(anchor + level_embed)
        if lvl == cfg.last_level and decoder_src is None:
            decoder_src = tokens
    return torch.cat(memory, dim=1), torch.cat(pos, dim=0), decoder_src


def decoder_forward(decoder: Decoder, cfg: FaceptorConfig, task: str, memory, pos):
    """-> output (B, Q, D), cross-attention weights of every layer [(B, Q, M)].
    ref: decoder.CrossAttentionLayer / SelfAttentionLayer / FFNLayer .forward_post"""
    B = memory.shape[0]
    tgt = decoder.query_feat[task].weight.expand(B, -1, -1)
    query_pos = decoder.query_embed[task].weight
    key = memory + pos
    cross_weights = []
    for i in range(cfg.decoder_layers):
        cross = decoder.transformer_cross_attention_layers[i]
        out, w = attention(cross.multihead_attn, cfg.decoder_heads, tgt + query_pos, key, memory)
        tgt = layer_norm(cross.norm, tgt + out)
        cross_weights.append(w)
        self_layer = decoder.transformer_self_attention_layers[i]
        q = tgt + query_pos
        tgt = layer_norm(self_layer.norm, tgt + attention(self_layer.self_attn, cfg.decoder_heads, q, q, tgt)[0])
        ffn = decoder.transformer_ffn_layers[i]
        tgt = layer_norm(ffn.norm, tgt + ffn.linear2(F.relu(ffn.linear1(tgt))))
    return tgt, cross_weights


def batch_norm_eval(bn: nn.BatchNorm1d, x):
    return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)


def feature_interpreter(fi: FeatureInterpreter, last_map):
    """last_map (B, C, S, S) -> embedding (B, R). ref: decoder.FeatureInterpreter_v2"""
    x = layer_norm(fi.norm, last_map.flatten(2).transpose(1, 2)).mean(dim=1)
    x = batch_norm_eval(fi.head[1], fi.head[0](x))
    return batch_norm_eval(fi.head[3], fi.head[2](x))


def map_interpreter(mi: MapInterpreter, decoder_src, output):
    """decoder_src (B, S*S, D), output (B, Q, D) -> logits (B, Q, 4S, 4S).
    ref: decoder.MapInterpreter_V2, Norm2d, MLP"""
    B, HW, D = decoder_src.shape
    S = math.isqrt(HW)
    x = decoder_src.transpose(1, 2).reshape(B, D, S, S)
    up1, norm, up2 = mi.mask_map[0], mi.mask_map[1], mi.mask_map[3]
    x = F.conv_transpose2d(x, up1.weight, up1.bias, stride=2)
    x = F.layer_norm(x.permute(0, 2, 3, 1), (D,), norm.weight, norm.bias, 1e-6).permute(0, 3, 1, 2)
    x = F.conv_transpose2d(F.gelu(x), up2.weight, up2.bias, stride=2)
    e = output
    for i, layer in enumerate(mi.mask_embed.layers):
        e = layer(e) if i == 2 else F.relu(layer(e))
    return torch.einsum("bqc,bchw->bqhw", e, x)


def heatmap_points(heatmap):
    """(B, Q, H, W) non-negative -> (B, Q, 2) normalised (x, y): weighted mean of pixel indices
    over the whole map, then (p + 0.5) / size (geometry.heatmap2points)."""
    B, Q, H, W = heatmap.shape
    total = heatmap.sum(dim=(2, 3)).clamp(min=1e-6)
    ys = torch.arange(H, dtype=heatmap.dtype).view(1, 1, H, 1)
    xs = torch.arange(W, dtype=heatmap.dtype).view(1, 1, 1, W)
    x = (heatmap * xs).sum(dim=(2, 3)) / total
    y = (heatmap * ys).sum(dim=(2, 3)) / total
    return torch.stack([(x + 0.5) / W, (y + 0.5) / H], dim=-1)


def finalize(kind, head):
    """The user-facing output of one task from its raw head output.
    ref: evaluator/age_evaluator.py, task_specific_heads.AlignOutput"""
    if kind == "age":
        p = torch.sigmoid(head)
        p = p / p.sum(dim=1, keepdim=True)          # F.normalize(p=1) of positive values
        bins = torch.arange(head.shape[1], dtype=head.dtype)
        return {"probs": p, "age": (p * bins).sum(dim=1)}
    if kind == "biattr":
        return {"probs": torch.sigmoid(head)}
    if kind == "affect":
        return {"probs": torch.softmax(head, dim=1)}
    if kind == "align":
        return {"landmarks": heatmap_points(torch.sigmoid(head))}
    return {}  # parsing: the logits are the output (upsampling/argmax belong to post-processing)


def task_input_sizes(attribute_size=112, dense_size=512):
    """Which input size each task kind runs on (the released size groups)."""
    return {k: (attribute_size if k in ("recog", "age", "biattr", "affect") else dense_size) for k in TASK_KINDS}


@torch.no_grad()
def faceptor_forward(model: Faceptor, images: Dict[int, torch.Tensor], groups: Dict[str, int]):
    """images: {input size: (B, 3, size, size)}; groups: task kind -> input size (task_input_sizes).
    Returns {"encoder": {size: [maps]}, "pos": {size: (S*S, D)}, task name: {...}}."""
    cfg = model.cfg
    sizes = sorted(images)
    decoder = model.heads_module.decoder
    interp = model.heads_module.interpreters
    result = {"encoder": {}, "pos": {}}
    memories = {}
    for size in sizes:
        maps = encoder_forward(model.backbone_module.visual, cfg.encoder_heads, images[size])
        result["encoder"][size] = maps
        memories[size] = decoder_memory(decoder, cfg, maps)
        S = maps[0].shape[-1]
        result["pos"][size] = decoder.adapt_pos2d(anchor_sine_embedding(S, cfg.hidden, maps[0].dtype))
    for task in cfg.tasks:
        size = groups[task.kind]
        if task.kind == "recog":
            emb = feature_interpreter(interp["feature_v2"], result["encoder"][size][-1])
            result[task.name] = {"size": size, "head": emb, "embedding": emb}
            continue
        memory, pos, decoder_src = memories[size]
        output, cross = decoder_forward(decoder, cfg, task.name, memory, pos)
        if task.interpreter == "value":
            head = interp["value"].fc(output).squeeze(-1)
        else:
            head = map_interpreter(interp["map_v2"], decoder_src, output)
        entry = {"size": size, "decoder_output": output, "head": head, "cross_attn": cross}
        entry.update(finalize(task.kind, head))
        result[task.name] = entry
    return result


def farl_state_dict(visual: VisualTransformer):
    """A FaRL-style checkpoint body: {"visual.<name>": tensor} (plus the scalar a CLIP-style
    checkpoint also carries, which a loader must skip)."""
    sd = OrderedDict(("visual." + k, v) for k, v in visual.state_dict().items())
    sd["logit_scale"] = torch.tensor(4.6052)
    return sd
