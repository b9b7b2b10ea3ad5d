"""Metrics of a probabilistic multiclass classifier, as the field reports them.

Brier score and log loss follow Capper 2018 / Maros 2020 (the Brier score is
the multiclass sum over classes, averaged over samples). The expected
calibration error (ECE) is the top-label version with equal-width bins; no
anchor publishes it, we do.

A figure that is undefined (the accuracy of zero confident calls, the
precision of a class never called) is ``None``, in memory as in JSON.
:class:`ClassificationReport` and :class:`ReliabilityCurve` are what
:func:`classification_report` and :func:`reliability_curve` return; each
converts to and from the JSON written in a model bundle's ``metrics.json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

__all__ = [
    "PER_CLASS_METRICS",
    "REPORT_METRICS",
    "ClassFigures",
    "ClassificationReport",
    "ReliabilityCurve",
    "brier_score",
    "classification_report",
    "expected_calibration_error",
    "log_loss",
    "reliability_curve",
    "wilson_interval",
]


#: The figures of a :class:`ClassificationReport` (besides ``per_class``), the
#: names a quality gate may use.
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
#: The figures of each class of a report (:class:`ClassFigures`).
PER_CLASS_METRICS = ("sensitivity", "precision", "support")


@dataclass(frozen=True)
class ClassFigures:
    """How one class fared in a :class:`ClassificationReport`.

    Attributes
    ----------
    sensitivity : float or None
        Share of the class's samples called as the class (recall); None when
        the class has no sample.
    precision : float or None
        Share of the calls of the class that were right; None when it was
        never called.
    support : int
        Samples of the class.
    """

    sensitivity: float | None
    precision: float | None
    support: int

    def to_json(self) -> dict[str, Any]:
        """The figures as a JSON object (names as in :data:`PER_CLASS_METRICS`)."""
        return _fields_json(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClassFigures:
        """Read what :meth:`to_json` wrote."""
        return cls(
            sensitivity=_figure(data["sensitivity"]),
            precision=_figure(data["precision"]),
            support=int(data["support"]),
        )


@dataclass(frozen=True)
class ClassificationReport:
    """All summary metrics of one set of probabilities; see :func:`classification_report`.

    Attributes
    ----------
    n_samples : int
    accuracy, balanced_accuracy : float or None
        Share of right top-class calls; mean of the per-class sensitivities.
    brier, log_loss, ece : float or None
        Multiclass Brier score, log loss and top-label expected calibration
        error (lower is better).
    classified_fraction : float or None
        Share of samples whose top score reached the threshold.
    classified_accuracy : float or None
        Accuracy of those confident calls; None when there was none.
    family_accuracy : float or None
        Share of calls in the true class's family.
    per_class : mapping of str to ClassFigures
        Each class's figures, in the order the report lists them.
    """

    n_samples: int
    accuracy: float | None
    balanced_accuracy: float | None
    brier: float | None
    log_loss: float | None
    ece: float | None
    classified_fraction: float | None
    classified_accuracy: float | None
    family_accuracy: float | None
    per_class: Mapping[str, ClassFigures]

    def figures(self) -> dict[str, float | int | None]:
        """The summary figures by name (:data:`REPORT_METRICS`), without ``per_class``."""
        return {name: getattr(self, name) for name in REPORT_METRICS}

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON object, ``per_class`` last."""
        return self.figures() | {
            "per_class": {label: figures.to_json() for label, figures in self.per_class.items()}
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClassificationReport:
        """Read what :meth:`to_json` wrote."""
        return cls(
            n_samples=int(data["n_samples"]),
            **{name: _figure(data[name]) for name in REPORT_METRICS if name != "n_samples"},
            per_class={
                str(label): ClassFigures.from_json(figures)
                for label, figures in data["per_class"].items()
            },
        )


@dataclass(frozen=True)
class ReliabilityCurve:
    """Confidence and accuracy of the top-label calls per score bin; see :func:`reliability_curve`.

    Attributes
    ----------
    bin_lower, bin_upper : tuple of float
        Edges of each bin; the last bin includes its upper edge.
    confidence : tuple of float or None
        Mean top score of the calls in each bin; None for an empty bin.
    accuracy : tuple of float or None
        Share of right calls in each bin; None for an empty bin.
    count : tuple of int
        Calls in each bin.
    """

    bin_lower: tuple[float, ...]
    bin_upper: tuple[float, ...]
    confidence: tuple[float | None, ...]
    accuracy: tuple[float | None, ...]
    count: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        """The curve as a JSON object of five lists, one entry per bin."""
        return _fields_json(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReliabilityCurve:
        """Read what :meth:`to_json` wrote."""
        return cls(
            bin_lower=tuple(float(v) for v in data["bin_lower"]),
            bin_upper=tuple(float(v) for v in data["bin_upper"]),
            confidence=tuple(_figure(v) for v in data["confidence"]),
            accuracy=tuple(_figure(v) for v in data["accuracy"]),
            count=tuple(int(v) for v in data["count"]),
        )


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


def reliability_curve(proba: np.ndarray, y_idx: np.ndarray, n_bins: int = 10) -> ReliabilityCurve:
    """Confidence and accuracy of the top-label calls per equal-width score bin.

    Bins are closed below and open above, ``[0.8, 0.9)``, the last one
    ``[0.9, 1.0]`` closed: a score of exactly 0.9 is a match at the 0.9
    threshold and falls in the bin of matches, as on the case page. Edges
    are ``i / n_bins``, so that 0.3 is the float 0.3 (``linspace`` gives
    0.30000000000000004). Empty bins have count 0 and None as confidence
    and accuracy.
    """
    proba = np.asarray(proba, dtype=float)
    top = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y_idx
    edges = np.arange(n_bins + 1) / n_bins
    which = np.clip(np.digitize(top, edges[1:-1], right=False), 0, n_bins - 1)
    conf: list[float | None] = []
    acc: list[float | None] = []
    count: list[int] = []
    for b in range(n_bins):
        m = which == b
        count.append(int(m.sum()))
        conf.append(float(top[m].mean()) if m.any() else None)
        acc.append(float(correct[m].mean()) if m.any() else None)
    return ReliabilityCurve(
        bin_lower=tuple(edges[:-1].tolist()),
        bin_upper=tuple(edges[1:].tolist()),
        confidence=tuple(conf),
        accuracy=tuple(acc),
        count=tuple(count),
    )


def expected_calibration_error(proba: np.ndarray, y_idx: np.ndarray, n_bins: int = 10) -> float:
    """Top-label ECE: count-weighted mean |accuracy - confidence| over score bins."""
    curve = reliability_curve(proba, y_idx, n_bins)
    n = sum(curve.count)
    total = 0.0
    for c, a, k in zip(curve.confidence, curve.accuracy, curve.count, strict=True):
        if k and a is not None and c is not None:
            total += k * abs(a - c)
    return float(total / max(n, 1))


def wilson_interval(successes: int, trials: int, z: float = 1.959963984540054) -> tuple:
    """Wilson score interval of a binomial proportion (95 % by default).

    Wilson (1927); unlike the normal approximation it stays inside [0, 1]
    and is sensible for 0 or all successes and for the 7-sample classes of
    a reference cohort (Brown, Cai & DasGupta 2001 recommend it for small n).

    Returns
    -------
    (lower, upper) : tuple of float, or (None, None) when ``trials`` is 0
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return (None, None)
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def classification_report(
    proba: np.ndarray,
    y_true: Sequence[str],
    classes: Sequence[str],
    class_families: Sequence[str],
    threshold: float = 0.9,
) -> ClassificationReport:
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
    ClassificationReport
        ``accuracy``, ``balanced_accuracy``, ``brier``, ``log_loss``,
        ``ece``, ``classified_fraction`` and ``classified_accuracy`` at the
        threshold, ``family_accuracy``, and ``per_class`` (sensitivity,
        precision, support), in ``classes`` order.
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
        if support:
            recalls.append(tp / support)
        per_class[str(c)] = ClassFigures(
            sensitivity=tp / support if support else None,
            precision=tp / called if called else None,
            support=support,
        )
    return ClassificationReport(
        n_samples=len(y_idx),
        accuracy=float(correct.mean()),
        balanced_accuracy=float(np.mean(recalls)),
        brier=brier_score(proba, y_idx),
        log_loss=log_loss(proba, y_idx),
        ece=expected_calibration_error(proba, y_idx),
        classified_fraction=float(confident.mean()),
        classified_accuracy=float(correct[confident].mean()) if confident.any() else None,
        family_accuracy=float(family_correct.mean()),
        per_class=per_class,
    )


def _figure(value: Any) -> float | None:
    """A figure read from JSON: a number, or None (null) where it was undefined."""
    if value is None:
        return None
    number = float(value)
    return None if number != number else number


def _fields_json(obj: Any) -> dict[str, Any]:
    """The fields of a flat dataclass as a JSON object, tuples as lists."""
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out
