"""Turn the nested cross-validation's outer predictions into the ``assessment`` section.

:func:`assess` reads the :class:`~training.nested_cv.NestedCVResult` (outer
out-of-fold calibrated scores, folds, per-sample annotations and what
:func:`~training.evaluation.fold_probe.probe_fold` measured on every outer
model), the optional shift fits (:mod:`training.evaluation.shift`) and the
final model, and returns a :class:`~classifier.assessment.Assessment`.
Every figure is computed here from those arrays with the functions of
:mod:`classifier.metrics` and :mod:`classifier.conformal`; nothing is fitted.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from classifier.assessment import (
    Assessment,
    ClassAssessment,
    ConformalAssessment,
    GroupFigures,
    NeighbourAgreement,
    OodAssessment,
    RobustnessPoint,
)
from classifier.conformal import (
    classes_without_guarantee,
    conformal_quantile,
    min_calibration_size,
    prediction_sets,
    split_within_folds,
)
from classifier.embedding import knn_class_agreement
from classifier.estimator import MethylationClassifier
from classifier.metrics import brier_score, expected_calibration_error, wilson_interval
from training.evaluation.fold_probe import NEIGHBOURS, FoldProbe
from training.evaluation.qc_rules import choose_ood_ratio, choose_qc_thresholds
from training.evaluation.shift import ArrayShift, ClassesOut
from training.nested_cv import NestedCVResult

__all__ = ["PURITY_BINS", "SERVED_BASIS", "assess", "group_figures", "per_class_figures"]

#: Purity bins of the robustness curve (closed below, the last closed above).
PURITY_BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

SERVED_BASIS = (
    "quantile of the outer folds' out-of-fold calibrated scores (models trained on "
    "(k-1)/k of the cohort, each scoring samples it never saw); the finite-sample guarantee "
    "holds for those models, not exactly for the final model trained on every sample"
)
MEASURED_CONSTRUCTION = (
    "split conformal inside each outer test split: the fold's test profiles halved at "
    "random, the quantile of one half (scores of the outer model, which saw neither) "
    "applied to the other, and back"
)


def group_figures(
    proba: np.ndarray,
    y_idx: np.ndarray,
    threshold: float,
    ood_flagged: np.ndarray | None = None,
    coverage: np.ndarray | None = None,
) -> GroupFigures:
    """Accuracy, calibration and matched-call error of one group of profiles."""
    proba = np.asarray(proba, dtype=float)
    y_idx = np.asarray(y_idx, dtype=int)
    n = len(y_idx)
    if n == 0:
        return GroupFigures(0, None, None, None, None, None, (None, None))
    correct = proba.argmax(axis=1) == y_idx
    matched = proba.max(axis=1) >= threshold
    wrong = int((matched & ~correct).sum())
    n_matched = int(matched.sum())
    return GroupFigures(
        n=n,
        accuracy=float(correct.mean()),
        ece=expected_calibration_error(proba, y_idx),
        brier=brier_score(proba, y_idx),
        classified_fraction=float(matched.mean()),
        matched_error=wrong / n_matched if n_matched else None,
        matched_error_ci=wilson_interval(wrong, n_matched),
        ood_flagged=None if ood_flagged is None else float(np.mean(ood_flagged)),
        share_measured=None if coverage is None else float(np.mean(coverage)),
    )


def per_class_figures(
    proba: np.ndarray, y_idx: np.ndarray, classes: list[str], threshold: float
) -> tuple[ClassAssessment, ...]:
    """Each class's sensitivity (Wilson 95 %), precision, calibration and matched-call error."""
    proba = np.asarray(proba, dtype=float)
    pred = proba.argmax(axis=1)
    top = proba.max(axis=1)
    matched = top >= threshold
    out = []
    for i, label in enumerate(classes):
        own = y_idx == i
        called = pred == i
        support, n_called = int(own.sum()), int(called.sum())
        hits = int((own & called).sum())
        calls_matched = called & matched
        n_matched = int(calls_matched.sum())
        wrong = int((calls_matched & ~own).sum())
        out.append(
            ClassAssessment(
                label=label,
                support=support,
                sensitivity=hits / support if support else None,
                sensitivity_ci=wilson_interval(hits, support),
                precision=hits / n_called if n_called else None,
                n_called=n_called,
                mean_called_score=float(top[called].mean()) if n_called else None,
                classified_fraction=float(matched[own].mean()) if support else None,
                matched_calls=n_matched,
                matched_error=wrong / n_matched if n_matched else None,
                matched_error_ci=wilson_interval(wrong, n_matched),
            )
        )
    return tuple(out)


