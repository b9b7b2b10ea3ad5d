"""Metrics of a probabilistic multiclass classifier, as the field reports them.

Brier score and log loss follow Capper 2018 / Maros 2020 (the Brier score is
the multiclass sum over classes, averaged over samples). The expected
calibration error (ECE) is the top-label version with equal-width bins; no
anchor publishes it, we do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "PER_CLASS_METRICS",
    "REPORT_METRICS",
    "brier_score",
    "classification_report",
    "expected_calibration_error",
    "log_loss",
    "reliability_curve",
]


#: The figures of :func:`classification_report` (besides ``per_class``).
REPORT_METRICS = (
    "n_samples",
    "accuracy",
    "balanced_accuracy",
    "brier",
    "log_loss",
    "ece",
    "classified_fraction",
    "classified_accuracy",
    "family_accuracy",
)
#: The figures of each class in ``classification_report(...)["per_class"]``.
PER_CLASS_METRICS = ("sensitivity", "precision", "support")


def _onehot(y_idx: np.ndarray, n_classes: int) -> np.ndarray:
    out = np.zeros((len(y_idx), n_classes))
    out[np.arange(len(y_idx)), y_idx] = 1.0
    return out


def brier_score(proba: np.ndarray, y_idx: np.ndarray) -> float:
    """Mean over samples of the sum over classes of (p_k - y_k)^2."""
    proba = np.asarray(proba, dtype=float)
    return float(((proba - _onehot(y_idx, proba.shape[1])) ** 2).sum(axis=1).mean())


def log_loss(proba: np.ndarray, y_idx: np.ndarray, eps: float = 1e-15) -> float:
    """Mean negative log probability of the true class."""
    p = np.clip(np.asarray(proba, dtype=float)[np.arange(len(y_idx)), y_idx], eps, 1.0)
    return float(-np.log(p).mean())


def reliability_curve(
    proba: np.ndarray, y_idx: np.ndarray, n_bins: int = 10
) -> dict[str, list[float]]:
    """Confidence and accuracy of the top-label calls per equal-width score bin.

    Returns a dict with ``bin_lower``, ``bin_upper``, ``confidence`` (mean top
    score), ``accuracy`` and ``count`` per bin; empty bins have count 0 and
    NaN confidence and accuracy.
    """
    proba = np.asarray(proba, dtype=float)
    top = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y_idx
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(top, edges[1:-1], right=True), 0, n_bins - 1)
    conf, acc, count = [], [], []
    for b in range(n_bins):
        m = which == b
        count.append(int(m.sum()))
        conf.append(float(top[m].mean()) if m.any() else float("nan"))
        acc.append(float(correct[m].mean()) if m.any() else float("nan"))
    return {
        "bin_lower": edges[:-1].tolist(),
        "bin_upper": edges[1:].tolist(),
        "confidence": conf,
        "accuracy": acc,
        "count": count,
    }


def expected_calibration_error(proba: np.ndarray, y_idx: np.ndarray, n_bins: int = 10) -> float:
    """Top-label ECE: count-weighted mean |accuracy - confidence| over score bins."""
    curve = reliability_curve(proba, y_idx, n_bins)
    n = sum(curve["count"])
    total = 0.0
    for c, a, k in zip(curve["confidence"], curve["accuracy"], curve["count"], strict=True):
        if k:
            total += k * abs(a - c)
    return float(total / max(n, 1))


def classification_report(
    proba: np.ndarray,
    y_true: Sequence[str],
    classes: Sequence[str],
    class_families: Sequence[str],
    threshold: float = 0.9,
) -> dict:
    """All summary metrics of one set of probabilities.

    Parameters
    ----------
    proba : ndarray (n_samples, n_classes)
        Probabilities, columns in ``classes`` order.
    y_true : sequence of str
        True labels.
    classes, class_families : sequence of str
        Class labels and the family of each.
    threshold : float, default=0.9
        Score of a confident call.

    Returns
    -------
    dict
        ``accuracy``, ``balanced_accuracy``, ``brier``, ``log_loss``,
        ``ece``, ``classified_fraction`` and ``classified_accuracy`` at the
        threshold, ``family_accuracy``, and ``per_class`` (sensitivity,
        precision, support).
    """
    proba = np.asarray(proba, dtype=float)
    classes_arr = np.asarray(classes)
    index = {c: i for i, c in enumerate(classes_arr)}
    y_idx = np.array([index[str(c)] for c in y_true])
    pred = proba.argmax(axis=1)
    correct = pred == y_idx
    confident = proba.max(axis=1) >= threshold
    fam = np.asarray(class_families)
    family_correct = fam[pred] == fam[y_idx]
    per_class = {}
    recalls = []
    for i, c in enumerate(classes_arr):
        support = int((y_idx == i).sum())
        called = int((pred == i).sum())
        tp = int(((pred == i) & (y_idx == i)).sum())
        sens = tp / support if support else float("nan")
        if support:
            recalls.append(sens)
        per_class[str(c)] = {
            "sensitivity": sens,
            "precision": tp / called if called else float("nan"),
            "support": support,
        }
    return {
        "n_samples": len(y_idx),
        "accuracy": float(correct.mean()),
        "balanced_accuracy": float(np.mean(recalls)),
        "brier": brier_score(proba, y_idx),
        "log_loss": log_loss(proba, y_idx),
        "ece": expected_calibration_error(proba, y_idx),
        "classified_fraction": float(confident.mean()),
        "classified_accuracy": float(correct[confident].mean())
        if confident.any()
        else float("nan"),
        "family_accuracy": float(family_correct.mean()),
        "per_class": per_class,
    }
