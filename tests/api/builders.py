"""Builders for the API tests: a tiny structured world, its model, and request bodies.

The world uses real probe ids (present on 450K, EPIC and EPICv2) so that
array detection and EPICv2 suffix collapse work as on real data; each class
differs from a shared baseline on its own block of CpGs, so that a model
fitted on ten samples per class calls clean profiles with confidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from classifier.bundle import ModelBundle, save_bundle
from classifier.calibration import TemperatureScaling
from classifier.estimator import MethylationClassifier
from classifier.manifest import load_manifest
from classifier.metrics import classification_report, reliability_curve
from classifier.model_metrics import Evaluation, ModelMetrics, TrainingFacts
from classifier.probes import ArrayType
from classifier.taxonomy import load_taxonomy

CLASSES = ("DSRCT", "EWS", "CIC", "SS", "RMS_ALV")
N_CPGS = 300
N_PER_CLASS = 10
MODEL_NAME = "tiny-test-model"
MODEL_VERSION = "7"
RUN_ID = "0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class TinyWorld:
    """Probe ids shared by every array, class centroids, and EPICv2 replicate ids.

    Attributes
    ----------
    cpgs : list of str
        Base probe ids of the cohort's columns.
    centroids : dict of str to ndarray
        Mean beta value of each class over ``cpgs``.
    epicv2_ids : dict of str to list of str
        EPICv2 (suffixed) probe ids of each base id.
    """

    cpgs: list[str]
    centroids: dict[str, np.ndarray]
    epicv2_ids: dict[str, list[str]]

    def values(self, label: str, seed: int = 0, noise: float = 0.03) -> np.ndarray:
        """A clean profile of a class over :attr:`cpgs`."""
        rng = np.random.default_rng([seed, CLASSES.index(label)])
        return np.clip(self.centroids[label] + rng.normal(0, noise, N_CPGS), 0.0, 1.0)

    def betas(self, label: str, seed: int = 0) -> dict[str, float]:
        """A clean profile as a ``betas`` object."""
        return dict(zip(self.cpgs, np.round(self.values(label, seed), 4).tolist(), strict=True))


def make_world(seed: int = 0) -> TinyWorld:
    """Pick real probe ids and build well-separated class centroids."""
    manifest = load_manifest()
    on_450k = set(manifest.array_probe_ids(ArrayType.HM450))
    on_epic = set(manifest.array_probe_ids(ArrayType.EPIC))
    v2: dict[str, list[str]] = {}
    for raw in manifest.array_probe_ids(ArrayType.EPICV2):
        v2.setdefault(str(raw).split("_", 1)[0], []).append(str(raw))
    shared = sorted(c for c in v2 if c.startswith("cg") and c in on_450k and c in on_epic)
    # Replicated CpGs first, so that the EPICv2 tests have some to average.
    replicated = [c for c in shared if len(v2[c]) > 1]
    rng = np.random.default_rng(seed)
    n_rep = min(len(replicated), 20)
    picked = set(rng.choice(replicated, n_rep, replace=False).tolist()) if n_rep else set()
    rest = [c for c in shared if c not in picked]
    picked |= set(rng.choice(rest, N_CPGS - len(picked), replace=False).tolist())
    cpgs = sorted(picked)
    baseline = rng.uniform(0.2, 0.8, N_CPGS)
    centroids = {}
    blocks = np.array_split(rng.permutation(N_CPGS), len(CLASSES))
    for label, block in zip(CLASSES, blocks, strict=True):
        centre = baseline.copy()
        centre[block] = np.where(baseline[block] > 0.5, 0.05, 0.95)
        centroids[label] = centre
    return TinyWorld(cpgs, centroids, {c: v2[c] for c in cpgs})


def fit_bundle(world: TinyWorld, out: Path, *, evaluated: bool = False) -> Path:
    """Fit a small real model on the world and save it as a bundle.

    The bundle has a reference embedding, as trained bundles do. With
    ``evaluated``, its metrics hold an evaluation computed from the model's
    own inner out-of-fold scores (a quick stand-in for nested CV), with the
    reliability curve the review page shows.
    """
    rows, labels = [], []
    for label in CLASSES:
        for i in range(N_PER_CLASS):
            rows.append(world.values(label, seed=1000 + i, noise=0.05))
            labels.append(label)
    X = pd.DataFrame(np.asarray(rows, dtype=np.float32), columns=world.cpgs)
    model = MethylationClassifier(filters=(), n_features=200, inner_folds=2).fit(X, labels)
    taxonomy = load_taxonomy()
    bundle = ModelBundle(
        estimator=model,
        name=MODEL_NAME,
        version=MODEL_VERSION,
        class_families=tuple(taxonomy.family_of(c) for c in model.classes_),
        metrics=ModelMetrics(
            training=TrainingFacts(n_samples=len(labels)),
            evaluation=_oof_evaluation(model, labels, taxonomy) if evaluated else None,
        ),
        provenance={
            "mlflow": {"run_id": RUN_ID, "registered_version": MODEL_VERSION},
            "training_data": {"n_samples": len(labels), "sha256": "ab" * 32},
        },
        reference_embedding=pd.DataFrame(
            {
                "sample_id": [f"ref-{i}" for i in range(len(labels))],
                "label": labels,
                "x": model.ood_.reference_[:, 0],
                "y": model.ood_.reference_[:, 1],
            }
        ),
    )
    return save_bundle(bundle, out)


def _oof_evaluation(model: MethylationClassifier, labels: list[str], taxonomy) -> Evaluation:
    proba = model.calibrator_.predict_proba(model.oof_raw_)
    classes = [str(c) for c in model.classes_]
    y_idx = np.array([classes.index(label) for label in labels])
    families = [taxonomy.family_of(c) for c in classes]
    temperature = TemperatureScaling().fit(model.oof_raw_, y_idx).predict_proba(model.oof_raw_)
    return Evaluation(
        raw=classification_report(model.oof_raw_, labels, classes, families),
        calibrated=classification_report(proba, labels, classes, families),
        temperature=classification_report(temperature, labels, classes, families),
        reliability=reliability_curve(proba, y_idx),
        outer_folds=2,
        inner_folds=2,
    )


def json_object_body(profiles: list[dict]) -> dict:
    """A JSON request body from profile dicts."""
    return {"profiles": profiles}


def arrays_profile(sample_id: str, betas: dict[str, float | None], **extra) -> dict:
    """The parallel-arrays form of a ``betas`` profile."""
    return {
        "sample_id": sample_id,
        "probe_ids": list(betas),
        "values": list(betas.values()),
        **extra,
    }


def arrow_body(rows: list[dict], metadata: dict[str, str] | None = None) -> bytes:
    """An Arrow IPC stream; each row has sample_id, values and optional other columns."""
    columns: dict[str, pa.Array] = {
        "sample_id": pa.array([r["sample_id"] for r in rows], pa.string()),
        "values": pa.array([r["values"] for r in rows], pa.list_(pa.float32())),
    }
    if any("probe_ids" in r for r in rows):
        columns["probe_ids"] = pa.array([r["probe_ids"] for r in rows], pa.list_(pa.string()))
    for name in ("diagnosis", "diagnosis_code", "findings"):
        if any(name in r for r in rows):
            columns[name] = pa.array([r.get(name) for r in rows], pa.string())
    table = pa.table(columns).replace_schema_metadata(metadata)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()
