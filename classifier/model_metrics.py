"""What a model bundle records about how its model was trained and evaluated.

One typed object, :class:`ModelMetrics`, travels from the training run
(nested cross-validation, quality gates, MLflow tracking) into the bundle's
``metrics.json`` and back out to the service's model card and case page. It
is made of sections, one per question:

``evaluation`` (:class:`Evaluation`)
    What nested cross-validation measured: a
    :class:`~classifier.metrics.ClassificationReport` of the raw, the
    ridge-calibrated and the temperature-scaled scores, the reliability
    curve of the calibrated scores, the folds used. None when the model was
    trained without it.
``training`` (:class:`TrainingFacts`)
    Sizes and timings of the run.
``promotion`` (:class:`Promotion`)
    The quality gates' verdict and the champion decision.
``mlflow`` (:class:`TrackedRun`)
    The MLflow run and registered version; None for an untracked run.
``assessment`` (:class:`~classifier.assessment.Assessment`)
    What the evaluation measured beyond the summary reports: per-class
    intervals, prediction-set coverage, OOD, robustness, neighbours and the
    QC thresholds chosen from them. None without nested cross-validation.

Every section converts to the JSON object of its key in ``metrics.json``
(``to_json``) and back (``from_json``); the JSON is the one bundles have
always written, so older bundles load unchanged. A new section, or a new
figure in one, is a field that defaults to None, written only when set and
read with ``data.get``: bundles that lack it still load, with None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from classifier.assessment import Assessment
from classifier.metrics import ClassificationReport, ReliabilityCurve

__all__ = ["Assessment", "Evaluation", "ModelMetrics", "Promotion", "TrackedRun", "TrainingFacts"]


@dataclass(frozen=True)
class Evaluation:
    """Out-of-fold figures of a nested cross-validation.

    Attributes
    ----------
    raw, calibrated, temperature : ClassificationReport
        Figures of the base learner's scores, of the ridge-calibrated scores
        (what the service reports) and of temperature-scaled scores (a
        calibration compared at no extra fitting cost).
    reliability : ReliabilityCurve or None
        Observed accuracy per score range of the calibrated scores, shown
        beside each case on the review page.
    outer_folds, inner_folds : int
        Folds actually used (fewer than asked for small classes).
    notes : tuple of str
        What was changed from the request and why.
    fold_fit_seconds : tuple of float
        Time of each outer fit.
    fold_params : tuple of dict
        What each outer fold's inner folds chose (forest size, calibrator C).
    """

    raw: ClassificationReport
    calibrated: ClassificationReport
    temperature: ClassificationReport
    reliability: ReliabilityCurve | None
    outer_folds: int
    inner_folds: int
    notes: tuple[str, ...] = ()
    fold_fit_seconds: tuple[float, ...] = ()
    fold_params: tuple[dict[str, Any], ...] = ()

    @property
    def reports(self) -> dict[str, ClassificationReport]:
        """The three reports by the name of their scores: raw, calibrated, temperature."""
        return {"raw": self.raw, "calibrated": self.calibrated, "temperature": self.temperature}

    def to_json(self) -> dict[str, Any]:
        """The ``evaluation`` object of ``metrics.json``."""
        out: dict[str, Any] = {name: report.to_json() for name, report in self.reports.items()}
        if self.reliability is not None:
            out["reliability"] = self.reliability.to_json()
        return (
            out
            | {
                "outer_folds": self.outer_folds,
                "inner_folds": self.inner_folds,
                "notes": list(self.notes),
                "fold_fit_seconds": list(self.fold_fit_seconds),
            }
            | ({"fold_params": [dict(p) for p in self.fold_params]} if self.fold_params else {})
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evaluation:
        """Read what :meth:`to_json` wrote."""
        curve = data.get("reliability")
        return cls(
            raw=ClassificationReport.from_json(data["raw"]),
            calibrated=ClassificationReport.from_json(data["calibrated"]),
            temperature=ClassificationReport.from_json(data["temperature"]),
            reliability=ReliabilityCurve.from_json(curve) if curve else None,
            outer_folds=int(data["outer_folds"]),
            inner_folds=int(data["inner_folds"]),
            notes=tuple(str(note) for note in data.get("notes") or ()),
            fold_fit_seconds=tuple(float(s) for s in data.get("fold_fit_seconds") or ()),
            fold_params=tuple(dict(p) for p in data.get("fold_params") or ()),
        )


@dataclass(frozen=True, kw_only=True)
class TrainingFacts:
    """Sizes and timings of a training run; a figure not recorded is None.

    Attributes
    ----------
    n_samples : int or None
        Samples of the training cohort.
    n_cpgs_in_cohort, n_cpgs_model : int or None
        CpGs of the cohort, and those the model reads.
    n_classes : int or None
    final_fit_seconds : float or None
        Time of the fit of the shipped model on every sample.
    total_seconds : float or None
        Time of the whole run until the bundle was written.
    n_estimators : int or None
        Trees of the shipped forest (chosen by the folds); None for another learner.
    calibrator_c : float or None
        Inverse regularisation of the shipped ridge calibrator (chosen by
        the folds); None for another calibration.
    """

    n_samples: int | None = None
    n_cpgs_in_cohort: int | None = None
    n_cpgs_model: int | None = None
    n_classes: int | None = None
    final_fit_seconds: float | None = None
    total_seconds: float | None = None
    n_estimators: int | None = None
    calibrator_c: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``training`` object of ``metrics.json``, figures not recorded left out."""
        return {name: value for name, value in vars(self).items() if value is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrainingFacts:
        """Read what :meth:`to_json` wrote."""

        def count(name: str) -> int | None:
            return None if data.get(name) is None else int(data[name])

        def seconds(name: str) -> float | None:
            return None if data.get(name) is None else float(data[name])

        return cls(
            n_samples=count("n_samples"),
            n_cpgs_in_cohort=count("n_cpgs_in_cohort"),
            n_cpgs_model=count("n_cpgs_model"),
            n_classes=count("n_classes"),
            final_fit_seconds=seconds("final_fit_seconds"),
            total_seconds=seconds("total_seconds"),
            n_estimators=count("n_estimators"),
            calibrator_c=seconds("calibrator_c"),
        )


@dataclass(frozen=True)
class Promotion:
    """The quality gates' verdict on the evaluation, and what became of the model.

    Attributes
    ----------
    passed : bool
        Whether every gate held (never, without nested cross-validation).
    reasons : tuple of str
        One line per gate: the figure, the bound and whether it held.
    decision : str
        The champion decision: ``"promoted"``, ``"not promoted"`` or
        ``"not registered"``.
    """

    passed: bool
    reasons: tuple[str, ...]
    decision: str

    def to_json(self) -> dict[str, Any]:
        """The ``promotion`` object of ``metrics.json``."""
        return {"passed": self.passed, "reasons": list(self.reasons), "decision": self.decision}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Promotion:
        """Read what :meth:`to_json` wrote."""
        return cls(
            passed=bool(data["passed"]),
            reasons=tuple(str(reason) for reason in data["reasons"]),
            decision=str(data["decision"]),
        )


@dataclass(frozen=True, kw_only=True)
class TrackedRun:
    """Where a tracked training run and its model are found in MLflow.

    Attributes
    ----------
    tracking_uri : str
    run_id : str
    model_uri : str or None
        The logged model (``models:/m-<id>``); None until it is logged.
    registered_version : str or None
        Version in the Model Registry; None when not registered.
    registered_model_uri : str or None
        ``models:/NAME/VERSION``, what the service's ``MODEL_URI`` takes.
    champion : bool
        Whether this version now carries the champion alias.
    champion_decision : str
        As :attr:`Promotion.decision`, or ``"pending registration"`` in the
        copy of the bundle logged with the model, written before the
        registry gave it a version.
    """

    tracking_uri: str
    registered_version: str | None = None
    run_id: str
    model_uri: str | None = None
    registered_model_uri: str | None = None
    champion: bool = False
    champion_decision: str

    def to_json(self) -> dict[str, Any]:
        """The ``mlflow`` object of ``metrics.json``, also the bundle's ``provenance["mlflow"]``."""
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrackedRun:
        """Read what :meth:`to_json` wrote."""
        optional = ("registered_version", "model_uri", "registered_model_uri")
        return cls(
            tracking_uri=str(data["tracking_uri"]),
            run_id=str(data["run_id"]),
            **{name: str(data[name]) for name in optional if data.get(name) is not None},
            champion=bool(data.get("champion", False)),
            champion_decision=str(data["champion_decision"]),
        )


@dataclass(frozen=True)
class ModelMetrics:
    """Everything a training run measured and decided about its model.

    Attributes
    ----------
    evaluation : Evaluation or None
        Nested cross-validation; None when the run skipped it.
    training : TrainingFacts or None
    promotion : Promotion or None
    mlflow : TrackedRun or None
        None for an untracked run.
    assessment : Assessment or None
        None without nested cross-validation, and in older bundles.

    See the module docstring for what each section holds.
    """

    evaluation: Evaluation | None = None
    training: TrainingFacts | None = None
    promotion: Promotion | None = None
    mlflow: TrackedRun | None = None
    assessment: Assessment | None = None

    def to_json(self) -> dict[str, Any]:
        """The content of ``metrics.json``.

        ``evaluation`` is an empty object when none was run, as bundles have
        always written it; the other sections are left out when None.
        """
        out: dict[str, Any] = {"evaluation": self.evaluation.to_json() if self.evaluation else {}}
        if self.training is not None:
            out["training"] = self.training.to_json()
        if self.promotion is not None:
            out["promotion"] = self.promotion.to_json()
        if self.mlflow is not None:
            out["mlflow"] = self.mlflow.to_json()
        if self.assessment is not None:
            out["assessment"] = self.assessment.to_json()
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelMetrics:
        """Read ``metrics.json`` (or the ``metrics`` of ``bundle.json``).

        Raises
        ------
        KeyError, TypeError, ValueError
            If a section lacks a figure it always holds, or holds a value of
            the wrong kind.
        """
        evaluation, training = data.get("evaluation"), data.get("training")
        promotion, mlflow = data.get("promotion"), data.get("mlflow")
        assessment = data.get("assessment")
        return cls(
            evaluation=Evaluation.from_json(evaluation) if evaluation else None,
            training=TrainingFacts.from_json(training) if training is not None else None,
            promotion=Promotion.from_json(promotion) if promotion else None,
            mlflow=TrackedRun.from_json(mlflow) if mlflow else None,
            assessment=Assessment.from_json(assessment) if assessment else None,
        )