def assess(
    result: NestedCVResult,
    threshold: float,
    final_model: MethylationClassifier,
    *,
    alpha: float = 0.05,
    first_class: str = "DSRCT",
    classes_out: ClassesOut | None = None,
    array_shifts: list[ArrayShift] | None = None,
    seed: int = 0,
) -> Assessment:
    """The assessment of a nested cross-validation; see the module docstring.

    Parameters
    ----------
    result : NestedCVResult
        With ``probes`` filled by :func:`~training.evaluation.fold_probe.probe_fold`.
    threshold : float
        Score of a match.
    final_model : MethylationClassifier
        The served model: its reference threshold scales the OOD cut, its
        map is measured.
    alpha : float, default=0.05
        Miscoverage of the prediction sets.
    first_class : str, default="DSRCT"
        Listed first in the per-class table.
    classes_out, array_shifts : optional
        The shift fits, when run.
    seed : int, default=0
        Seed of the conformal halving.
    """
    classes = result.classes.tolist()
    y_idx = np.searchsorted(result.classes, result.y)
    probes: list[FoldProbe] = list(result.probes)
    if len(probes) != result.outer_folds:
        raise ValueError(
            "assess needs a probe of every outer fold (nested_cross_validate(probe=...))"
        )
    rows = [np.flatnonzero(result.fold == f) for f in range(result.outer_folds)]

    def pooled(get) -> np.ndarray:
        out = None
        for f, probe in enumerate(probes):
            values = np.asarray(get(probe))
            if out is None:
                out = np.zeros((len(y_idx), *values.shape[1:]), dtype=values.dtype)
            out[rows[f]] = values
        assert out is not None
        return out

    per_class = per_class_figures(result.calibrated, y_idx, classes, threshold)
    per_class = tuple(sorted(per_class, key=lambda c: c.label != first_class))

    inlier_ratio = pooled(lambda p: p.ood_ratio)
    cut = choose_ood_ratio(inlier_ratio)
    robustness = _robustness(result, probes, pooled, y_idx, threshold, cut, array_shifts)
    qc = choose_qc_thresholds(
        [p for p in robustness if p.kind == "missing_random"],
        inlier_ratio,
        float(final_model.ood_.threshold_),
    )
    served_q = conformal_quantile(result.calibrated, y_idx, alpha)
    final_model.set_conformal_quantile(served_q, SERVED_BASIS)
    return Assessment(
        threshold=threshold,
        per_class=per_class,
        conformal=_conformal(result, probes, rows, y_idx, alpha, served_q, seed),
        ood=_ood(inlier_ratio, qc.ood_ratio, classes_out, threshold),
        robustness=tuple(robustness),
        neighbours=_neighbours(pooled, final_model, result),
        qc=qc,
    )


def _conformal(result, probes, rows, y_idx, alpha, served_q, seed) -> ConformalAssessment:
    measured = split_within_folds(result.calibrated, y_idx, result.fold, alpha, seed)
    per_class = measured.per_class(y_idx, len(result.classes))
    counts = np.bincount(y_idx, minlength=len(result.classes))
    previous_cov, previous_size = [], []
    for f, probe in enumerate(probes):
        sets = prediction_sets(result.calibrated[rows[f]], probe.inner_quantile)
        previous_cov.append(sets[np.arange(len(rows[f])), y_idx[rows[f]]])
        previous_size.append(sets.sum(axis=1))
    return ConformalAssessment(
        alpha=alpha,
        construction=MEASURED_CONSTRUCTION,
        coverage=measured.coverage,
        coverage_ci=wilson_interval(int(measured.covered.sum()), len(measured.covered)),
        mean_set_size=measured.mean_set_size,
        per_class={
            label: [None if np.isnan(c) else float(c), int(n)]
            for label, c, n in zip(result.classes.tolist(), per_class, counts, strict=True)
        },
        min_class_size=min_calibration_size(alpha),
        classes_without_guarantee=tuple(classes_without_guarantee(result.y, alpha)),
        served_quantile=served_q,
        served_basis=SERVED_BASIS,
        previous_coverage=float(np.concatenate(previous_cov).mean()),
        previous_mean_set_size=float(np.concatenate(previous_size).mean()),
    )


