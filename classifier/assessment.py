"""What the evaluation measured beyond the summary reports: the ``assessment`` section.

:class:`Assessment` is the ``assessment`` object of ``metrics.json``
(:class:`~classifier.model_metrics.ModelMetrics`), written by
:mod:`training.evaluation` from the nested cross-validation's outer
predictions and read back by the report and the service. Every figure is
measured on samples the scoring model did not see; each part says how.

``per_class``
    Sensitivity with its 95 % Wilson interval, precision, calibration of the
    class's calls, the share of its samples classified at the threshold and
    the error rate among matched calls naming it.
``conformal``
    Empirical coverage of split-conformal prediction sets (marginal and per
    class), their mean size, and the classes too small for a per-class
    guarantee.
``ood``
    False-positive rate of the out-of-distribution flag on in-distribution
    outer-fold profiles, and leave-classes-out: how the flag and the calls
    treat classes the model never saw.
``robustness``
    Accuracy, calibration and matched-call error against missing CpGs,
    purity, material and array, and leave-array-out.
``neighbours``
    How often a profile's nearest reference samples share its class.
``qc``
    The quality-control thresholds chosen from these figures by a rule
    fixed in advance (:class:`~classifier.qc_thresholds.QcThresholds`).

A part not measured is None; JSON written by older code lacks the section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from classifier.qc_thresholds import QcThresholds

__all__ = [
    "Assessment",
    "ClassAssessment",
    "ConformalAssessment",
    "GroupFigures",
    "NeighbourAgreement",
    "OodAssessment",
    "RobustnessPoint",
]

Interval = tuple[float | None, float | None]


@dataclass(frozen=True)
class GroupFigures:
    """Figures of the calls of one group of profiles (a missingness level, a purity bin...).

    Attributes
    ----------
    n : int
        Profiles.
    accuracy : float or None
        Share of right top-class calls.
    ece : float or None
        Top-label expected calibration error.
    brier : float or None
        Multiclass Brier score.
    classified_fraction : float or None
        Share of profiles called ``match`` (top score at or above the threshold).
    matched_error : float or None
        Share of those matches that named the wrong class; None without a match.
    matched_error_ci : tuple
        95 % Wilson interval of ``matched_error``.
    ood_flagged : float or None
        Share flagged out of distribution at the service's OOD threshold.
    share_measured : float or None
        Mean share of the model's CpGs measured.
    """

    n: int
    accuracy: float | None
    ece: float | None
    brier: float | None
    classified_fraction: float | None
    matched_error: float | None
    matched_error_ci: Interval
    ood_flagged: float | None = None
    share_measured: float | None = None

    def to_json(self) -> dict[str, Any]:
        return _json(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GroupFigures:
        return cls(**_plain(cls, data))


@dataclass(frozen=True)
class ClassAssessment:
    """One class's figures on the outer folds (see the module docstring)."""

    label: str
    support: int
    sensitivity: float | None
    sensitivity_ci: Interval
    precision: float | None
    n_called: int
    mean_called_score: float | None
    classified_fraction: float | None
    matched_calls: int
    matched_error: float | None
    matched_error_ci: Interval

    def to_json(self) -> dict[str, Any]:
        return _json(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClassAssessment:
        return cls(**_plain(cls, data))


@dataclass(frozen=True)
class ConformalAssessment:
    """Coverage of the prediction sets on the outer folds.

    Attributes
    ----------
    alpha : float
        Miscoverage asked for (0.05: 95 % sets).
    construction : str
        How the measured sets were made, in words.
    coverage, coverage_ci, mean_set_size : float, tuple, float
        Marginal coverage with its Wilson interval, and the mean set size.
    per_class : dict of str to [coverage, n]
        Coverage of each class's samples.
    min_class_size : int
        Calibration samples a class needs for a class-conditional guarantee.
    classes_without_guarantee : tuple of str
        Classes with fewer samples than that in the whole cohort.
    served_quantile : float or None
        The quantile the served model uses.
    served_basis : str
        Where it comes from, and what that does and does not guarantee.
    previous_coverage, previous_mean_set_size : float or None
        The same figures for the sets built as before this assessment
        existed (quantile of the inner cross-validation applied to the
        outer model): the analogue, one level down, of the served sets.
    """

    alpha: float
    construction: str
    coverage: float
    coverage_ci: Interval
    mean_set_size: float
    per_class: dict[str, list]
    min_class_size: int
    classes_without_guarantee: tuple[str, ...]
    served_quantile: float | None
    served_basis: str
    previous_coverage: float | None
    previous_mean_set_size: float | None

    def to_json(self) -> dict[str, Any]:
        return _json(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConformalAssessment:
        return cls(**_plain(cls, data))


@dataclass(frozen=True)
class OodAssessment:
    """How the out-of-distribution flag behaves.

    Attributes
    ----------
    in_distribution_fpr : float
        Share of in-distribution outer-fold profiles flagged at the served threshold.
    in_distribution_n : int
    design : str
        The leave-classes-out design, in words (None when not run).
    held_out_classes : tuple of str
        Classes the leave-classes-out models never saw.
    novel_n : int
        Profiles of those classes scored.
    auroc : float or None
        AUROC of the OOD distance, unseen-class profiles against
        in-distribution test profiles of the same fits.
    novel_flagged : float or None
        Share of unseen-class profiles flagged at the served threshold.
    novel_match : float or None
        Share of unseen-class profiles still called ``match`` (a confident
        call of a class they are not).
    novel_match_unflagged : float or None
        Share called ``match`` and not flagged: what the QC gate lets through.
    fit_seconds : float or None
        Time of the leave-classes-out fits.
    previous_rule_fpr : float or None
        The false-positive rate of the flag before this assessment existed
        (distance above the model's in-sample 99th percentile, ratio 1).
    """

    in_distribution_fpr: float
    in_distribution_n: int
    design: str | None = None
    held_out_classes: tuple[str, ...] = ()
    novel_n: int = 0
    auroc: float | None = None
    novel_flagged: float | None = None
    novel_match: float | None = None
    novel_match_unflagged: float | None = None
    fit_seconds: float | None = None
    previous_rule_fpr: float | None = None

    def to_json(self) -> dict[str, Any]:
        return _json(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OodAssessment:
        return cls(**_plain(cls, data))


@dataclass(frozen=True)
class RobustnessPoint:
    """One point of a robustness curve.

    Attributes
    ----------
    kind : str
        ``missing_random``, ``missing_array``, ``purity``, ``material``,
        ``array_type``, ``leave_array_out`` or ``leave_site_out``.
    level : str
        The point on the curve (``"0.5"`` measured, ``"epicv2"``,
        ``"0.5-0.7"``, ``"FFPE"``, ``"train 450k, test epic"``,
        ``"train 25 other suppliers, test 7 held-out suppliers"``).
    figures : GroupFigures
    """

    kind: str
    level: str
    figures: GroupFigures

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "level": self.level, "figures": self.figures.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RobustnessPoint:
        return cls(
            kind=str(data["kind"]),
            level=str(data["level"]),
            figures=GroupFigures.from_json(data["figures"]),
        )


@dataclass(frozen=True)
class NeighbourAgreement:
    """How often a profile's nearest reference samples share its class.

    Attributes
    ----------
    k : int
        Neighbours counted.
    outer_knn_share : float
        Outer-fold profiles: mean share of their ``k`` nearest training
        samples (in the model's reference space, where a case is placed on
        the map) that share their class.
    outer_nearest_same : float
        Share whose single nearest training sample shares their class.
    map_method : str or None
        How the reference map is drawn (``"tsne"``, ``"pca"``).
    map_knn_share : float or None
        On the final map, leave-one-out: mean share of each reference
        sample's ``k`` nearest map neighbours of its class.
    pca_map_knn_share : float or None
        The same on the first two principal components (the previous map).
    """

    k: int
    outer_knn_share: float
    outer_nearest_same: float
    map_method: str | None = None
    map_knn_share: float | None = None
    pca_map_knn_share: float | None = None

    def to_json(self) -> dict[str, Any]:
        return _json(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NeighbourAgreement:
        return cls(**_plain(cls, data))


@dataclass(frozen=True)
class Assessment:
    """The ``assessment`` section of ``metrics.json``; see the module docstring."""

    threshold: float
    per_class: tuple[ClassAssessment, ...]
    conformal: ConformalAssessment | None = None
    ood: OodAssessment | None = None
    robustness: tuple[RobustnessPoint, ...] = ()
    neighbours: NeighbourAgreement | None = None
    qc: QcThresholds | None = None
    seconds: dict[str, float] | None = None

    def curve(self, kind: str) -> list[RobustnessPoint]:
        """The points of one robustness curve, in the order measured."""
        return [p for p in self.robustness if p.kind == kind]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "threshold": self.threshold,
            "per_class": [c.to_json() for c in self.per_class],
            "robustness": [p.to_json() for p in self.robustness],
        }
        for name in ("conformal", "ood", "neighbours", "qc"):
            part = getattr(self, name)
            if part is not None:
                out[name] = part.to_json()
        if self.seconds is not None:
            out["seconds"] = dict(self.seconds)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Assessment:
        def part(name: str, kind: Any) -> Any:
            return kind.from_json(data[name]) if data.get(name) else None

        return cls(
            threshold=float(data["threshold"]),
            per_class=tuple(ClassAssessment.from_json(c) for c in data["per_class"]),
            conformal=part("conformal", ConformalAssessment),
            ood=part("ood", OodAssessment),
            robustness=tuple(RobustnessPoint.from_json(p) for p in data.get("robustness") or ()),
            neighbours=part("neighbours", NeighbourAgreement),
            qc=part("qc", QcThresholds),
            seconds={str(k): float(v) for k, v in data["seconds"].items()}
            if data.get("seconds")
            else None,
        )


def _json(obj: Any) -> dict[str, Any]:
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def _plain(cls: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor arguments from JSON: lists back to tuples, unknown keys dropped."""
    names = {f.name for f in fields(cls)}
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name not in names:
            continue
        if isinstance(value, list) and name != "per_class":
            value = tuple(value)
        out[name] = value
    return out
