#!/usr/bin/python3
"""Writes tests/fixtures/metrics.fxt: the official Faceptor evaluation metrics computed with NumPy
(and scipy's Simpson rule, as the official AUC uses) on seeded random inputs.

The formulas are our own NumPy restatement of faceptor_project/core/evaluator/*.py (align:
NME, AUC_FR; parsing: F1Score; age: AgeEvaluator_V2; affect: timm top-1; biattr:
binary_accuracy; recog: calculate_roc / calculate_accuracy with sklearn's KFold order), written
from reading that code, not copied from it. Run:
    /usr/bin/python3 tests/reference/make_metric_fixtures.py
"""
import pathlib
import sys

import numpy as np
from scipy.integrate import simpson  # scipy 1.10: even='avg', what the official simps did

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fixture_format import FixtureWriter  # noqa: E402

OUT = HERE.parent / "fixtures" / "metrics.fxt"
rng = np.random.default_rng(20240311)
w = FixtureWriter()


# ---- landmarks ----

def nme(pred, truth, unit):
    return float((np.linalg.norm(truth - pred, axis=-1) / unit).mean())


def eye_unit(truth, left, right):
    return float(np.linalg.norm(truth[left].mean(0) - truth[right].mean(0)))


def auc_fr(nmes, threshold, step=0.0001):
    nmes = np.sort(np.asarray(nmes))
    x = np.arange(0.0, threshold + step, step)
    ced = np.array([np.count_nonzero(nmes <= v) / len(nmes) for v in x])
    return simpson(ced, x=x) / threshold, 1.0 - ced[-1]


def landmark_case(name, points, norms, ced, samples=23, box=False):
    truth = rng.uniform(50, 450, size=(samples, points, 2))
    noise = rng.normal(0, 1, size=truth.shape) * rng.uniform(1, 25, size=(samples, 1, 1))
    pred = truth + noise
    boxes = np.stack([truth[:, :, 0].min(1) - 5, truth[:, :, 1].min(1) - 7,
                      truth[:, :, 0].max(1) + 3, truth[:, :, 1].max(1) + 4], axis=1)  # x1 y1 x2 y2
    truth, pred, boxes = (a.astype(np.float32) for a in (truth, pred, boxes))
    w.add(f"{name}/pred", pred)
    w.add(f"{name}/truth", truth)
    if box:
        w.add(f"{name}/box", boxes)
    per = {}
    for key, unit_fn in norms.items():
        per[key] = [nme(pred[i].astype(np.float64), truth[i].astype(np.float64),
                        unit_fn(truth[i].astype(np.float64), boxes[i].astype(np.float64)))
                    for i in range(samples)]
        w.add(f"{name}/nme_{key}", np.array([np.mean(per[key])]))
    if ced:
        key, threshold, suffix = ced
        auc, fr = auc_fr(per[key], threshold)
        w.add(f"{name}/auc_{suffix}", np.array([auc]))
        w.add(f"{name}/fr_{suffix}", np.array([fr]))


def box_unit(b):
    return np.sqrt((b[3] - b[1]) * (b[2] - b[0]))


def diag_unit(b):
    return np.sqrt((b[3] - b[1]) ** 2 + (b[2] - b[0]) ** 2)


landmark_case("nme_300w", 68, {
    "inter_ocular": lambda t, b: eye_unit(t, [36], [45]),
    "inter_pupil": lambda t, b: eye_unit(t, list(range(36, 42)), list(range(42, 48)))}, None)
landmark_case("nme_wflw", 98, {
    "inter_ocular": lambda t, b: eye_unit(t, [60], [72]),
    "inter_pupil": lambda t, b: eye_unit(t, [96], [97])}, ("inter_ocular", 0.1, "inter_ocular_10"))
landmark_case("nme_cofw", 29, {"inter_ocular": lambda t, b: eye_unit(t, [8], [9])},
              ("inter_ocular", 0.1, "inter_ocular_10"))
# AFLW: threshold 0.07 gives an even number of grid points (numpy's arange ends at 0.0701).
landmark_case("nme_aflw", 19, {
    "inter_ocular": lambda t, b: eye_unit(t, [6], [11]),
    "inter_pupil": lambda t, b: eye_unit(t, [7], [10]),
    "box": lambda t, b: box_unit(b),
    "diag": lambda t, b: diag_unit(b)}, ("box", 0.07, "box_7"), box=True)

