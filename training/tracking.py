"""MLflow tracking and registry for training runs.

Plain steps that :func:`training.train.train` calls in order, each doing
one thing and returning what it learnt: :func:`start_run` (yields the run
id), :func:`log_params`, :func:`log_evaluation`, :func:`log_figures`,
:func:`log_model` (the pyfunc model, registered if asked; returns where it
went), :func:`promote` (moves the champion alias if the gates passed;
returns whether it moved), :func:`log_promotion` and :func:`log_bundle`.

By default the store is embedded in the project: a SQLite database
``mlflow.db`` and an artifact folder ``mlartifacts/`` at the repository
root (both ignored by git), so no server is needed. Set
``MLFLOW_TRACKING_URI`` to use a tracking server instead. A data scientist
opens the same store with::

    mlflow ui --backend-store-uri sqlite:///mlflow.db --default-artifact-root ./mlartifacts
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
from matplotlib.figure import Figure
from mlflow import MlflowClient
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema, TensorSpec

from classifier.bundle import ModelBundle, library_versions, to_jsonable
from classifier.model_metrics import Assessment, Evaluation, TrackedRun
from training.gates import GateDecision

__all__ = [
    "CHAMPION_ALIAS",
    "LoggedModel",
    "configure_tracking",
    "flatten_metrics",
    "log_bundle",
    "log_evaluation",
    "log_figures",
    "log_model",
    "log_params",
    "log_promotion",
    "promote",
    "start_run",
]

log = logging.getLogger(__name__)

CHAMPION_ALIAS = "champion"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def configure_tracking(root: Path = PROJECT_ROOT) -> str:
    """Point MLflow at ``MLFLOW_TRACKING_URI`` or the project's embedded store."""
    mlflow.set_tracking_uri(
        os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{root / 'mlflow.db'}"
    )
    return mlflow.get_tracking_uri()


def flatten_metrics(evaluation: Evaluation | None, first_class: str = "DSRCT") -> dict[str, float]:
    """MLflow metric names for the nested-CV reports (undefined figures dropped).

    ``<kind>_<figure>`` for every figure of the raw, calibrated and
    temperature-scaled reports, and ``<kind>_<first_class>_<sensitivity|precision>``.
    """
    out: dict[str, float] = {}
    if evaluation is None:
        return out
    for kind, report in evaluation.reports.items():
        for name, value in report.figures().items():
            if value is not None and value == value:
                out[f"{kind}_{name}"] = float(value)
        first = report.per_class.get(first_class)
        if first is not None:
            for name in ("sensitivity", "precision"):
                value = getattr(first, name)
                if value is not None and value == value:
                    out[f"{kind}_{first_class}_{name}"] = float(value)
    return out


@contextmanager
def start_run(experiment: str, root: Path = PROJECT_ROOT) -> Iterator[str]:
    """Start an MLflow run in ``experiment``, created if missing; yield its run id.

    The run ends when the block does: finished, or failed if the block raised.

    Parameters
    ----------
    experiment : str
    root : Path
        Project root, for the embedded artifact store.
    """
    with mlflow.start_run(experiment_id=_experiment_id(experiment, root)) as run:
        yield run.info.run_id


def log_params(params: dict[str, Any]) -> None:
    """Log the run's parameters: paths as written, other values as JSON."""
    mlflow.log_params({k: _param(v) for k, v in params.items()})


def log_evaluation(
    evaluation: Evaluation | None, gates: dict, assessment: Assessment | None = None
) -> None:
    """Log the nested-CV figures as metrics and ``evaluation/metrics.json``, and the gates.

    Parameters
    ----------
    evaluation : Evaluation or None
        None when the run skipped nested cross-validation (an empty
        ``evaluation/metrics.json`` is logged all the same).
    gates : dict
        The quality gates, as :func:`training.gates.load_gates` read them,
        logged as ``evaluation/quality_gates.json``.
    assessment : Assessment, optional
        Its headline figures as metrics (:func:`flatten_assessment`), all of
        it as ``evaluation/assessment.json``.
    """
    mlflow.log_metrics(flatten_metrics(evaluation) | flatten_assessment(assessment))
    figures = evaluation.to_json() if evaluation is not None else {}
    mlflow.log_dict(to_jsonable(figures), "evaluation/metrics.json")
    mlflow.log_dict(gates, "evaluation/quality_gates.json")
    if assessment is not None:
        mlflow.log_dict(to_jsonable(assessment.to_json()), "evaluation/assessment.json")


