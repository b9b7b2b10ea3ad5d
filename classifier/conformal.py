"""Split-conformal prediction sets, and how to measure their coverage honestly.

A prediction set lists every class whose calibrated score is high enough
that it cannot be excluded. Split (inductive) conformal prediction (Vovk et
al. 2005; Angelopoulos & Bates 2021) makes the level a guarantee: with a
nonconformity score ``s = 1 - p(true class)``, calibration scores
``s_1..s_n`` of samples the scoring model **did not see**, and
``q`` the ``ceil((n + 1)(1 - alpha))``-th smallest of them, a new sample
exchangeable with the calibration samples has its true class in
``{k : 1 - p_k <= q}`` with probability at least ``1 - alpha``. When
``ceil((n + 1)(1 - alpha)) > n`` no finite quantile works and the set is
every class (``q = 1``).

The guarantee is marginal (over samples), and holds only for the model that
scored the calibration samples. A class-conditional guarantee needs the
same quantile per class, hence at least ``(1 - alpha) / alpha`` calibration
samples of the class (19 at ``alpha = 0.05``): with the reference cohort's
7-sample classes it is impossible, which :func:`classes_without_guarantee`
names.

:func:`split_within_folds` measures the coverage of the construction on a
nested cross-validation without any further fit: each outer model's test
split is halved, the quantile taken from one half (scores of that outer
model on samples it never saw) and applied to the other, and back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "CoverageResult",
    "classes_without_guarantee",
    "conformal_quantile",
    "min_calibration_size",
    "prediction_sets",
    "split_within_folds",
]


def conformal_quantile(proba: np.ndarray, y_idx: np.ndarray, alpha: float) -> float:
    """Split-conformal threshold on the nonconformity ``1 - p(true class)``.

    Parameters
    ----------
    proba : ndarray (n_samples, n_classes)
        Calibrated probabilities of calibration samples the scoring model did not see.
    y_idx : ndarray of int (n_samples,)
        True class index of each.
    alpha : float
        Miscoverage allowed, in (0, 1).

    Returns
    -------
    float
        The ``ceil((n + 1)(1 - alpha))``-th smallest nonconformity score, or
        1.0 (every class in every set) when there are too few samples for it.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    proba = np.asarray(proba, dtype=float)
    y_idx = np.asarray(y_idx, dtype=int)
    scores = np.sort(1.0 - proba[np.arange(len(y_idx)), y_idx])
    rank = int(np.ceil((len(scores) + 1) * (1.0 - alpha)))
    if rank > len(scores):
        return 1.0
    return float(scores[rank - 1])


def prediction_sets(proba: np.ndarray, quantile: float) -> np.ndarray:
    """Boolean membership matrix: class ``k`` is in the set when ``1 - p_k <= quantile``."""
    return (1.0 - np.asarray(proba, dtype=float)) <= quantile


def min_calibration_size(alpha: float) -> int:
    """Fewest calibration samples for which the conformal quantile is finite.

    ``ceil((n + 1)(1 - alpha)) <= n`` first holds at ``n = ceil((1 - alpha) / alpha)``
    (19 at ``alpha = 0.05``); with fewer, the set must hold every class.
    """
    n = 1
    while np.ceil((n + 1) * (1.0 - alpha)) > n:
        n += 1
    return n


def classes_without_guarantee(y: np.ndarray, alpha: float) -> list[str]:
    """Classes with too few samples for a class-conditional conformal guarantee.

    Parameters
    ----------
    y : ndarray of str
        Labels of the calibration samples.
    alpha : float
        Miscoverage.
    """
    labels, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
    needed = min_calibration_size(alpha)
    return [str(label) for label, n in zip(labels, counts, strict=True) if n < needed]


@dataclass(frozen=True)
class CoverageResult:
    """Empirical coverage of prediction sets on held-out samples.

    Attributes
    ----------
    covered : ndarray of bool (n_samples,)
        Whether each sample's true class was in its set.
    set_size : ndarray of int (n_samples,)
        Classes in each sample's set.
    quantiles : tuple of float
        Each quantile used (one per calibration half).
    """

    covered: np.ndarray
    set_size: np.ndarray
    quantiles: tuple[float, ...]

    @property
    def coverage(self) -> float:
        """Share of samples whose set held the true class."""
        return float(self.covered.mean())

    @property
    def mean_set_size(self) -> float:
        """Mean number of classes per set."""
        return float(self.set_size.mean())

    def per_class(self, y_idx: np.ndarray, n_classes: int) -> np.ndarray:
        """Coverage of each class's samples (NaN for a class without any)."""
        y_idx = np.asarray(y_idx, dtype=int)
        hits = np.bincount(y_idx, weights=self.covered, minlength=n_classes)
        counts = np.bincount(y_idx, minlength=n_classes)
        return np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)


def split_within_folds(
    proba: np.ndarray,
    y_idx: np.ndarray,
    fold: np.ndarray,
    alpha: float,
    seed: int = 0,
) -> CoverageResult:
    """Coverage of split-conformal sets calibrated inside each outer test split.

    Every outer fold's test samples were scored by one model that never saw
    them; they are split at random into two halves, the quantile of one half
    makes the sets of the other, and back. Each half is therefore a proper
    split-conformal calibration set for that model, and the guarantee holds
    for every sample.

    Parameters
    ----------
    proba : ndarray (n_samples, n_classes)
        Outer out-of-fold calibrated probabilities.
    y_idx : ndarray of int
        True class indices.
    fold : ndarray of int
        Outer fold of each sample.
    alpha : float
        Miscoverage.
    seed : int, default=0
        Seed of the halving.

    Returns
    -------
    CoverageResult
    """
    proba = np.asarray(proba, dtype=float)
    y_idx = np.asarray(y_idx, dtype=int)
    fold = np.asarray(fold)
    rng = np.random.default_rng(seed)
    covered = np.zeros(len(y_idx), dtype=bool)
    size = np.zeros(len(y_idx), dtype=int)
    quantiles = []
    for f in np.unique(fold):
        rows = rng.permutation(np.flatnonzero(fold == f))
        half = len(rows) // 2
        for calib, test in ((rows[:half], rows[half:]), (rows[half:], rows[:half])):
            q = conformal_quantile(proba[calib], y_idx[calib], alpha)
            quantiles.append(q)
            sets = prediction_sets(proba[test], q)
            covered[test] = sets[np.arange(len(test)), y_idx[test]]
            size[test] = sets.sum(axis=1)
    return CoverageResult(covered=covered, set_size=size, quantiles=tuple(quantiles))