# Simpson on an uneven grid, odd and even point counts.
for n in (7, 8):
    x = np.cumsum(rng.uniform(0.1, 1.0, size=n)).astype(np.float32)
    y = rng.normal(size=n).astype(np.float32)
    w.add(f"simpson_{n}/x", x)
    w.add(f"simpson_{n}/y", y)
    w.add(f"simpson_{n}/out", np.array([simpson(y.astype(np.float64), x=x.astype(np.float64))]))

# ---- parsing: confusion matrix over all images, F1 per class, mean over the non-background ----
classes, images, hw = 5, 3, (9, 11)
truth = rng.integers(0, classes, size=(images,) + hw)
pred = np.where(rng.uniform(size=truth.shape) < 0.6, truth, rng.integers(0, classes, size=truth.shape))
hist = np.zeros((classes, classes), dtype=np.int64)
for t, p in zip(truth, pred):
    hist += np.bincount(classes * t.reshape(-1) + p.reshape(-1), minlength=classes * classes).reshape(classes, classes)
f1 = 2 * np.diag(hist) / (hist.sum(0) + hist.sum(1))
w.add("parsing/truth", truth)
w.add("parsing/pred", pred)
w.add("parsing/f1", f1)
w.add("parsing/mean_f1", np.array([f1[1:].mean()]))  # class 0 is background

# ---- age ----
age_truth = rng.integers(1, 90, size=57).astype(np.float32)
age_pred = (age_truth + rng.normal(0, 6, size=57)).astype(np.float32)
err = age_pred.astype(np.float64) - age_truth
w.add("age/pred", age_pred)
w.add("age/truth", age_truth)
w.add("age/metrics", np.array([np.abs(err).mean(), (np.abs(err) <= 5).mean() * 100,
                               1 - np.mean(np.exp(-np.square(err) / (2 * 3.0 ** 2)))]))

# ---- expression: top-1 accuracy in percent ----
logits = rng.normal(size=(41, 7)).astype(np.float32)
labels = np.where(rng.uniform(size=41) < 0.5, logits.argmax(1), rng.integers(0, 7, size=41))
w.add("expression/logits", logits)
w.add("expression/labels", labels)
w.add("expression/accuracy", np.array([(logits.argmax(1) == labels).mean() * 100]))

# ---- attributes: round(sigmoid), per-attribute accuracy in percent, plain mean ----
att_logits = rng.normal(0, 2, size=(33, 40)).astype(np.float32)
att_labels = rng.integers(0, 2, size=(33, 40))
att_pred = np.round(1 / (1 + np.exp(-att_logits.astype(np.float64))))
per_attr = (att_pred == att_labels).mean(0) * 100
w.add("attributes/logits", att_logits)
w.add("attributes/labels", att_labels)
w.add("attributes/per_attribute", per_attr)
w.add("attributes/mean_accuracy", np.array([per_attr.mean()]))


# ---- verification: 10-fold accuracy, thresholds arange(0, 4, 0.01), KFold without shuffle ----
def kfold(n, k):
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    start = 0
    for s in sizes:
        test = np.arange(start, start + s)
        yield np.setdiff1d(np.arange(n), test), test
        start += s


def accuracy(threshold, dist, same):
    return float(np.sum(np.less(dist, threshold) == same)) / dist.size


pairs, dim = 47, 16  # 47 pairs: folds of 5 and 4
same = rng.uniform(size=pairs) < 0.5
e1 = rng.normal(size=(pairs, dim))
e2 = np.where(same[:, None], e1 + rng.normal(0, 1.3, size=(pairs, dim)), rng.normal(size=(pairs, dim)))
e1, e2 = e1.astype(np.float32), e2.astype(np.float32)
n1 = e1 / np.linalg.norm(e1.astype(np.float64), axis=1, keepdims=True)
n2 = e2 / np.linalg.norm(e2.astype(np.float64), axis=1, keepdims=True)
dist = np.sum(np.square(n1 - n2), 1)
thresholds = np.arange(0, 4, 0.01)
fold_acc = []
for train, test in kfold(pairs, 10):
    best = int(np.argmax([accuracy(t, dist[train], same[train]) for t in thresholds]))
    fold_acc.append(accuracy(thresholds[best], dist[test], same[test]))
w.add("verification/e1", e1)
w.add("verification/e2", e2)
w.add("verification/same", same.astype(np.float32))
w.add("verification/distance", dist)
w.add("verification/fold_accuracy", np.array(fold_acc))
w.add("verification/accuracy_std", np.array([np.mean(fold_acc), np.std(fold_acc)]))

w.write(OUT)
print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
