"""Writes tests/fixtures/optim.fxt: PyTorch optimizer trajectories, clip_grad_norm cases and the
learning-rate sequences of the released Faceptor schedulers, for tests/test_optimizer.cpp and
tests/test_schedule.cpp.

    /usr/bin/python3 tests/reference/make_optim_fixtures.py

Optimizer cases run torch.optim in float32 (the C++ optimizers mirror it in float32) over three
parameters in two groups:
  <case>/p<i>/init             initial values
  <case>/p<i>/grad<t>          the gradient fed at step t (absent: the parameter has no grad then)
  <case>/p<i>/after<t>         the parameter after step t
The base lr at step t is lr0 * (1 - 0.05 t) (the C++ test computes it the same way); group 1
trains at 10x. Schedules store lr sequences per group (multipliers 1 and 10), float64 rounded to
float32 by the format.
"""
import math
import os
import sys
from bisect import bisect_right

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_format import FixtureWriter  # noqa: E402

STEPS = 10
SHAPES = [(3, 4), (5,), (2, 3)]
GROUP_OF = [0, 0, 1]
MULTIPLIER = [1.0, 10.0]
MISSING = {(1, 3)}  # (parameter, step): no gradient, so torch skips it (its step does not advance)


def base_lrs(lr0):
    return [lr0 * (1.0 - 0.05 * t) for t in range(STEPS)]


def optimizer_case(w, name, make_optimizer, lr0, group_weight_decay):
    g = torch.Generator().manual_seed(sum(map(ord, name)))  # hash() is salted per process
    params = [torch.randn(s, generator=g).requires_grad_(True) for s in SHAPES]
    for i, p in enumerate(params):
        w.add(f"{name}/p{i}/init", p.detach().clone())
    groups = []
    for gi in range(2):
        groups.append({"params": [p for i, p in enumerate(params) if GROUP_OF[i] == gi],
                       "lr": lr0 * MULTIPLIER[gi], "weight_decay": group_weight_decay[gi]})
    opt = make_optimizer(groups)
    lrs = base_lrs(lr0)
    for t in range(STEPS):
        for gi, group in enumerate(opt.param_groups):
            group["lr"] = lrs[t] * MULTIPLIER[gi]
        for i, p in enumerate(params):
            if (i, t) in MISSING:
                p.grad = None
                continue
            # Every few steps a large gradient, so moments see a range of magnitudes.
            scale = 3.0 if t % 4 == 2 else 0.5
            p.grad = torch.randn(p.shape, generator=g) * scale
            w.add(f"{name}/p{i}/grad{t}", p.grad.clone())
        opt.step()
        for i, p in enumerate(params):
            w.add(f"{name}/p{i}/after{t}", p.detach().clone())  # add() keeps no copy


def clip_case(w, name, max_norm, scales):
    g = torch.Generator().manual_seed(len(name) * 31 + int(max_norm * 10))
    params = [torch.zeros(s, requires_grad=True) for s in SHAPES]
    for i, (p, scale) in enumerate(zip(params, scales)):
        p.grad = torch.randn(p.shape, generator=g) * scale
        w.add(f"{name}/grad{i}", p.grad.clone())
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    w.add(f"{name}/total", total.reshape(1))
    for i, p in enumerate(params):
        w.add(f"{name}/clipped{i}", p.grad)


class OfficialCosine:
    """core/lr_scheduler/base.py CosineLRScheduler re-derived: `base_lr` is the warm-up start,
    `warmup_lr` the peak; each group's lr is scale * its initial lr."""

    def __init__(self, initial_lrs, max_iter, eta_min, base_lr, warmup_lr, warmup_steps):
        self.initial_lrs, self.max_iter, self.eta_min = initial_lrs, max_iter, eta_min
        self.base_lr, self.warmup_steps = base_lr, warmup_steps
        self.warmup_lr = base_lr if warmup_steps == 0 else warmup_lr

    def lrs(self, it):
        if self.warmup_steps > 0 and it < self.warmup_steps:
            scale = ((it / self.warmup_steps) * (self.warmup_lr - self.base_lr) + self.base_lr) / self.base_lr
        else:
            ratio = (it - self.warmup_steps) / (self.max_iter - self.warmup_steps)
            target = self.eta_min + (self.warmup_lr - self.eta_min) * (1 + math.cos(math.pi * ratio)) / 2
            scale = target / self.base_lr
        return [scale * lr for lr in self.initial_lrs]


