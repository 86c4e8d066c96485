"""The training side of our PyTorch Faceptor reference: the six task losses, the LossesHolder
total, the joint forward (one encoder pass per input size), the optimizer's parameter groups and
one training step (backward, clip_grad_norm_ at 5, AdamW). The oracle for tests/test_train_step.cpp.

Written from the official code (lxq1000/Faceptor faceptor_project/core/), independently of our
C++ ports in nn/losses/:
  model/loss/{recog,age,biattr,affect,parsing,align}_loss.py   the losses ("tloss" per task)
  model/loss/__init__.py LossesHolder                            total = sum w_t tloss_t / sum w_t
  config.py (task_weight)                                        the per-type reweighting
  model/model_entry.py AIOEntry.forward_backbone                 one encoder pass per size group
  model/heads/task_specific_heads.py ParsingOutput, AlignOutput  what each loss receives
  model/geometry.py, ext/p2i_ops                                 landmark points and target heatmaps
  solver/solver.py create_optimizer, run                         param groups, clipping, AdamW

    model = ref.Faceptor(cfg).double().train()
    batches = [TaskBatch("age_morph2", images, {"age": ages}), ...]
    result = training_forward(model, batches, task_weights)
    result["total"].backward()

naive_training_forward does the same for Naive Faceptor (naive_reference.py): each task's head on
its own rows, as the official TaskSpecificHeadsHolder (the fixtures run it with dropout 0).

Everything runs in the dtype of the model (float64 for the fixtures). Dropout is 0 in the released
decoder and drop path is left out (the fixtures use drop path 0), so the only train-mode layers are
the recognition interpreter's two BatchNorm1d (batch statistics, running statistics updated).
"""
import dataclasses
import math
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F

import faceptor_reference as ref

# config.py task_weight of the stage-1 yaml files (train_recog_age_biattr_affect_parsing_align*.yaml)
STAGE1_TYPE_WEIGHTS = {"recog": 5.0, "age": 6.0, "biattr": 2.0, "affect": 5.0, "parsing": 100.0, "align": 1000.0}
# and the tasks' loss_weight in the Base yaml
STAGE1_LOSS_WEIGHTS = {"recog_ms1mv3": 128.0, "age_morph2": 32.0, "biattr_celeba": 32.0, "affect_affectnet": 32.0,
                       "affect_rafdb": 8.0, "parsing_celebam": 2.0, "align_300w": 2.0}
COSFACE_SCALE, COSFACE_MARGIN = 64.0, 0.4     # recog task's loss kwargs
AGE_BINS, AGE_SIGMA = 101, 2.0                # age_dataset.py normal_sampling(std=2), range(101)
ALIGN_RADIUS = 5.0                            # align task's loss kwargs heatmap_radius


def reweight_tasks(loss_weights: Dict[str, float], type_weights: Dict[str, float]) -> Dict[str, float]:
    """config.py: a task's loss_weight / (sum of loss_weight over tasks of its type) * task_weight[type];
    a type without an entry in type_weights keeps its loss_weight."""
    sums = {}
    for name, w in loss_weights.items():
        sums[name.split("_")[0]] = sums.get(name.split("_")[0], 0.0) + float(w)
    out = {}
    for name, w in loss_weights.items():
        kind = name.split("_")[0]
        out[name] = w / sums[kind] * type_weights[kind] if kind in type_weights else w
    return out


# ---- the six losses (each returns {"tloss": (), term name: ()}) ----------------------------------

def cosface_loss(embedding, classifier, identity, scale=COSFACE_SCALE, margin=COSFACE_MARGIN):
    """recog_loss.MarginCosineProductLoss.forward / cosine_sim."""
    ip = embedding @ classifier.t()
    norms = torch.ger(embedding.norm(2, 1), classifier.norm(2, 1)).clamp(min=1e-8)
    cosine = ip / norms
    one_hot = torch.zeros_like(cosine).scatter_(1, identity.view(-1, 1), 1.0)
    loss = F.cross_entropy(scale * (cosine - one_hot * margin), identity)
    return {"tloss": loss}


def age_label_distribution(ages, dtype, bins=AGE_BINS, sigma=AGE_SIGMA):
    """age_dataset.py __getitem__: normal_sampling(age, k) for k in range(101), F.normalize(p=1)."""
    k = torch.arange(bins, dtype=dtype)
    dis = torch.exp(-(k[None, :] - ages.to(dtype)[:, None]) ** 2 / (2 * sigma ** 2)) / (math.sqrt(2 * math.pi) * sigma)
    return F.normalize(dis, p=1, dim=1)


