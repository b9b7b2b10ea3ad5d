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
from pathlib import Path

import matplotlib.pyplot as plt
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
    if mlflow.get_tracking_uri().startswith("sqlite:"):
        location = (root / "mlartifacts").as_uri()
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
    bundle: ModelBundle,
    bundle_dir: Path,
    evaluation: dict,
    figures: dict,
    register_as: str | None,
    gates: dict,
    gate_decision: GateDecision,
    root: Path = PROJECT_ROOT,
) -> dict:
    """Log one training run; register the model and move the alias if the gates pass.

    Returns
    -------
    dict
        ``run_id``, ``model_uri``, ``registered_version`` (or None),
        ``champion`` (bool) and ``tracking_uri``.
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
                plt.close(fig)
                mlflow.log_artifact(str(path), "figures")
        mlflow.log_artifacts(str(bundle_dir), "bundle")
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
        with warnings.catch_warnings():
            # Our explicit tensor signature replaces MLflow's type-hint inference.
            warnings.filterwarnings("ignore", message=".*type hints to the `predict` method.*")
            from training.pyfunc_model import SarcomaClassifierPyfunc

            model_info = mlflow.pyfunc.log_model(
                name="model",
                python_model=SarcomaClassifierPyfunc(),
                artifacts={"bundle": str(bundle_dir)},
                signature=signature,
                input_example=example,
                pip_requirements=requirements,
                code_paths=[str(root / "classifier"), str(root / "training")],
                registered_model_name=register_as,
            )
        info["model_uri"] = model_info.model_uri
        if register_as:
            version = str(model_info.registered_model_version)
            info["registered_version"] = version
            client = MlflowClient()
            if gate_decision.passed:
                client.set_registered_model_alias(register_as, CHAMPION_ALIAS, version)
            promotion = {
                "registered_model": register_as,
                "version": version,
                "alias": CHAMPION_ALIAS,
                "moved": gate_decision.passed,
                "reasons": gate_decision.reasons,
            }
            mlflow.log_dict(promotion, "evaluation/promotion.json")
            mlflow.set_tags(
                {
                    "champion_decision": "promoted" if gate_decision.passed else "not promoted",
                    "champion_reasons": json.dumps(gate_decision.reasons)[:4900],
                }
            )
        info["champion"] = bool(register_as and gate_decision.passed)
    return info


def _param(value) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text[:500]