def flatten_assessment(
    assessment: Assessment | None, first_class: str = "DSRCT"
) -> dict[str, float]:
    """MLflow metric names for the assessment's headline figures (undefined ones dropped).

    ``conformal_*``, ``ood_*``, ``qc_*``, ``neighbours_*``,
    ``<first_class>_sensitivity_ci_low|high`` and ``robustness_<kind>_<level>_<figure>``
    (``level`` with every character MLflow refuses replaced by ``_``).
    """
    if assessment is None:
        return {}
    out: dict[str, float | None] = {}
    if (c := assessment.conformal) is not None:
        out |= {
            "conformal_coverage": c.coverage,
            "conformal_mean_set_size": c.mean_set_size,
            "conformal_previous_coverage": c.previous_coverage,
            "conformal_served_quantile": c.served_quantile,
        }
    if (o := assessment.ood) is not None:
        out |= {
            "ood_in_distribution_fpr": o.in_distribution_fpr,
            "ood_unseen_class_auroc": o.auroc,
            "ood_unseen_class_flagged": o.novel_flagged,
            "ood_unseen_class_match": o.novel_match,
        }
    if (q := assessment.qc) is not None:
        out |= {"qc_min_coverage": q.min_coverage, "qc_ood_distance": q.ood_distance}
    if (n := assessment.neighbours) is not None:
        out |= {
            "neighbours_outer_knn_share": n.outer_knn_share,
            "neighbours_map_knn_share": n.map_knn_share,
        }
    for figures in assessment.per_class:
        if figures.label == first_class:
            low, high = figures.sensitivity_ci
            out |= {f"{first_class}_sensitivity_ci_low": low}
            out |= {f"{first_class}_sensitivity_ci_high": high}
    for point in assessment.robustness:
        level = re.sub(r"[^A-Za-z0-9_.-]+", "_", point.level)
        for name in ("accuracy", "ece", "matched_error", "classified_fraction"):
            out[f"robustness_{point.kind}_{level}_{name}"] = getattr(point.figures, name)
    return {k: float(v) for k, v in out.items() if v is not None and v == v}


def log_figures(figures: dict[str, Figure]) -> None:
    """Log each :class:`matplotlib.figure.Figure` as ``figures/<name>.png``."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, fig in figures.items():
            path = Path(tmp) / f"{name}.png"
            fig.savefig(path, dpi=110)
            mlflow.log_artifact(str(path), "figures")


@dataclass(frozen=True)
class LoggedModel:
    """Where :func:`log_model` put the model.

    Attributes
    ----------
    model_uri : str
        MLflow 3's logged model, ``models:/m-<id>``.
    registered_version : str or None
        Version in the Model Registry; None when not registered.
    registered_model_uri : str or None
        ``models:/NAME/VERSION``, what the service's ``MODEL_URI`` takes.
    """

    model_uri: str
    registered_version: str | None
    registered_model_uri: str | None


def log_model(
    bundle: ModelBundle, register_as: str | None, root: Path = PROJECT_ROOT
) -> LoggedModel:
    """Log a written bundle as a pyfunc model; register it as ``register_as`` if given.

    The model carries its own copy of the bundle directory (``bundle.path``),
    as it is now: a registry version is assigned only by this registration.

    Parameters
    ----------
    bundle : ModelBundle
        As written (``path`` set).
    register_as : str or None
        Registered model name; None logs the model without registering it.
    root : Path
        Project root, whose ``classifier/`` and ``training/`` the model
        carries as its code.
    """
    info = _log_model(bundle, register_as, root)
    if not register_as:
        return LoggedModel(info.model_uri, None, None)
    version = str(info.registered_model_version)
    return LoggedModel(info.model_uri, version, f"models:/{register_as}/{version}")


def promote(register_as: str | None, version: str | None, passed: bool) -> bool:
    """Move the champion alias to a registered version whose gates passed.

    Parameters
    ----------
    register_as : str or None
        Registered model name; None (not registered) never moves the alias.
    version : str or None
        The version :func:`log_model` registered.
    passed : bool
        The quality gates' verdict.

    Returns
    -------
    bool
        Whether the alias :data:`CHAMPION_ALIAS` now points at ``version``.
    """
    if not (register_as and version and passed):
        return False
    MlflowClient().set_registered_model_alias(register_as, CHAMPION_ALIAS, version)
    return True


def log_promotion(tracked: TrackedRun, decision: GateDecision, register_as: str | None) -> None:
    """Record the gate verdict and the champion decision on the active run.

    Logged on every run, registered or not, so that runs can be compared:
    ``evaluation/promotion.json`` and the tags ``champion_decision``,
    ``gates_passed`` and ``champion_reasons``.
    """
    promotion = {
        "registered_model": register_as,
        "version": tracked.registered_version,
        "alias": CHAMPION_ALIAS,
        "gates_passed": decision.passed,
        "moved": tracked.champion,
        "decision": tracked.champion_decision,
        "reasons": decision.reasons,
    }
    mlflow.log_dict(promotion, "evaluation/promotion.json")
    mlflow.set_tags(
        {
            "champion_decision": tracked.champion_decision,
            "gates_passed": str(decision.passed).lower(),
            # MLflow caps tag values at 5,000 characters.
            "champion_reasons": json.dumps(decision.reasons)[:4900],
        }
    )


def log_bundle(path: Path) -> None:
    """Log a bundle directory as the run's artifact ``bundle``."""
    mlflow.log_artifacts(str(path), "bundle")