def age_dldl_loss(logits, ages):
    """age_loss.AgeLoss_DLDLV2.forward: kl (KLDivLoss(reduce=False) summed / batch) + l1 (mean)."""
    p = F.normalize(torch.sigmoid(logits), p=1, dim=1)
    dis = age_label_distribution(ages, logits.dtype, logits.shape[1])
    kl = F.kl_div(torch.log(p), dis, reduction="none")
    kl = kl.sum() / kl.shape[0]
    rank = torch.arange(logits.shape[1], dtype=logits.dtype)
    l1 = F.l1_loss((p * rank).sum(dim=1), ages.to(logits.dtype))
    return {"tloss": kl + l1, "kl": kl, "l1": l1}


def attribute_loss(logits, targets):
    """biattr_loss.CEL_Sigmoid.forward (sample_weight None, size_average True): -1 labels masked,
    sum divided by the batch size."""
    mask = (targets != -1).to(logits.dtype)
    loss = F.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype), weight=mask, reduction="none")
    return {"tloss": loss.sum() / logits.shape[0]}


def expression_loss(logits, labels):
    """affect_loss.MyCrossEntropyLoss: nn.CrossEntropyLoss()."""
    return {"tloss": F.cross_entropy(logits, labels)}


def parsing_loss(logits, labels):
    """task_specific_heads.ParsingOutput (bilinear resize to the label size, channels last) then
    parsing_loss.ParsingLoss: per-pixel cross entropy, reduction none, mean over every pixel."""
    resized = F.interpolate(logits, size=tuple(labels.shape[-2:]), mode="bilinear", align_corners=False)
    resized = resized.permute(0, 2, 3, 1)
    channels = resized.shape[-1]
    loss = F.cross_entropy(resized.reshape(-1, channels), labels.reshape(-1), reduction="none").mean()
    return {"tloss": loss}


def normalize_points(points, h, w):   # geometry.normalize_points, points (B, P, (x, y))
    return (points + 0.5) / torch.tensor([[[w, h]]], dtype=points.dtype)


def heatmap2points(heatmap):
    """geometry.heatmap2points (t_scale None): (B, P, H, W) -> normalised (B, P, (x, y))."""
    _, _, h, w = heatmap.shape
    yy, xx = torch.meshgrid(torch.arange(h, dtype=heatmap.dtype), torch.arange(w, dtype=heatmap.dtype), indexing="ij")
    total = torch.clamp(heatmap.sum([2, 3]), min=1e-6)
    y = (yy * heatmap).sum([2, 3]) / total
    x = (xx * heatmap).sum([2, 3]) / total
    return normalize_points(torch.stack([x, y], dim=-1), h, w)


def points2heatmap(normalized_points, size, radius):
    """geometry.points2heatmap with p2i (kernel gaussian_awing, reduce max, background 0): per point
    its own map; pixel (x, y) within distance r <= radius of the point (denormalised to heatmap
    pixels, p * size - 0.5) gets exp(-r^2 * 16 / 2 / radius^2), every other pixel 0."""
    h, w = size
    points = normalized_points * torch.tensor([[[w, h]]], dtype=normalized_points.dtype) - 0.5
    ys = torch.arange(h, dtype=points.dtype).view(1, 1, h, 1)
    xs = torch.arange(w, dtype=points.dtype).view(1, 1, 1, w)
    dx = xs - points[..., 0, None, None]
    dy = ys - points[..., 1, None, None]
    r = torch.sqrt(dx * dx + dy * dy)
    weight = torch.exp(-r * r * 16 / 2 / radius / radius)
    return torch.where(r <= radius, weight, torch.zeros_like(weight))


def landmark_loss(heatmap_logits, landmarks, input_size, heatmap_size, radius=ALIGN_RADIUS):
    """task_specific_heads.AlignOutput (sigmoid) + align_loss.AlignLoss.forward."""
    pred = heatmap2points(torch.sigmoid(heatmap_logits))
    target = normalize_points(landmarks.to(heatmap_logits.dtype), input_size, input_size)
    coord = (target - pred).norm(dim=-1).mean()
    resized = F.interpolate(heatmap_logits, (heatmap_size, heatmap_size), mode="bilinear", align_corners=False)
    heatmap = points2heatmap(target, (heatmap_size, heatmap_size), radius)
    bce = F.binary_cross_entropy_with_logits(resized, heatmap, reduction="none").mean()
    return {"tloss": coord + bce, "coord": coord, "heatmap": bce}


