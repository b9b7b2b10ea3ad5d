"""Nested cross-validation free of leakage.

Each outer fold fits a whole :class:`~classifier.estimator.MethylationClassifier`
on the outer training split: probe filtering, CpG selection, the inner
cross-validation that produces calibration scores, the calibrator and the
final base learner all see only that split. The outer test split is then
scored once. The out-of-fold outer predictions give the reported metrics,
raw and calibrated side by side, as the reference method reports them.

Temperature scaling is evaluated on the same folds at no extra fitting
cost: it is fitted on the inner out-of-fold scores that each outer model
already computed.

The outer folds are independent fits, run through joblib: one after the
other by default, in parallel with ``n_jobs``, and on a cluster when the
caller selects a distributed joblib backend (``joblib.parallel_config``
with Dask's ``"dask"`` backend; see ``docs/benchmarks.md``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from classifier.calibration import TemperatureScaling
from classifier.errors import ClassifierError
from classifier.estimator import MethylationClassifier
from classifier.metrics import classification_report, reliability_curve
from classifier.model_metrics import Evaluation

__all__ = [
    "NestedCVResult",
    "choose_folds",
    "evaluate",
    "nested_cross_validate",
]

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, float], None]
#: ``probe(model, X_test, y_test, y_train)``: asked of every outer model
#: after it scored its test split (see :mod:`training.evaluation.fold_probe`).
FoldProbeCallback = Callable[[MethylationClassifier, pd.DataFrame, np.ndarray, np.ndarray], Any]


@dataclass
class NestedCVResult:
    """Out-of-fold predictions of the outer loop.

    Attributes
    ----------
    classes : ndarray of str
        Class labels, column order of the probability matrices.
    y : ndarray of str
        True labels.
    raw, calibrated, temperature : ndarray (n_samples, n_classes)
        Outer out-of-fold base scores, ridge-calibrated and
        temperature-scaled probabilities.
    fold : ndarray of int
        Outer fold of each sample.
    outer_folds, inner_folds : int
        Folds actually used.
    notes : list of str
        What was changed from the request and why (e.g. fewer folds).
    fit_seconds : list of float
        Time of each outer fit, in fold order.
    samples : pandas.DataFrame or None
        Per-sample annotations in row order (sample id index; array_type,
        material, purity, supplier, ... as the cohort has them), so that an
        evaluation can break the outer predictions down.
    fold_params : list of dict
        What each outer fold's inner cross-validation chose (forest size,
        calibrator C, CpGs read).
    probes : list
        What the ``probe`` hook returned for each outer fold, in fold order.
    """

    classes: np.ndarray
    y: np.ndarray
    raw: np.ndarray
    calibrated: np.ndarray
    temperature: np.ndarray
    fold: np.ndarray
    outer_folds: int
    inner_folds: int
    notes: list[str] = field(default_factory=list)
    fit_seconds: list[float] = field(default_factory=list)
    samples: pd.DataFrame | None = None
    fold_params: list[dict] = field(default_factory=list)
    probes: list = field(default_factory=list)


def choose_folds(y: np.ndarray, outer: int, inner: int) -> tuple[int, int, list[str]]:
    """Return the outer and inner fold counts the smallest class allows, with notes.

    Each outer training split must still hold 2 samples of every class for
    the inner cross-validation that calibrates the model, so a class of
    ``m`` samples allows at most ``m`` outer folds, needs at least 3 samples
    (2 to train and calibrate, 1 to test), and, with 3, needs 3 outer folds:
    with 2, one training split would keep a single sample of it.

    Parameters
    ----------
    y : ndarray of str
        Labels.
    outer, inner : int
        Requested outer and inner folds.

    Returns
    -------
    outer, inner : int
        The folds that will be used: the inner count is the smallest the
        inner cross-validation of any outer training split falls back to.
    notes : list of str
        One note for each count lowered, saying why.

    Raises
    ------
    ClassifierError
        If a class has fewer than 3 samples, or ``outer`` is too few for
        the smallest class (the message says how many are needed).
    """
    counts = pd.Series(y).value_counts()
    smallest, name = int(counts.min()), counts.idxmin()
    if smallest < 3:
        raise ClassifierError(
            "nested cross-validation needs at least 3 samples per class (2 in every "
            f"outer training split to calibrate, 1 to test); {name!r} has {smallest}",
            field="label",
        )
    notes = []
    folds = min(outer, smallest)
    if folds < outer:
        notes.append(
            f"outer folds lowered from {outer} to {folds}: "
            f"class {name!r} has only {smallest} samples"
        )
    # Stratified folds: the largest test fold takes ceil(m / folds) samples of a class.
    inner_room = smallest - int(np.ceil(smallest / folds))
    if inner_room < 2:
        needed = int(np.ceil(smallest / (smallest - 2)))
        raise ClassifierError(
            f"{folds} outer folds leave class {name!r} ({smallest} samples) only {inner_room} "
            f"in an outer training split, and calibrating needs 2: ask for at least "
            f"{needed} outer folds",
            field="outer_folds",
        )
    inner_used = min(inner, inner_room)
    if inner_used < inner:
        notes.append(
            f"inner folds lowered from {inner} to {inner_used} inside small classes: "
            f"class {name!r} keeps {inner_room} samples per outer training split"
        )
    return folds, inner_used, notes


def nested_cross_validate(
    estimator: MethylationClassifier,
    X: pd.DataFrame,
    y: np.ndarray,
    outer_folds: int = 5,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    *,
    samples: pd.DataFrame | None = None,
    n_jobs: int = 1,
    probe: FoldProbeCallback | None = None,
) -> NestedCVResult:
    """Run the outer loop of a nested cross-validation.

    Parameters
    ----------
    estimator : MethylationClassifier
        Unfitted template; cloned for every outer fold. Its ``inner_folds``
        set the inner loop.
    X : pandas.DataFrame
        Samples x CpGs beta values.
    y : ndarray of str
        Labels.
    outer_folds : int, default=5
        Requested outer folds (lowered for small classes, with a note).
    seed : int, default=0
        Seed of the fold split.
    progress : callable, optional
        Called as ``progress(done, total, seconds_of_that_fold)`` as folds finish.
    samples : pandas.DataFrame, optional
        Per-sample annotations in the rows' order, kept on the result; its
        ``material`` column feeds a batch-adjusting estimator.
    n_jobs : int, default=1
        Outer folds fitted at once (joblib; the backend is the caller's
        ``joblib.parallel_config``, e.g. a Dask cluster).
    probe : callable, optional
        Called as ``probe(model, X_test, y_test, y_train)`` with every outer
        model, where the fold runs; what it returns is kept in ``probes``
        (not timed as a fit).

    Returns
    -------
    NestedCVResult
    """
    y = np.asarray(y).astype(str)
    folds, _, notes = choose_folds(y, outer_folds, estimator.inner_folds)
    classes = np.unique(y)
    index = {c: i for i, c in enumerate(classes)}
    n, k = len(y), len(classes)
    raw, cal, temp = np.zeros((n, k)), np.zeros((n, k)), np.zeros((n, k))
    fold_of = np.full(n, -1)
    material = None
    if samples is not None and "material" in samples.columns:
        material = samples["material"].astype(str).to_numpy()
    probes: list = [None] * folds
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(n), y))
    seconds = [0.0] * folds
    params: list[dict] = [{}] * folds
    inner_used = estimator.inner_folds
    runs = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_outer_fold)(f, estimator, X, y, train, test, material, probe)
        for f, (train, test) in enumerate(splits)
    )
    for done, fold in enumerate(runs, start=1):
        test = splits[fold.index][1]
        cols = np.array([index[c] for c in fold.classes])
        raw[np.ix_(test, cols)] = fold.raw
        cal[np.ix_(test, cols)] = fold.calibrated
        temp[np.ix_(test, cols)] = fold.temperature
        fold_of[test] = fold.index
        seconds[fold.index] = fold.seconds
        params[fold.index] = fold.params
        inner_used = min(inner_used, fold.inner_folds)
        probes[fold.index] = fold.probe
        if progress is not None:
            progress(done, folds, fold.seconds)
    return NestedCVResult(
        classes=classes,
        y=y,
        raw=raw,
        calibrated=cal,
        temperature=temp,
        fold=fold_of,
        outer_folds=folds,
        inner_folds=inner_used,
        notes=notes,
        fit_seconds=seconds,
        samples=samples,
        fold_params=params,
        probes=probes if probe is not None else [],
    )


@dataclass
class _FoldOutcome:
    index: int
    classes: np.ndarray
    raw: np.ndarray
    calibrated: np.ndarray
    temperature: np.ndarray
    inner_folds: int
    seconds: float
    params: dict
    probe: object = None


def _outer_fold(index, estimator, X, y, train, test, material, probe=None) -> _FoldOutcome:
    """Fit one outer training split and score its test split (runs where joblib sends it)."""
    start = time.perf_counter()
    fit_material = None if material is None else material[train]
    model = clone(estimator).fit(X.iloc[train], y[train], material=fit_material)
    detail = model.predict_detail(
        X.iloc[test], material=None if material is None else material[test]
    )
    codes = np.searchsorted(model.classes_, y[train])
    scaler = TemperatureScaling().fit(model.oof_raw_, codes)
    seconds = time.perf_counter() - start
    # The probe runs beside its model, so that no fitted model travels back
    # from a worker; what it measures is kept, its time is not a fit's.
    probed = None if probe is None else probe(model, X.iloc[test], y[test], y[train])
    return _FoldOutcome(
        index=index,
        classes=model.classes_,
        raw=detail.raw,
        calibrated=detail.calibrated,
        temperature=scaler.predict_proba(detail.raw),
        inner_folds=model.inner_folds_,
        seconds=seconds,
        params={
            "n_estimators": model.n_estimators_,
            "calibrator_c": model.calibrator_c_,
            "n_cpgs": len(model.cpgs_),
        },
        probe=probed,
    )


def evaluate(
    result: NestedCVResult,
    class_families: dict[str, str],
    threshold: float = 0.9,
    first_class: str = "DSRCT",
) -> Evaluation:
    """Metrics of the outer predictions: raw, ridge-calibrated and temperature-scaled.

    Parameters
    ----------
    result : NestedCVResult
    class_families : dict
        Family of each class label.
    threshold : float, default=0.9
        Score of a confident call.
    first_class : str, default="DSRCT"
        Listed first in the per-class tables when present.

    Returns
    -------
    Evaluation
        A :class:`~classifier.metrics.ClassificationReport` of each kind of
        score, the reliability curve of the calibrated scores, the folds
        used, the notes on them and the time of each outer fit.
    """
    fams = [class_families.get(c, c) for c in result.classes]
    reports = {}
    for name, proba in (
        ("raw", result.raw),
        ("calibrated", result.calibrated),
        ("temperature", result.temperature),
    ):
        report = classification_report(
            proba, result.y.tolist(), result.classes.tolist(), fams, threshold
        )
        per_class = report.per_class
        if first_class in per_class:
            report = replace(
                report,
                per_class={first_class: per_class[first_class]}
                | {c: v for c, v in per_class.items() if c != first_class},
            )
        reports[name] = report
    # Observed accuracy per score range of the calibrated scores: what a
    # score means, shown beside each case on the review page.
    index = {c: i for i, c in enumerate(result.classes.tolist())}
    y_idx = np.array([index[c] for c in result.y.tolist()])
    return Evaluation(
        raw=reports["raw"],
        calibrated=reports["calibrated"],
        temperature=reports["temperature"],
        reliability=reliability_curve(result.calibrated, y_idx),
        outer_folds=result.outer_folds,
        inner_folds=result.inner_folds,
        notes=tuple(result.notes),
        fold_fit_seconds=tuple(round(s, 1) for s in result.fit_seconds),
        fold_params=tuple(result.fold_params),
    )
