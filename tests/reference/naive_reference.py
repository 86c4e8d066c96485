"""Our PyTorch implementation of Naive Faceptor (the paper's first design), the oracle for the C++
Naive Faceptor tests.

Written from /work/shared/DESIGN.md ("Naive Faceptor") and the official definitions (read, not
copied): faceptor_project/core/model/heads/task_specific_heads.py (RecognitionHead, SwinFaceHead,
_make_fpns, MMSEG_UPerHead), heads/cbam.py (ChannelGate), mmseg's UPerHead/PPM/BaseDecodeHead
(ConvModule = conv without bias, SyncBN eps 1e-5, ReLU; conv_seg with bias; align_corners False)
and expreiments/naive_faceptor/train_recog_age_biattr_affect_parsing_align.yaml. Module names
follow the official ones, so `NaiveCheckpoint(cfg).state_dict()` has an official checkpoint's
names (`module.heads_module.heads.<kind>.*`). The forward pass below is our own.

    cfg = NaiveConfig.tiny()
    ckpt = NaiveCheckpoint(cfg); randomize(ckpt, seed=0)
    out = naive_forward(ckpt.module.double(), {112: x112, 64: x64}, ref.task_input_sizes(112, 64))

Train mode: call `.train()` on the model first; BatchNorm then uses batch statistics and updates
its running statistics. Dropout is built with the config's rates (set them to 0 to compare with
the C++ model, whose dropout masks cannot match PyTorch's RNG).

Letters: B batch, C encoder width, S grid side, F attribute-head channels, D dense-head channels,
K a head's output channels.
"""
import dataclasses
import math
from typing import Dict, List

import torch
import torch.nn.functional as F
from torch import nn

import faceptor_reference as ref


@dataclasses.dataclass
class HeadSpec:
    name: str          # subnets_cfg key == task-name prefix
    type: str          # "recognition" | "attribute" | "dense"
    levels: List[int]  # encoder layers read ("indices")
    tasks: List[str]   # served tasks, output order
    outputs: List[int]  # each task's output count (attribute, dense)


@dataclasses.dataclass
class NaiveConfig:
    width: int = 768
    encoder_layers: int = 12
    encoder_heads: int = 12
    patch: int = 16
    pos_grid: int = 32
    proj_dim: int = 512
    recog_dim: int = 512
    recog_classes: int = 93431
    attribute_channels: int = 512
    gate_reduction: int = 16
    attribute_dropout: float = 0.5
    dense_channels: int = 512
    pool_scales: tuple = (1, 2, 3, 6)
    dense_dropout: float = 0.1
    heads: List[HeadSpec] = dataclasses.field(default_factory=lambda: [
        HeadSpec("recog", "recognition", [11], ["recog_ms1mv3"], []),
        HeadSpec("age", "attribute", [5, 7, 9, 11], ["age_morph2"], [101]),
        HeadSpec("biattr", "attribute", [5, 7, 9, 11], ["biattr_celeba"], [40]),
        HeadSpec("affect", "attribute", [5, 7, 9, 11], ["affect_affectnet", "affect_rafdb"], [7, 7]),
        HeadSpec("parsing", "dense", [3, 5, 7, 11], ["parsing_celebam"], [19]),
        HeadSpec("align", "dense", [3, 5, 7, 11], ["align_300w"], [68]),
    ])

    @staticmethod
    def tiny(**overrides):
        """The committed-fixture size: every dimension distinct, levels that are neither the
        default last four nor equal between head types, and a dense head serving two tasks."""
        base = dict(width=12, encoder_layers=5, encoder_heads=3, patch=8, pos_grid=4, proj_dim=10, recog_dim=20,
                    recog_classes=10, attribute_channels=16, dense_channels=6, heads=[
                        HeadSpec("recog", "recognition", [4], ["recog_ms1mv3"], []),
                        HeadSpec("age", "attribute", [0, 2, 3, 4], ["age_morph2"], [101]),
                        HeadSpec("biattr", "attribute", [0, 2, 3, 4], ["biattr_celeba"], [40]),
                        HeadSpec("affect", "attribute", [0, 2, 3, 4], ["affect_affectnet", "affect_rafdb"], [7, 7]),
                        HeadSpec("parsing", "dense", [0, 1, 3, 4], ["parsing_celebam", "parsing_lapa"], [19, 11]),
                        HeadSpec("align", "dense", [0, 1, 3, 4], ["align_aflw"], [19]),
                    ])
        base.update(overrides)
        return NaiveConfig(**base)

    def tasks(self):
        return [t for h in self.heads for t in h.tasks]


# ---- modules with the official names -----------------------------------------------------------