# ---- the joint forward ---------------------------------------------------------------------------

@dataclasses.dataclass
class TaskBatch:
    task: str
    images: torch.Tensor             # (B, 3, S, S) normalised
    labels: Dict[str, torch.Tensor]  # identity | age | attributes | expression | parsing | landmarks


def task_loss(cfg, model, task, head, labels, input_size):
    kind = task.kind
    if kind == "recog":
        return cosface_loss(head, model.losses_module.losses[task.name].classifier, labels["identity"])
    if kind == "age":
        return age_dldl_loss(head, labels["age"])
    if kind == "biattr":
        return attribute_loss(head, labels["attributes"])
    if kind == "affect":
        return expression_loss(head, labels["expression"])
    if kind == "parsing":
        return parsing_loss(head, labels["parsing"])
    # align: heatmap 128 at input 512 in the released config, i.e. the head's own resolution
    return landmark_loss(head, labels["landmarks"], input_size, input_size // 4)


def training_forward(model: "ref.Faceptor", batches: List[TaskBatch], task_weights: Dict[str, float]):
    """model_entry.AIOEntry.forward in train mode. Batches are grouped by image size in the order
    given (the released size groups list the 112 tasks, then the 512 ones); each group's images are
    concatenated and go through the encoder once; each task's slice of every block's map then goes
    through the decoder (its own input projections and memory, as the official decoder is called
    per task) and its interpreter, then its loss. Returns {"total", "tloss": {task: ()},
    "terms": {task: {name: ()}}}."""
    cfg = model.cfg
    specs = {t.name: t for t in cfg.tasks}
    decoder = model.heads_module.decoder
    interp = model.heads_module.interpreters
    sizes = []
    for b in batches:
        if b.images.shape[-1] not in sizes:
            sizes.append(b.images.shape[-1])
    tloss, terms = {}, {}
    for size in sizes:
        group = [b for b in batches if b.images.shape[-1] == size]
        maps = ref.encoder_forward(model.backbone_module.visual, cfg.encoder_heads, torch.cat([b.images for b in group]))
        start = 0
        for b in group:
            task = specs[b.task]
            n = b.images.shape[0]
            task_maps = [m[start:start + n] for m in maps]
            start += n
            if task.kind == "recog":
                # FeatureInterpreter_v2: LayerNorm, mean over tokens, Linear, BatchNorm1d, Linear,
                # BatchNorm1d: the BatchNorms run as modules, in whatever mode the model is in.
                fi = interp["feature_v2"]
                x = ref.layer_norm(fi.norm, task_maps[-1].flatten(2).transpose(1, 2)).mean(dim=1)
                head = fi.head(x)
            else:
                memory, pos, decoder_src = ref.decoder_memory(decoder, cfg, task_maps)
                output, _ = ref.decoder_forward(decoder, cfg, task.name, memory, pos)
                if task.interpreter == "value":
                    head = interp["value"].fc(output).squeeze(-1)
                else:
                    head = ref.map_interpreter(interp["map_v2"], decoder_src, output)
            out = task_loss(cfg, model, task, head, b.labels, size)
            tloss[task.name] = out.pop("tloss")
            terms[task.name] = out
    # LossesHolder: weights of every task in the config (all of them have a batch here)
    weight_sum = sum(float(task_weights[t]) for t in tloss)
    total = sum(tloss[t] * task_weights[t] for t in tloss) / weight_sum
    return {"total": total, "tloss": tloss, "terms": terms}


def naive_training_forward(model, batches: List[TaskBatch], task_weights: Dict[str, float]):
    """AIOEntry.forward in train mode for Naive Faceptor (naive_reference.NaiveFaceptor): the same
    size groups and one encoder pass per group as training_forward; then, as
    TaskSpecificHeadsHolder.forward, heads[task.split("_")[0]] runs on each task's own slice (its
    BatchNorm statistics are that task's rows; a head serving two tasks runs twice). A dense head
    computes all its channels and the task keeps its range (MMSEG_UPerHead out_ranges); an
    attribute head applies the task's fcs Linear. Returns what training_forward returns."""
    import naive_reference as naive
    cfg = model.cfg
    spec_of = {t: h for h in cfg.heads for t in h.tasks}
    sizes = []
    for b in batches:
        if b.images.shape[-1] not in sizes:
            sizes.append(b.images.shape[-1])
    tloss, terms = {}, {}
    for size in sizes:
        group = [b for b in batches if b.images.shape[-1] == size]
        maps = ref.encoder_forward(model.backbone_module.visual, cfg.encoder_heads, torch.cat([b.images for b in group]))
        start = 0
        for b in group:
            spec = spec_of[b.task]
            n = b.images.shape[0]
            task_maps = [m[start:start + n] for m in maps]
            start += n
            head_module = model.heads_module.heads[spec.name]
            if spec.type == "recognition":
                head = naive.recognition_head(head_module, task_maps, spec.levels[0])
            elif spec.type == "attribute":
                head = head_module.fcs[b.task](naive.attribute_trunk(head_module, task_maps, spec.levels))
            else:
                logits = naive.dense_logits(head_module, task_maps, spec.levels)
                i = spec.tasks.index(b.task)
                first = sum(spec.outputs[:i])
                head = logits[:, first:first + spec.outputs[i]]
            out = task_loss(cfg, model, _LossTask(b.task, b.task.split("_")[0]), head, b.labels, size)
            tloss[b.task] = out.pop("tloss")
            terms[b.task] = out
    weight_sum = sum(float(task_weights[t]) for t in tloss)
    total = sum(tloss[t] * task_weights[t] for t in tloss) / weight_sum
    return {"total": total, "tloss": tloss, "terms": terms}


@dataclasses.dataclass
class _LossTask:   # what task_loss reads of a task
    name: str
    kind: str


# ---- optimizer ---------------------------------------------------------------------------------

MULTIPLIERS = {"backbone": 1.0, "interpreters": 10.0, "decoder": 10.0, "heads": 10.0, "losses": 10.0}
# expreiments/naive_faceptor/train_recog_age_biattr_affect_parsing_align.yaml: backbone_multiplier
# 0.1, heads_multiplier 1; the others unset (solver.py's cfg.get(..., 1.0)).
NAIVE_MULTIPLIERS = {"backbone": 0.1, "interpreters": 1.0, "decoder": 1.0, "heads": 1.0, "losses": 1.0}


def lr_multiplier(module_name: str, multipliers=MULTIPLIERS) -> float:
    """solver.create_optimizer's rule on the owning module's dotted name."""
    m = 1.0
    if "backbone" in module_name:
        m *= multipliers["backbone"]
    if "heads" in module_name:
        if "interpreters" in module_name:
            m *= multipliers["interpreters"]
        elif "decoder" in module_name:
            m *= multipliers["decoder"]
        else:
            m *= multipliers["heads"]
    if "losses_module" in module_name:
        m *= multipliers["losses"]
    return m


def official_param_groups(wrapper: torch.nn.Module, lr: float, weight_decay: float, multipliers=MULTIPLIERS):
    """One group per parameter, as solver.create_optimizer builds them (named_modules order, shared
    tensors once, weight decay on everything). Returns (groups, {id(param): (full name, multiplier)})."""
    memo, groups, info = set(), [], {}
    for module_name, module in wrapper.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            if not p.requires_grad or p in memo:
                continue
            memo.add(p)
            mult = lr_multiplier(module_name, multipliers)
            groups.append({"params": [p], "lr": lr * mult, "weight_decay": weight_decay})
            info[id(p)] = (f"{module_name}.{pname}", mult)
    return groups, info


def clip_grad_norm(parameters, max_norm):
    """torch.nn.utils.clip_grad_norm_ (L2, 1.13), returning (total norm, the coefficient applied)."""
    params = [p for p in parameters if p.grad is not None]
    total = torch.norm(torch.stack([torch.norm(p.grad.detach(), 2) for p in params]), 2)
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for p in params:
        p.grad.detach().mul_(coef)
    return float(total), float(coef)


def converted_name(official: str) -> str:
    """Our converter's renaming (faceptor/convert.h) of a Faceptor or Naive Faceptor checkpoint name."""
    name = official[len("module."):] if official.startswith("module.") else official
    for old, new in (("backbone_module.visual.", "encoder."), ("heads_module.decoder.", "decoder."),
                     ("heads_module.interpreters.", "interpreters."), ("heads_module.heads.", "heads."),
                     ("losses_module.losses.", "losses.")):
        if name.startswith(old):
            return new + name[len(old):]
    raise ValueError(f"unexpected parameter name {official}")


def named_unique_parameters(wrapper) -> List[Tuple[str, torch.nn.Parameter]]:
    """(converted name, parameter), each tensor once (the Norm2d ln.* alias is skipped)."""
    return [(converted_name(n), p) for n, p in wrapper.named_parameters()]