def _ood(inlier_ratio, cut, classes_out: ClassesOut | None, threshold) -> OodAssessment:
    base = OodAssessment(
        in_distribution_fpr=float(np.mean(inlier_ratio > cut)),
        in_distribution_n=len(inlier_ratio),
        previous_rule_fpr=float(np.mean(inlier_ratio > 1.0)),
    )
    if classes_out is None or not len(classes_out.novel_ratio):
        return base
    novel_flag = classes_out.novel_ratio > cut
    novel_match = classes_out.novel_top >= threshold
    return OodAssessment(
        in_distribution_fpr=base.in_distribution_fpr,
        in_distribution_n=base.in_distribution_n,
        design=(
            f"one fit without {len(classes_out.held_out)} classes (every k-th class in sorted "
            "order, a rule fixed in advance), trained on the first outer training split of the "
            "others; AUROC against that split's in-distribution test profiles"
        ),
        held_out_classes=classes_out.held_out,
        novel_n=len(classes_out.novel_ratio),
        auroc=classes_out.auroc,
        novel_flagged=float(novel_flag.mean()),
        novel_match=float(novel_match.mean()),
        novel_match_unflagged=float((novel_match & ~novel_flag).mean()),
        fit_seconds=round(classes_out.seconds, 1),
        previous_rule_fpr=base.previous_rule_fpr,
    )


def _robustness(
    result, probes, pooled, y_idx, threshold, cut, array_shifts
) -> list[RobustnessPoint]:
    """The robustness points; ``cut`` is the OOD ratio the flagged shares are counted at."""
    out: list[RobustnessPoint] = []
    names = list(probes[0].patterns)
    for name in names:
        kind, level = name.split(":", 1)
        proba = pooled(lambda p, n=name: p.patterns[n].calibrated)
        ratio = pooled(lambda p, n=name: p.patterns[n].ood_ratio)
        cov = pooled(lambda p, n=name: p.patterns[n].coverage)
        figures = group_figures(proba, y_idx, threshold, ratio > cut, cov)
        out.append(RobustnessPoint(f"missing_{kind}", level, figures))
    samples = result.samples
    if samples is not None:
        base = pooled(lambda p: p.patterns["random:1"].ood_ratio) > cut
        if "purity" in samples.columns:
            purity = pd.to_numeric(samples["purity"], errors="coerce").to_numpy()
            edges = PURITY_BINS
            for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
                last = i == len(edges) - 2
                inside = (purity >= lo) & ((purity <= hi) if last else (purity < hi))
                figures = group_figures(
                    result.calibrated[inside], y_idx[inside], threshold, base[inside]
                )
                out.append(RobustnessPoint("purity", f"{lo:g}-{hi:g}", figures))
        for column, kind in (("material", "material"), ("array_type", "array_type")):
            if column not in samples.columns:
                continue
            values = samples[column].astype(str).to_numpy()
            for value in sorted(set(values)):
                inside = values == value
                figures = group_figures(
                    result.calibrated[inside], y_idx[inside], threshold, base[inside]
                )
                out.append(RobustnessPoint(kind, value, figures))
    for shift in array_shifts or ():
        figures = group_figures(
            shift.calibrated, shift.y_idx, threshold, shift.ood_ratio > cut, shift.coverage
        )
        level = f"train {shift.train_array}, test {shift.test_array}"
        out.append(RobustnessPoint(shift.kind, level, figures))
    return out


def _neighbours(pooled, final_model: MethylationClassifier, result) -> NeighbourAgreement:
    fitted = getattr(final_model, "reference_map_", None)
    map_share = pca_share = None
    if fitted is not None:
        map_share, _ = knn_class_agreement(fitted.coords_, result.y, NEIGHBOURS)
        pca_share, _ = knn_class_agreement(final_model.ood_.reference_[:, :2], result.y, NEIGHBOURS)
    return NeighbourAgreement(
        k=NEIGHBOURS,
        outer_knn_share=float(pooled(lambda p: p.knn_share).mean()),
        outer_nearest_same=float(pooled(lambda p: p.nearest_same).mean()),
        map_method=None if fitted is None else fitted.method,
        map_knn_share=map_share,
        pca_map_knn_share=pca_share,
    )