class OfficialStep(OfficialCosine):
    """StepLRScheduler: after warm-up, warmup_lr times the cumulative product of lr_mults."""

    def __init__(self, initial_lrs, lr_steps, lr_mults, base_lr, warmup_lr, warmup_steps):
        super().__init__(initial_lrs, 1, 0.0, base_lr, warmup_lr, warmup_steps)
        self.lr_steps = lr_steps
        self.cumulative = [1.0]
        for m in lr_mults:
            self.cumulative.append(self.cumulative[-1] * m)

    def lrs(self, it):
        if self.warmup_steps > 0 and it < self.warmup_steps:
            return super().lrs(it)
        scale = self.warmup_lr * self.cumulative[bisect_right(self.lr_steps, it)] / self.base_lr
        return [scale * lr for lr in self.initial_lrs]


def used_lrs(scheduler, initial_lrs, steps):
    """The lr each update uses in core/solver/solver.py run: the optimizer starts at its initial
    lrs and scheduler.step(t) runs after update t."""
    current, used = list(initial_lrs), []
    for t in range(steps):
        used.append(list(current))
        current = scheduler.lrs(t)
    return used


def schedule_cases(w):
    start, peak = 1e-6, 5e-5  # the stage-1 config: base_lr 1.e-6, warmup_lr 5.e-5, eta_min 0
    initial = [start * 1.0, start * 10.0]
    cosine = OfficialCosine(initial, max_iter=100, eta_min=0.0, base_lr=start, warmup_lr=peak, warmup_steps=20)
    its = range(120)  # past max_iter the released cosine rises again; kept as is
    w.add("cosine/lr", torch.tensor([cosine.lrs(i) for i in its], dtype=torch.float64))
    w.add("cosine/used", torch.tensor(used_lrs(cosine, initial, 120), dtype=torch.float64))
    cosine_min = OfficialCosine(initial, max_iter=50, eta_min=2e-6, base_lr=start, warmup_lr=peak, warmup_steps=7)
    w.add("cosine_eta/lr", torch.tensor([cosine_min.lrs(i) for i in range(50)], dtype=torch.float64))
    step = OfficialStep(initial, lr_steps=[30, 60], lr_mults=[0.1, 0.5], base_lr=start, warmup_lr=peak,
                        warmup_steps=10)
    w.add("step/lr", torch.tensor([step.lrs(i) for i in range(80)], dtype=torch.float64))


def main():
    torch.manual_seed(0)
    w = FixtureWriter()
    adamw = lambda groups: torch.optim.AdamW(groups, lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    optimizer_case(w, "adamw", adamw, 1e-2, [0.05, 0.05])
    optimizer_case(w, "adamw_mixed_decay", adamw, 1e-2, [0.05, 0.0])
    optimizer_case(w, "adamw_no_decay", adamw, 1e-2, [0.0, 0.0])
    sgd = lambda groups: torch.optim.SGD(groups, lr=1e-2, momentum=0.9)
    optimizer_case(w, "sgd_momentum", sgd, 1e-2, [1e-3, 0.0])
    nesterov = lambda groups: torch.optim.SGD(groups, lr=1e-2, momentum=0.9, nesterov=True)
    optimizer_case(w, "sgd_nesterov", nesterov, 1e-2, [1e-3, 1e-2])
    plain = lambda groups: torch.optim.SGD(groups, lr=1e-2)
    optimizer_case(w, "sgd_plain", plain, 1e-2, [0.0, 1e-3])
    clip_case(w, "clip_large", 5.0, [3.0, 2.0, 4.0])  # total norm above 5: scaled down
    clip_case(w, "clip_small", 5.0, [0.1, 0.2, 0.1])  # below: coef clamps to 1
    clip_case(w, "clip_tight", 0.5, [1.0, 1.0, 1.0])
    schedule_cases(w)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "optim.fxt")
    w.write(out)
    print(f"wrote {len(w.tensors)} tensors to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