class ChannelGate(nn.Module):  # cbam.ChannelGate(gate_channels, reduction_ratio=16, ['avg', 'max'])
    def __init__(self, channels, reduction):
        super().__init__()
        self.mlp = nn.Sequential(nn.Flatten(), nn.Linear(channels, channels // reduction), nn.ReLU(),
                                 nn.Linear(channels // reduction, channels))


class SwinFaceHead(nn.Module):
    def __init__(self, cfg: NaiveConfig, spec: HeadSpec):
        super().__init__()
        F_ = cfg.attribute_channels
        self.conv = nn.ModuleList(nn.Conv2d(cfg.width, F_ // 4, 3, padding=1, bias=False) for _ in range(4))
        self.channel_attention = ChannelGate(F_, cfg.gate_reduction)
        self.norm = nn.BatchNorm1d(F_, eps=2e-5)
        p = cfg.attribute_dropout
        self.feature = nn.Sequential(nn.Linear(F_, F_), nn.ReLU(), nn.Dropout(p), nn.Linear(F_, F_), nn.ReLU(),
                                     nn.Dropout(p))
        self.fcs = nn.ModuleDict((t, nn.Linear(F_, n)) for t, n in zip(spec.tasks, spec.outputs))


class ConvModule(nn.Module):  # mmcv ConvModule with SyncBN: conv (no bias), bn, ReLU
    def __init__(self, cin, cout, k):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.activate = nn.ReLU()


class UPerHead(nn.Module):  # mmseg; state: conv_seg, psp_modules, bottleneck, lateral/fpn convs
    def __init__(self, width, channels, classes, pool_scales, dropout):
        super().__init__()
        self.conv_seg = nn.Conv2d(channels, classes, 1)
        self.dropout = nn.Dropout2d(dropout)
        self.psp_modules = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(s), ConvModule(width, channels, 1)) for s in pool_scales)
        self.bottleneck = ConvModule(width + len(pool_scales) * channels, channels, 3)
        self.lateral_convs = nn.ModuleList(ConvModule(width, channels, 1) for _ in range(3))
        self.fpn_convs = nn.ModuleList(ConvModule(channels, channels, 3) for _ in range(3))
        self.fpn_bottleneck = ConvModule(4 * channels, channels, 3)


class MmsegUPerHead(nn.Module):  # MMSEG_UPerHead: fpns (_make_fpns(16, C)) + head
    def __init__(self, cfg: NaiveConfig, spec: HeadSpec):
        super().__init__()
        C = cfg.width
        self.fpns = nn.ModuleList([
            nn.Sequential(nn.ConvTranspose2d(C, C, 2, stride=2), nn.BatchNorm2d(C), nn.GELU(),
                          nn.ConvTranspose2d(C, C, 2, stride=2)),
            nn.ConvTranspose2d(C, C, 2, stride=2), nn.Identity(), nn.MaxPool2d(2, 2)])
        self.head = UPerHead(C, cfg.dense_channels, sum(spec.outputs), cfg.pool_scales, cfg.dense_dropout)


class HeadsHolder(nn.Module):  # TaskSpecificHeadsHolder
    def __init__(self, cfg: NaiveConfig):
        super().__init__()
        self.heads = nn.ModuleDict()
        for spec in cfg.heads:
            if spec.type == "recognition":
                self.heads[spec.name] = ref.FeatureInterpreter(cfg.width, cfg.recog_dim)  # RecognitionHead
            elif spec.type == "attribute":
                self.heads[spec.name] = SwinFaceHead(cfg, spec)
            else:
                self.heads[spec.name] = MmsegUPerHead(cfg, spec)


class NaiveFaceptor(nn.Module):  # model_entry.AIOEntry
    def __init__(self, cfg: NaiveConfig):
        super().__init__()
        self.cfg = cfg
        enc = ref.FaceptorConfig(width=cfg.width, encoder_layers=cfg.encoder_layers, encoder_heads=cfg.encoder_heads,
                                 patch=cfg.patch, pos_grid=cfg.pos_grid, proj_dim=cfg.proj_dim)
        self.backbone_module = ref.Backbone(enc)
        self.heads_module = HeadsHolder(cfg)
        self.losses_module = nn.Module()
        self.losses_module.losses = nn.ModuleDict()
        if cfg.recog_classes:
            self.losses_module.losses["recog_ms1mv3"] = ref.CosFaceParams(cfg.recog_classes, cfg.recog_dim)


class NaiveCheckpoint(nn.Module):  # the DDP wrapper: names start with `module.`
    def __init__(self, cfg: NaiveConfig):
        super().__init__()
        self.module = NaiveFaceptor(cfg)


@torch.no_grad()
def randomize(model: nn.Module, seed: int):
    """Faceptor's randomisation for the shared parts, then the heads' layers at unit scale and
    BatchNorm running statistics away from the identity."""
    ref.randomize(model, seed)
    g = torch.Generator().manual_seed(seed + 1000)

    def normal(t, std, mean=0.0):
        t.copy_(torch.randn(t.shape, generator=g, dtype=torch.float64) * std + mean)

    for m in model.modules():
        if isinstance(m, nn.ConvTranspose2d):
            normal(m.weight, 1.0 / math.sqrt(m.weight.shape[0]))
            normal(m.bias, 0.1)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            normal(m.weight, 0.1, 1.0)
            normal(m.bias, 0.1)
            normal(m.running_mean, 0.2)
            m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g, dtype=torch.float64))
            m.num_batches_tracked.fill_(50000)


# ---- forward -----------------------------------------------------------------------------------

def recognition_head(head, maps, level):
    """ref: RecognitionHead.forward: LayerNorm over tokens, mean, Linear/BN/Linear/BN."""
    x = ref.layer_norm(head.norm, maps[level].flatten(2).transpose(1, 2)).mean(dim=1)
    return head.head(x)


def attribute_trunk(head: SwinFaceHead, maps, levels):
    """ref: SwinFaceHead.forward up to the per-task Linear -> (B, F)."""
    x = torch.cat([conv(maps[lvl]) for conv, lvl in zip(head.conv, levels)], dim=1)
    mlp = head.channel_attention.mlp
    att = mlp(x.mean(dim=(2, 3), keepdim=True)) + mlp(x.amax(dim=(2, 3), keepdim=True))  # avg, max pools
    x = F.relu(x * torch.sigmoid(att)[:, :, None, None])
    x = head.norm(x.amax(dim=(2, 3)))
    return head.feature(x)


def conv_module(m: ConvModule, x):
    return F.relu(m.bn(m.conv(x)))


def resize(x, like):
    return F.interpolate(x, size=like.shape[2:], mode="bilinear", align_corners=False)


def dense_logits(head: MmsegUPerHead, maps, levels):
    """ref: MMSEG_UPerHead.forward + mmseg UPerHead.forward -> (B, K, 4S, 4S)."""
    pyramid = [fpn(maps[lvl]) for fpn, lvl in zip(head.fpns, levels)]
    u = head.head
    top = pyramid[3]
    psp = [top] + [resize(conv_module(m[1], F.adaptive_avg_pool2d(top, m[0].output_size)), top)
                   for m in u.psp_modules]
    laterals = [conv_module(c, pyramid[i]) for i, c in enumerate(u.lateral_convs)]
    laterals.append(conv_module(u.bottleneck, torch.cat(psp, dim=1)))
    for i in range(3, 0, -1):
        laterals[i - 1] = laterals[i - 1] + resize(laterals[i], laterals[i - 1])
    outs = [conv_module(c, laterals[i]) for i, c in enumerate(u.fpn_convs)] + [laterals[3]]
    outs = [outs[0]] + [resize(o, outs[0]) for o in outs[1:]]
    x = conv_module(u.fpn_bottleneck, torch.cat(outs, dim=1))
    return u.conv_seg(u.dropout(x))


def naive_forward(model: NaiveFaceptor, images: Dict[int, torch.Tensor], groups: Dict[str, int]):
    """images: {input size: (B, 3, size, size)}; groups: task kind -> input size. Each head runs
    once per input size on the whole batch (its trunk shared by its tasks).
    Returns {"encoder": {size: [maps]}, task name: {"head": raw output, "probs"/"age"/...}}."""
    cfg = model.cfg
    visual = model.backbone_module.visual
    result = {"encoder": {s: ref.encoder_forward(visual, cfg.encoder_heads, x) for s, x in images.items()}}
    for spec in cfg.heads:
        head = model.heads_module.heads[spec.name]
        kind = spec.tasks[0].split("_")[0]
        size = groups[kind]
        maps = result["encoder"][size]
        if spec.type == "recognition":
            emb = recognition_head(head, maps, spec.levels[0])
            result[spec.tasks[0]] = {"size": size, "head": emb, "embedding": emb}
            continue
        if spec.type == "attribute":
            trunk = attribute_trunk(head, maps, spec.levels)
            for task in spec.tasks:
                out = head.fcs[task](trunk)
                result[task] = {"size": size, "head": out, **ref.finalize(kind, out)}
            continue
        logits = dense_logits(head, maps, spec.levels)
        start = 0
        for task, n in zip(spec.tasks, spec.outputs):
            out = logits[:, start:start + n]
            start += n
            result[task] = {"size": size, "head": out, **ref.finalize(kind, out)}
    return result


def output_weights(n, task_index, dtype=torch.float64):
    """The fixed weights of the training scalar: w_i = sin(0.7 i + 1.3 t) over a task's raw output
    flattened row-major (t = the task's index in config order); the C++ test computes the same."""
    i = torch.arange(n, dtype=dtype)
    return torch.sin(0.7 * i + 1.3 * task_index)


def training_scalar(cfg: NaiveConfig, out):
    """sum over tasks of sum(raw output * fixed weights)."""
    total = 0
    for t, task in enumerate(cfg.tasks()):
        raw = out[task]["head"].reshape(-1)
        total = total + (raw * output_weights(raw.numel(), t, raw.dtype)).sum()
    return total
