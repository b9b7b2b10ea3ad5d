"""MLflow tracking and registry for training runs.

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
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema, TensorSpec

from classifier.bundle import ModelBundle, library_versions, to_jsonable
from training.gates import GateDecision

__all__ = ["CHAMPION_ALIAS", "configure_tracking", "flatten_metrics", "log_run"]

log = logging.getLogger(__name__)

CHAMPION_ALIAS = "champion"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def configure_tracking(root: Path = PROJECT_ROOT) -> str:
    """Point MLflow at ``MLFLOW_TRACKING_URI`` or the project's embedded store."""
    uri = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    return uri


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


def flatten_metrics(evaluation: dict, first_class: str = "DSRCT") -> dict[str, float]:
    """MLflow metric names for the nested-CV reports (NaN dropped)."""
    out: dict[str, float] = {}
    for kind in ("raw", "calibrated", "temperature"):
        report = evaluation.get(kind)
        if not report:
            continue
        for key, value in report.items():
            if isinstance(value, int | float) and value == value:
                out[f"{kind}_{key}"] = float(value)
        per = report.get("per_class", {})
        if first_class in per:
            for key in ("sensitivity", "precision"):
                value = per[first_class][key]
                if value == value:
                    out[f"{kind}_{first_class}_{key}"] = float(value)
    return out


def log_run(
    *,
    experiment: str,
    params: dict,
    evaluation: dict,
    figures: dict,
    register_as: str | None,
    gates: dict,
    gate_decision: GateDecision,
    write_bundle: Callable[[dict], ModelBundle],
    root: Path = PROJECT_ROOT,
) -> ModelBundle:
    """Log one training run; register the model and move the alias if the gates pass.

    Parameters
    ----------
    experiment : str
    params : dict
        Logged as run parameters.
    evaluation : dict
        The nested-CV reports, logged as metrics and ``evaluation/metrics.json``.
    figures : dict
        Name -> :class:`matplotlib.figure.Figure`, logged under ``figures/``.
    register_as : str or None
        Registered model name; None logs the model without registering it.
    gates, gate_decision
        The quality gates and their verdict on ``evaluation``. The decision
        is logged on every run (``evaluation/promotion.json``, tags
        ``champion_decision`` and ``gates_passed``), registered or not, so
        that runs can be compared.
    write_bundle : callable
        ``write_bundle(tracking)`` writes the bundle directory with the given
        tracking details in its provenance and metrics, and returns the
        bundle as written (``path`` set). It is called twice: with the run id
        before the model is logged, since the pyfunc model carries its own
        copy of the bundle, whose registry version only the registration of
        that copy assigns; then with the registry version and the champion
        decision, after which the directory is logged as the artifact
        ``bundle``, last, so that MLflow holds the final bundle.
    root : Path
        Project root, for the embedded artifact store and the model's code.

    Returns
    -------
    ModelBundle
        The final bundle. Its ``provenance["mlflow"]`` holds ``run_id``,
        ``model_uri`` (the logged model, ``models:/m-<id>``),
        ``registered_version`` and ``registered_model_uri``
        (``models:/NAME/VERSION``, for ``MODEL_URI``; both None when not
        registered), ``champion`` (bool), ``champion_decision`` and ``tracking_uri``.
    """
    exp_id = _experiment_id(experiment, root)
    info: dict = {"tracking_uri": mlflow.get_tracking_uri(), "registered_version": None}
    with mlflow.start_run(experiment_id=exp_id) as run:
        info["run_id"] = run.info.run_id
        mlflow.log_params({k: _param(v) for k, v in params.items()})
        mlflow.log_metrics(flatten_metrics(evaluation))
        mlflow.log_dict(to_jsonable(evaluation), "evaluation/metrics.json")
        mlflow.log_dict(gates, "evaluation/quality_gates.json")
        with tempfile.TemporaryDirectory() as tmp:
            for name, fig in figures.items():
                path = Path(tmp) / f"{name}.png"
                fig.savefig(path, dpi=110)
                mlflow.log_artifact(str(path), "figures")
        pending = "pending registration" if register_as else gate_decision.outcome(False)
        bundle = write_bundle(info | {"champion_decision": pending})
        assert bundle.path is not None  # write_bundle returns the bundle as written
        model_info = _log_model(bundle, register_as, root)
        # MLflow 3's logged model (models:/m-<id>); the registry URI, which
        # MODEL_URI takes, is added once registration has given a version.
        info["model_uri"] = model_info.model_uri
        info["registered_model_uri"] = None
        if register_as:
            info["registered_version"] = str(model_info.registered_model_version)
            info["registered_model_uri"] = f"models:/{register_as}/{info['registered_version']}"
            if gate_decision.passed:
                MlflowClient().set_registered_model_alias(
                    register_as, CHAMPION_ALIAS, info["registered_version"]
                )
        info["champion"] = bool(register_as and gate_decision.passed)
        info["champion_decision"] = gate_decision.outcome(registered=bool(register_as))
        _log_promotion(info, register_as, gate_decision)
        bundle = write_bundle(dict(info))
        assert bundle.path is not None
        mlflow.log_artifacts(str(bundle.path), "bundle")
    return bundle


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


def _log_promotion(info: dict, register_as: str | None, decision: GateDecision) -> None:
    """Record the gate verdict and the champion decision on the active run."""
    promotion = {
        "registered_model": register_as,
        "version": info["registered_version"],
        "alias": CHAMPION_ALIAS,
        "gates_passed": decision.passed,
        "moved": info["champion"],
        "decision": info["champion_decision"],
        "reasons": decision.reasons,
    }
    mlflow.log_dict(promotion, "evaluation/promotion.json")
    mlflow.set_tags(
        {
            "champion_decision": info["champion_decision"],
            "gates_passed": str(decision.passed).lower(),
            # MLflow caps tag values at 5,000 characters.
            "champion_reasons": json.dumps(decision.reasons)[:4900],
        }
    )


def _param(value) -> str:
    # Paths as written (json.dumps would quote them); lists and numbers as JSON.
    text = str(value) if isinstance(value, str | Path) else json.dumps(value, default=str)
    return text[:500]
