"""The self-describing model bundle: one directory, one loader, one typed object.

A bundle directory holds

``bundle.json``
    Format version, name and version, classes and their families, the
    ordered CpG count, decision threshold, training metrics, provenance
    (creation time, code version, library versions, fingerprint of the
    training data, training parameters, MLflow run id) and the SHA-256 of
    the estimator file.
``estimator.joblib``
    The fitted :class:`~classifier.estimator.MethylationClassifier`.
``cpgs.txt``
    The model's ordered CpG list, one id per line, readable without Python.
``metrics.json``
    What the training run measured and decided
    (:class:`~classifier.model_metrics.ModelMetrics`: nested cross-validation,
    sizes and timings, the quality gates' verdict, the MLflow run), also in
    ``bundle.json``.
``reference_embedding.csv`` (optional)
    Map coordinates (:mod:`classifier.embedding`), class and family of the
    reference samples (no sample ids), to place a case among them.

``bundle.json`` also holds, when the training run measured them, the
quality-control thresholds chosen from its evaluation (``qc_thresholds``,
:class:`~classifier.qc_thresholds.QcThresholds`): the minimum share of the
model's CpGs a profile must measure and the largest OOD distance.

The estimator file is a pickle: load bundles only from sources you trust.
:func:`load_bundle` checks its hash against ``bundle.json`` so that a
corrupted or swapped file fails loudly instead of classifying.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from classifier.decision import DEFAULT_THRESHOLD, Decision, FamilyAggregator, decide
from classifier.errors import ModelBundleError
from classifier.estimator import MethylationClassifier, Prediction
from classifier.model_metrics import ModelMetrics
from classifier.qc_thresholds import QcThresholds

__all__ = [
    "BUNDLE_FILE",
    "BUNDLE_FORMAT",
    "Call",
    "ModelBundle",
    "library_versions",
    "load_bundle",
    "save_bundle",
    "to_jsonable",
]

#: Version of the on-disk layout; bump when it changes incompatibly.
BUNDLE_FORMAT = 1
#: The file that makes a directory a bundle: its description (classes, provenance, ...).
BUNDLE_FILE = "bundle.json"
_ESTIMATOR_FILE = "estimator.joblib"


@dataclass(frozen=True)
class Call:
    """The classifier's statement about one profile.

    Attributes
    ----------
    top_class : str
    score : float
        Calibrated score of the top class.
    family : str
        Best-scoring family (the top class's family whenever it is a match).
    family_score : float
    decision : Decision
    scores : dict of str to float
        Calibrated score of every class.
    raw_scores : dict of str to float
        Base learner scores, for comparison.
    family_scores : dict of str to float
    coverage : float
        Share of the model's CpGs that were measured.
    ood : bool
        Out of distribution: unlike the whole reference cohort.
    ood_distance : float
    ood_threshold : float
    prediction_set : list of str
        Classes that cannot be excluded at the conformal level.
    embedding : tuple of float
        Position on the reference map (:mod:`classifier.embedding`), for
        the case page's map.
    """

    top_class: str
    score: float
    family: str
    family_score: float
    decision: Decision
    scores: dict[str, float]
    raw_scores: dict[str, float]
    family_scores: dict[str, float]
    coverage: float
    ood: bool
    ood_distance: float
    ood_threshold: float
    prediction_set: list[str]
    embedding: tuple[float, float]

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        """Return the ``n`` best classes with their calibrated scores."""
        return sorted(self.scores.items(), key=lambda kv: -kv[1])[:n]


@dataclass(frozen=True)
class ModelBundle:
    """A trained model with everything needed to use and audit it.

    Attributes
    ----------
    estimator : MethylationClassifier
    name, version : str
        Model name and version (the registry's, once registered).
    class_families : tuple of str
        Family of each class, in ``estimator.classes_`` order.
    threshold : float
        Calibrated score needed for a match.
    min_verdict_coverage : float or None
        Share of the model's CpGs a profile must measure for its call to reach
        a verdict (:class:`classifier.quality_gate.ProfileQuality`), set by a
        person in ``bundle.json``; ``None`` leaves it to
        :meth:`verdict_min_coverage` (the service's ``MIN_VERDICT_COVERAGE``,
        raised by the evaluated ``qc_thresholds``).
    metrics : ModelMetrics
        What the training run measured and decided (nested cross-validation,
        sizes, quality gates, MLflow run).
    provenance : dict
        Where the model came from: see the module docstring.
    reference_embedding : pandas.DataFrame or None
        ``label``, ``family``, ``x``, ``y`` of each reference sample; no
        sample ids, which for a user's cohort may identify patients.
    qc_thresholds : QcThresholds or None
        Minimum coverage and largest OOD distance chosen from the model's
        evaluation; None for a model trained without one (the service then
        uses its defaults).
    path : Path or None
        Directory it was loaded from.
    """

    estimator: MethylationClassifier
    name: str
    version: str
    class_families: tuple[str, ...]
    threshold: float = DEFAULT_THRESHOLD
    min_verdict_coverage: float | None = None
    metrics: ModelMetrics = field(default_factory=ModelMetrics)
    provenance: dict = field(default_factory=dict)
    reference_embedding: pd.DataFrame | None = None
    qc_thresholds: QcThresholds | None = None
    path: Path | None = None

    @property
    def classes(self) -> tuple[str, ...]:
        """Class labels in score order."""
        return tuple(str(c) for c in self.estimator.classes_)

    @property
    def cpgs(self) -> np.ndarray:
        """The model's ordered CpG list."""
        return self.estimator.cpgs_

    @property
    def aggregator(self) -> FamilyAggregator:
        """Sums class scores into family scores."""
        return FamilyAggregator(self.classes, self.class_families)

    def verdict_min_coverage(self, service_minimum: float) -> float:
        """Share of the model's CpGs a profile must measure for its call to reach a verdict.

        The bundle's own ``min_verdict_coverage`` when a person set one;
        otherwise the stricter of the service's minimum and the minimum
        coverage chosen from the model's evaluation (``qc_thresholds``). The
        evaluated value alone is not trusted to lower the service's: it is
        measured by thinning profiles at random, which is kinder than the
        missing-probe patterns of real arrays and FFPE material.

        Parameters
        ----------
        service_minimum : float
            The service's setting (``MIN_VERDICT_COVERAGE``).
        """
        if self.min_verdict_coverage is not None:
            return self.min_verdict_coverage
        if self.qc_thresholds is None:
            return service_minimum
        return max(service_minimum, self.qc_thresholds.min_coverage)

    def classify_aligned(self, aligned: np.ndarray) -> list[Call]:
        """Classify profiles already aligned to :attr:`cpgs` (NaN = not measured)."""
        return self.calls(self.estimator.predict_aligned(aligned))

    def calls(self, prediction: Prediction) -> list[Call]:
        """Turn an estimator prediction into one :class:`Call` per profile."""
        agg = self.aggregator
        classes = agg.classes  # built once here, not per profile by the property
        fam_scores = agg.family_scores(prediction.calibrated)
        families = agg.families
        qc = self.qc_thresholds
        ood_threshold = qc.ood_distance if qc is not None else float(self.estimator.ood_.threshold_)
        out = []
        for i, proba in enumerate(prediction.calibrated):
            top = int(np.argmax(proba))
            best_family = int(np.argmax(fam_scores[i]))
            score, family_score = float(proba[top]), float(fam_scores[i, best_family])
            out.append(
                Call(
                    top_class=classes[top],
                    score=score,
                    family=families[best_family],
                    family_score=family_score,
                    decision=decide(score, family_score, self.threshold),
                    scores=dict(zip(classes, proba.round(6).tolist(), strict=True)),
                    raw_scores=dict(zip(classes, prediction.raw[i].round(6).tolist(), strict=True)),
                    family_scores=dict(zip(families, fam_scores[i].round(6).tolist(), strict=True)),
                    coverage=float(prediction.coverage[i]),
                    ood=bool(prediction.ood_distance[i] > ood_threshold),
                    ood_distance=float(prediction.ood_distance[i]),
                    ood_threshold=ood_threshold,
                    prediction_set=prediction.prediction_sets[i],
                    embedding=(
                        float(prediction.embedding[i, 0]),
                        float(prediction.embedding[i, 1]),
                    ),
                )
            )
        return out


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a bundle depends on."""
    import sklearn
    import xgboost

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "xgboost": xgboost.__version__,
    }


def save_bundle(bundle: ModelBundle, directory: str | Path) -> Path:
    """Write a bundle directory (see the module docstring for its files).

    Parameters
    ----------
    bundle : ModelBundle
    directory : str or Path
        Created if missing; bundle files in it are replaced.

    Returns
    -------
    Path
        The directory.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(bundle.estimator, out / _ESTIMATOR_FILE, compress=3)
    (out / "cpgs.txt").write_text("\n".join(map(str, bundle.cpgs)) + "\n")
    metrics = to_jsonable(bundle.metrics.to_json())
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    if bundle.reference_embedding is not None:
        bundle.reference_embedding.to_csv(out / "reference_embedding.csv", index=False)
    provenance = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": library_versions(),
    } | bundle.provenance
    meta = {
        "format": BUNDLE_FORMAT,
        "name": bundle.name,
        "version": bundle.version,
        "threshold": bundle.threshold,
        "classes": list(bundle.classes),
        "class_families": list(bundle.class_families),
        "n_cpgs": len(bundle.cpgs),
        "learner": bundle.estimator.learner,
        "calibration": bundle.estimator.calibration,
        "params": bundle.estimator.get_params(),
        "metrics": metrics,
        "qc_thresholds": bundle.qc_thresholds.to_json() if bundle.qc_thresholds else None,
        "provenance": provenance,
        "estimator_sha256": _sha256(out / _ESTIMATOR_FILE),
    }
    if bundle.min_verdict_coverage is not None:
        meta["min_verdict_coverage"] = bundle.min_verdict_coverage
    (out / BUNDLE_FILE).write_text(json.dumps(to_jsonable(meta), indent=2))
    return out


def load_bundle(directory: str | Path) -> ModelBundle:
    """Load and verify a bundle directory.

    Parameters
    ----------
    directory : str or Path

    Returns
    -------
    ModelBundle

    Raises
    ------
    ModelBundleError
        If a file is missing, the format is unknown, the estimator's hash
        does not match, the ordered CpG list of ``cpgs.txt`` (or the count
        in ``bundle.json``) disagrees with the estimator's, or the metrics
        in ``bundle.json`` are malformed.
    """
    root = Path(directory)
    meta_path = root / BUNDLE_FILE
    if not meta_path.is_file():
        raise ModelBundleError(f"no model bundle at {root} (bundle.json missing)", field="path")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise ModelBundleError(f"{meta_path} is not valid JSON: {exc}", field="path") from exc
    if meta.get("format") != BUNDLE_FORMAT:
        raise ModelBundleError(
            f"bundle format {meta.get('format')!r} is not supported (expected {BUNDLE_FORMAT})",
            field="format",
        )
    est_path = root / _ESTIMATOR_FILE
    if not est_path.is_file():
        raise ModelBundleError(f"bundle {root} has no {_ESTIMATOR_FILE}", field="path")
    if _sha256(est_path) != meta["estimator_sha256"]:
        raise ModelBundleError(
            f"{est_path} does not match the hash recorded in bundle.json; refusing to load",
            field="estimator_sha256",
        )
    estimator = joblib.load(est_path)
    if [str(c) for c in estimator.classes_] != meta["classes"]:
        raise ModelBundleError("bundle.json classes differ from the estimator's", field="classes")
    if len(estimator.cpgs_) != meta["n_cpgs"]:
        raise ModelBundleError(
            f"bundle.json lists {meta['n_cpgs']} CpGs, the estimator {len(estimator.cpgs_)}",
            field="cpgs",
        )
    _check_cpg_list(root / "cpgs.txt", estimator.cpgs_)
    try:
        metrics = ModelMetrics.from_json(meta.get("metrics") or {})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelBundleError(
            f"{meta_path}: the training metrics are malformed ({type(exc).__name__}: {exc})",
            field="metrics",
        ) from exc
    qc = meta.get("qc_thresholds")
    try:
        qc_thresholds = QcThresholds.from_json(qc) if qc else None
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelBundleError(
            f"{meta_path}: qc_thresholds is malformed ({type(exc).__name__}: {exc})",
            field="qc_thresholds",
        ) from exc
    embedding_path = root / "reference_embedding.csv"
    embedding = pd.read_csv(embedding_path) if embedding_path.is_file() else None
    return ModelBundle(
        estimator=estimator,
        name=meta["name"],
        version=str(meta["version"]),
        class_families=tuple(meta["class_families"]),
        threshold=float(meta["threshold"]),
        min_verdict_coverage=_share(meta.get("min_verdict_coverage"), meta_path),
        metrics=metrics,
        provenance=meta.get("provenance", {}),
        reference_embedding=embedding,
        qc_thresholds=qc_thresholds,
        path=root,
    )


def to_jsonable(obj):
    """Return ``obj`` with NaN and infinities as ``None`` and numpy values as Python ones.

    ``json.dumps`` would write NaN, which is not JSON; numpy computations
    give NaN where a figure is undefined (e.g. the mean of no values).
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    return str(obj)


def _check_cpg_list(path: Path, expected: np.ndarray) -> None:
    """Compare ``cpgs.txt`` with the estimator's ordered CpG list.

    The text file is what people and other tools read as the model's input
    order, so it must say exactly what the estimator expects.
    """
    if not path.is_file():
        raise ModelBundleError(f"bundle {path.parent} has no {path.name}", field="cpgs")
    listed = path.read_text().split()
    wanted = [str(c) for c in expected]
    if listed == wanted:
        return
    at = next(
        (i for i, (a, b) in enumerate(zip(listed, wanted, strict=False)) if a != b),
        min(len(listed), len(wanted)),
    )
    found = repr(listed[at]) if at < len(listed) else "the end of the list"
    instead = repr(wanted[at]) if at < len(wanted) else "the end of the list"
    raise ModelBundleError(
        f"{path.name} differs from the estimator's CpG list at position {at + 1}: "
        f"{found} where the estimator has {instead} ({path.name} lists {len(listed)} CpGs, "
        f"the estimator {len(wanted)}); refusing to load",
        field="cpgs",
    )


def _share(value: object, meta_path: Path) -> float | None:
    """An optional share in [0, 1] of the bundle description, checked."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ModelBundleError(
            f"{meta_path}: min_verdict_coverage must be a share in [0, 1], got {value!r}",
            field="min_verdict_coverage",
        )
    return float(value)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
