"""The rules of :mod:`classifier.qc_thresholds`, applied to the measured curves.

The rules and their constants live in :mod:`classifier.qc_thresholds`,
written before any figure was looked at; this module only applies them.
"""

from __future__ import annotations

import numpy as np

from classifier.assessment import RobustnessPoint
from classifier.qc_thresholds import (
    MAX_ACCURACY_DROP,
    MAX_MATCHED_ERROR_RISE,
    OOD_FALSE_POSITIVE_RATE,
    QcThresholds,
)

__all__ = ["choose_min_coverage", "choose_ood_ratio", "choose_qc_thresholds"]

MIN_COVERAGE_RULE = (
    "smallest measured share g of the random-missingness curve such that at g and every "
    f"larger share the matched-call error rate is at most the full-profile one + "
    f"{MAX_MATCHED_ERROR_RISE:g} and the accuracy at most {MAX_ACCURACY_DROP:g} below it"
)
OOD_RULE = (
    f"the {1 - OOD_FALSE_POSITIVE_RATE:.0%} quantile of the OOD ratio (distance / the "
    "model's reference threshold) of in-distribution outer-fold profiles, times the final "
    "model's reference threshold"
)


def choose_min_coverage(curve: list[RobustnessPoint]) -> tuple[float, str]:
    """The minimum coverage by the rule, and the figures it rests on.

    Parameters
    ----------
    curve : list of RobustnessPoint
        The ``missing_random`` points; ``level`` is the measured share.
    """
    points = sorted(((float(p.level), p.figures) for p in curve), reverse=True)
    if not points or points[0][0] != 1.0:
        raise ValueError("the random-missingness curve must start at a measured share of 1")
    full = points[0][1]
    full_error = full.matched_error or 0.0
    full_accuracy = full.accuracy or 0.0
    chosen = 1.0
    for share, figures in points:
        error = figures.matched_error if figures.matched_error is not None else 0.0
        accuracy = figures.accuracy or 0.0
        if (
            error > full_error + MAX_MATCHED_ERROR_RISE
            or accuracy < full_accuracy - MAX_ACCURACY_DROP
        ):
            break
        chosen = share
    evidence = "; ".join(
        f"{share:g}: accuracy {f.accuracy:.3f}, matched error "
        f"{'n/a' if f.matched_error is None else format(f.matched_error, '.3f')}"
        for share, f in points
    )
    return chosen, evidence


def choose_ood_ratio(inlier_ratio: np.ndarray) -> float:
    """The OOD cut on the distance ratio by the rule."""
    return float(np.quantile(np.asarray(inlier_ratio, dtype=float), 1.0 - OOD_FALSE_POSITIVE_RATE))


def choose_qc_thresholds(
    curve: list[RobustnessPoint], inlier_ratio: np.ndarray, reference_threshold: float
) -> QcThresholds:
    """Both thresholds, for a final model whose reference threshold is ``reference_threshold``."""
    min_coverage, coverage_evidence = choose_min_coverage(curve)
    ratio = choose_ood_ratio(inlier_ratio)
    return QcThresholds(
        min_coverage=min_coverage,
        ood_distance=ratio * float(reference_threshold),
        ood_ratio=ratio,
        min_coverage_rule=MIN_COVERAGE_RULE,
        ood_rule=OOD_RULE,
        min_coverage_evidence=coverage_evidence,
        ood_evidence=(
            f"{len(inlier_ratio)} in-distribution outer-fold profiles; ratio cut {ratio:.3f} "
            f"x final reference threshold {reference_threshold:.3f}"
        ),
    )
