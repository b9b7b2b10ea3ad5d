"""What each outer model of the nested cross-validation is asked besides its calls.

:func:`probe_fold` runs inside the outer loop (the hook ``probe`` of
:func:`training.nested_cv.nested_cross_validate`), while the outer model
still exists: it scores the outer test split again with CpGs removed (at
random, and as a 450K, EPIC or EPICv2 array lacks them), measures the
out-of-distribution score of the unaltered profiles, the quantile the model
built its own prediction sets with, and how many of each profile's nearest
training samples share its class. Only predictions: no fitting, so its cost
is a few seconds per fold.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from classifier.estimator import MethylationClassifier
from classifier.manifest import load_manifest

__all__ = ["ARRAY_PATTERNS", "MEASURED_SHARES", "FoldProbe", "PatternScores", "probe_fold"]

#: Shares of the model's CpGs left measured in the random-missingness curve.
MEASURED_SHARES = (1.0, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1)
#: Arrays whose missing probes make the array-pattern points.
ARRAY_PATTERNS = ("450k", "epic", "epicv2")
#: Neighbours counted for the class agreement.
NEIGHBOURS = 5


@dataclass(frozen=True)
class PatternScores:
    """The outer test split scored under one missingness pattern.

    Attributes
    ----------
    calibrated : ndarray (n_test, n_classes)
        Calibrated probabilities, columns in the cohort's class order.
    ood_ratio : ndarray (n_test,)
        OOD distance over the fold model's reference threshold.
    coverage : ndarray (n_test,)
        Share of the model's CpGs measured.
    """

    calibrated: np.ndarray
    ood_ratio: np.ndarray
    coverage: np.ndarray


@dataclass(frozen=True)
class FoldProbe:
    """What :func:`probe_fold` measured on one outer fold (rows: its test split).

    Attributes
    ----------
    ood_ratio : ndarray
        OOD distance of the unaltered test profiles over the fold model's threshold.
    inner_quantile : float
        The conformal quantile the fold model took from its inner cross-validation.
    knn_share, nearest_same : ndarray
        Share of the ``NEIGHBOURS`` nearest training samples (in the reference
        space) of the profile's class, and whether the nearest one is.
    patterns : dict of str to PatternScores
        ``"random:0.5"`` (half the CpGs measured), ``"array:epicv2"``...
    array_shares : dict of str to float
        Share of the model's CpGs each array pattern keeps.
    seconds : float
        Time the probe took.
    """

    ood_ratio: np.ndarray
    inner_quantile: float
    knn_share: np.ndarray
    nearest_same: np.ndarray
    patterns: dict[str, PatternScores] = field(default_factory=dict)
    array_shares: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def probe_fold(
    model: MethylationClassifier,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    y_train: np.ndarray,
    classes: np.ndarray,
    seed: int = 0,
) -> FoldProbe:
    """Score an outer test split under every missingness pattern; see the module docstring.

    Parameters
    ----------
    model : MethylationClassifier
        The outer model, fitted on the outer training split.
    X_test : pandas.DataFrame
        The outer test split.
    y_test, y_train : ndarray of str
        Labels of the test and the training split (training order, as the
        model's reference samples).
    classes : ndarray of str
        The cohort's classes: the column order of the returned probabilities.
    seed : int, default=0
        Seed of the random thinning.
    """
    start = time.perf_counter()
    aligned = model.align(X_test)
    threshold = float(model.ood_.threshold_)
    cols = np.searchsorted(classes, model.classes_)
    rng = np.random.default_rng(seed)

    def scored(matrix: np.ndarray) -> PatternScores:
        detail = model.predict_aligned(matrix)
        proba = np.zeros((len(matrix), len(classes)))
        proba[:, cols] = detail.calibrated
        return PatternScores(proba, detail.ood_distance / threshold, detail.coverage)

    patterns: dict[str, PatternScores] = {}
    n_cpgs = aligned.shape[1]
    for share in MEASURED_SHARES:
        thinned = aligned.copy()
        n_drop = round((1.0 - share) * n_cpgs)
        for row in thinned:
            row[rng.choice(n_cpgs, n_drop, replace=False)] = np.nan
        patterns[f"random:{share:g}"] = scored(thinned)
    array_shares = {}
    manifest = load_manifest()
    known = pd.Index(manifest.table.index)
    cpgs = pd.Index(model.cpgs_.astype(str))
    if (known.get_indexer(cpgs) >= 0).mean() >= 0.5:  # a cohort of real probe ids
        for array in ARRAY_PATTERNS:
            on = cpgs.isin(manifest.probes_on(array))
            array_shares[array] = float(on.mean())
            masked = aligned.copy()
            masked[:, ~on] = np.nan
            patterns[f"array:{array}"] = scored(masked)

    base = patterns["random:1"]
    Z = model.ood_.transform(_filled(model, aligned))
    ref = model.ood_.reference_
    d2 = (Z**2).sum(1)[:, None] + (ref**2).sum(1)[None, :] - 2.0 * Z @ ref.T
    k = min(NEIGHBOURS, len(ref))
    nearest = np.argsort(d2, axis=1, kind="stable")[:, :k]
    same = np.asarray(y_train)[nearest] == np.asarray(y_test)[:, None]
    return FoldProbe(
        ood_ratio=base.ood_ratio,
        inner_quantile=float(model.conformal_quantile_),
        knn_share=same.mean(axis=1),
        nearest_same=same[:, 0],
        patterns=patterns,
        array_shares=array_shares,
        seconds=time.perf_counter() - start,
    )


def _filled(model: MethylationClassifier, aligned: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(aligned), model.medians_, aligned).astype(np.float32)