def _experiment_id(name: str, root: Path) -> str:
    client = MlflowClient()
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = None
    uri = mlflow.get_tracking_uri()
    if uri.startswith("sqlite:///"):
        # Artifacts beside the database they belong to: the project's
        # mlartifacts/ for the embedded store, a test's own folder for its own.
        database = Path(uri.removeprefix("sqlite:///"))
        folder = database.parent if database.is_absolute() else root / database.parent
        location = (folder / "mlartifacts").as_uri()
    return client.create_experiment(name, artifact_location=location)


def _log_model(bundle: ModelBundle, register_as: str | None, root: Path):
    """Log the bundle as a pyfunc model (registered as ``register_as`` if given)."""
    n_cpgs = len(bundle.cpgs)
    signature = ModelSignature(
        inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, n_cpgs))]),
        outputs=Schema(
            [
                ColSpec("string", "top_class"),
                ColSpec("double", "score"),
                ColSpec("string", "family"),
                ColSpec("double", "family_score"),
                ColSpec("string", "decision"),
                ColSpec("double", "coverage"),
                ColSpec("boolean", "out_of_distribution"),
            ]
        ),
    )
    example = bundle.estimator.medians_[None, :].astype(np.float32)
    versions = library_versions()
    requirements = [
        f"{pkg}=={versions[pkg]}" for pkg in ("numpy", "pandas", "scikit-learn", "xgboost")
    ] + ["scipy", "joblib", "imbalanced-learn", "pyarrow"]
    # Two notices of MLflow's that do not apply here, and would end every training's
    # output: our explicit tensor signature replaces its type-hint inference, and
    # the model's bundle is a pickle anyway (load only models you trained). MLflow
    # sets its own warning filter around the first, so it is caught, not filtered.
    pyfunc_logger = logging.getLogger("mlflow.pyfunc")
    pyfunc_logger.addFilter(_not_the_cloudpickle_notice)
    try:
        with warnings.catch_warnings(record=True) as caught:
            from training.pyfunc_model import SarcomaClassifierPyfunc

            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=SarcomaClassifierPyfunc(),
                artifacts={"bundle": str(bundle.path)},
                signature=signature,
                input_example=example,
                pip_requirements=requirements,
                code_paths=[str(root / "classifier"), str(root / "training")],
                registered_model_name=register_as,
            )
    finally:
        pyfunc_logger.removeFilter(_not_the_cloudpickle_notice)
    for warning in caught:
        if "type hints to the `predict` method" not in str(warning.message):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return info


def _not_the_cloudpickle_notice(record: logging.LogRecord) -> bool:
    return "serialized using CloudPickle" not in record.getMessage()


def _param(value) -> str:
    # Paths as written (json.dumps would quote them); lists and numbers as JSON.
    text = str(value) if isinstance(value, str | Path) else json.dumps(value, default=str)
    return text[:500]
