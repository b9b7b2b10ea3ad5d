"""Train, evaluate by nested cross-validation, bundle, track and register a model.

Usage::

    python -m training.train --cohort DIR [--label-column COL] [--model rf|xgb|linear]
        [--outer-folds 5] [--inner-folds 3] [--seed N] [--out BUNDLE_DIR] [--replace]
        [--experiment NAME] [--register NAME] [--n-features N]
        [--calibration ridge|temperature|none] [--threshold 0.9] [--gates FILE]
        [--filters snp,cross_reactive,...|none] [--n-jobs N] [--no-tracking]
        [--batch-adjustment none|material] [--outer-jobs N] [--dask-scheduler ADDRESS]

``--out`` (default ``models/sarcoma-classifier``, the model ``make run``
serves) must not hold a bundle already unless ``--replace`` is given.
``--outer-folds 0`` skips the nested evaluation (a quick model; it cannot
become champion, since the gates need the evaluation). ``--filters`` names
the manifest probe filters applied before training (default: the
estimator's ``DEFAULT_FILTERS``; ``none`` keeps every probe).
``--batch-adjustment material`` fits the FFPE / frozen adjustment inside
every fit (the cohort's ``material`` column). ``--outer-jobs`` fits that
many outer folds at once; ``--dask-scheduler`` sends them to a Dask cluster. Progress goes
to standard error; the final metrics are printed as one JSON object on the
last line of standard output and written to ``metrics.json`` in the bundle.
Bad options, and a cohort outside the documented format or too sparsely
measured to select CpGs from, are refused before training starts: an
``error:`` line on standard error, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np

from classifier.batch_adjustment import BATCH_ADJUSTMENTS
from classifier.bundle import BUNDLE_FILE, ModelBundle, save_bundle, to_jsonable
from classifier.code_version import code_version
from classifier.errors import ClassifierError
from classifier.estimator import MethylationClassifier
from classifier.learners import DEFAULT_LEARNER, LEARNERS
from classifier.manifest import DEFAULT_FILTERS, FILTERS
from classifier.taxonomy import Taxonomy, load_taxonomy
from training.cohort import Cohort, read_cohort
from training.cohort_checks import check_cohort
from training.distributed import outer_fold_backend
from training.figures import (
    confusion_matrix_figure,
    reliability_figure,
    score_distribution_figure,
)
from training.gates import DEFAULT_GATES, GateDecision, check_gates, load_gates
from training.nested_cv import choose_folds, evaluate, nested_cross_validate
from training.out_paths import directory_problem

__all__ = ["TrainConfig", "main", "train"]

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = PROJECT_ROOT / "models" / "sarcoma-classifier"


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run is told; see the module docstring."""

    cohort: Path
    label_column: str = "label"
    model: str = DEFAULT_LEARNER
    outer_folds: int = 5
    inner_folds: int = 3
    seed: int = 0
    out: Path = DEFAULT_BUNDLE
    experiment: str = "sarcoma-classifier"
    register: str | None = None
    n_features: int = 10_000
    calibration: str = "ridge"
    threshold: float = 0.9
    gates: Path = DEFAULT_GATES
    filters: tuple[str, ...] = DEFAULT_FILTERS
    n_jobs: int = 2
    tracking: bool = True
    name: str = "sarcoma-classifier"
    batch_adjustment: str = "none"
    outer_jobs: int = 1
    dask_scheduler: str | None = None


def train(config: TrainConfig) -> dict:
    """Run a whole training job and return the final metrics.

    Parameters
    ----------
    config : TrainConfig

    Returns
    -------
    dict
        The metrics written to ``metrics.json``: ``evaluation`` (nested CV,
        raw / calibrated / temperature), ``training`` (sizes and timings),
        ``promotion`` (the gate verdict and champion decision) and
        ``mlflow`` details when tracked.
    """
    started = time.perf_counter()
    gates = load_gates(config.gates)
    cohort = read_cohort(config.cohort, label_column=config.label_column)
    labels = cohort.labels
    families = _class_families(cohort, load_taxonomy(), config.label_column)
    template = MethylationClassifier(
        learner=config.model,
        calibration=config.calibration,
        n_features=config.n_features,
        filters=config.filters,
        inner_folds=config.inner_folds,
        random_state=config.seed,
        n_jobs=config.n_jobs,
        batch_adjustment=config.batch_adjustment,
    )
    material = _material(cohort, config.batch_adjustment)
    # Everything that would stop the run is refused here, before the first fold.
    check_cohort(cohort, config.cohort, template.max_missing)
    _say(
        f"cohort {config.cohort}: {len(cohort)} samples, {cohort.betas.shape[1]} CpGs, "
        f"{len(np.unique(labels))} classes; learner {config.model} ({LEARNERS[config.model]})"
    )

    evaluation: dict = {}
    figures: dict = {}
    if config.outer_folds:
        # The counts the folds will use, and why they differ from the request, before they run.
        outer, inner, notes = choose_folds(labels, config.outer_folds, config.inner_folds)
        _say(f"nested cross-validation: {outer} outer x {inner} inner")
        for note in notes:
            _say(f"note: {note}")
        with outer_fold_backend(config.dask_scheduler):
            result = nested_cross_validate(
                template, cohort.betas, labels, config.outer_folds, config.seed, _progress,
                samples=cohort.samples, n_jobs=-1 if config.dask_scheduler else config.outer_jobs,
            )  # fmt: skip
        evaluation = evaluate(result, families, config.threshold)
        evaluation["fold_fit_seconds"] = [round(s, 1) for s in result.fit_seconds]
        evaluation["fold_params"] = result.fold_params
        y_idx = np.searchsorted(result.classes, result.y)
        figures = {
            "reliability": reliability_figure(
                {
                    "raw": (result.raw, y_idx),
                    "ridge calibrated": (result.calibrated, y_idx),
                    "temperature scaled": (result.temperature, y_idx),
                },
                threshold=config.threshold,
            ),
            "confusion_matrix": confusion_matrix_figure(
                y_idx, result.calibrated.argmax(axis=1), list(result.classes)
            ),
            "score_distribution": score_distribution_figure(
                result.calibrated, y_idx, threshold=config.threshold
            ),
        }

    model, fit_seconds = _final_fit(template, cohort, evaluation.get("fold_fit_seconds"), material)
    if len(model.cpgs_) < config.n_features:
        # Not an error (a small cohort, an older array), but the model is not what was asked.
        _say(
            f"note: the model reads {len(model.cpgs_)} CpGs, not the {config.n_features} of "
            f"--n-features: only that many of the cohort's {cohort.betas.shape[1]} pass the "
            "probe filters and are measured in enough samples"
        )
    decision = check_gates(evaluation, gates)
    training = {
        "n_samples": len(cohort),
        "n_cpgs_in_cohort": int(cohort.betas.shape[1]),
        "n_cpgs_model": len(model.cpgs_),
        "n_classes": len(model.classes_),
        "final_fit_seconds": round(fit_seconds, 1),
        "n_estimators": model.n_estimators_,
        "calibrator_c": model.calibrator_c_,
    }
    provenance = {
        "code_version": code_version(),
        "training_data": {
            "cohort": str(config.cohort),
            "label_column": config.label_column,
            "sha256": fingerprint(cohort),
            "n_samples": len(cohort),
        },
        "config": {k: str(v) for k, v in asdict(config).items()},
    }
    bundle = ModelBundle(
        estimator=model,
        name=config.register or config.name,
        version="unregistered",
        class_families=tuple(families[c] for c in model.classes_),
        threshold=config.threshold,
        metrics={
            "evaluation": evaluation,
            "training": training,
            "promotion": {"passed": decision.passed, "reasons": decision.reasons},
        },
        provenance=provenance,
        reference_embedding=_reference_embedding(model, cohort, families),
    )
    write_bundle = partial(_write_bundle, bundle, config.out, started, decision)
    if config.tracking:
        from training.tracking import configure_tracking, log_run

        configure_tracking()
        try:
            bundle = log_run(
                experiment=config.experiment,
                params=asdict(config) | {"n_cpgs_model": len(model.cpgs_)},
                evaluation=evaluation,
                figures=figures,
                register_as=config.register,
                gate_decision=decision,
                gates=gates,
                write_bundle=write_bundle,
            )
        except Exception:
            # Keep the trained model even when the tracking store fails.
            _say(f"MLflow logging failed; bundle written untracked to {write_bundle(None).path}")
            raise
        tracked = bundle.provenance["mlflow"]
        _say(f"MLflow run {tracked['run_id']} at {tracked['tracking_uri']}")
    else:
        bundle = write_bundle(None)
    _say(f"bundle written to {bundle.path}")
    for reason in decision.reasons:
        _say(f"gate: {reason}")
    _say(f"champion decision: {bundle.metrics['promotion']['decision']}")
    return bundle.metrics


def fingerprint(cohort: Cohort) -> str:
    """SHA-256 of the cohort's CpG ids, sample ids, labels and beta values."""
    digest = hashlib.sha256()
    digest.update("\n".join(map(str, cohort.betas.columns)).encode())
    digest.update("\n".join(map(str, cohort.betas.index)).encode())
    digest.update("\n".join(cohort.labels).encode())
    values = cohort.betas.to_numpy(dtype=np.float32)
    # Row blocks, so that a full-width cohort is never copied whole.
    for start in range(0, len(values), 64):
        digest.update(np.ascontiguousarray(values[start : start + 64]).tobytes())
    return digest.hexdigest()


def summary(metrics: dict) -> dict:
    """The headline figures printed on the last line."""
    out: dict = {}
    for kind in ("raw", "calibrated", "temperature"):
        report = metrics["evaluation"].get(kind)
        if report:
            out[kind] = {
                k: round(v, 4) if isinstance(v, float) else v
                for k, v in report.items()
                if k != "per_class"
            }
            dsrct = report["per_class"].get("DSRCT")
            if dsrct:
                out[kind]["DSRCT_sensitivity"] = dsrct["sensitivity"]
    out["training"] = metrics["training"]
    out["promotion"] = metrics["promotion"]
    if "mlflow" in metrics:
        out["mlflow"] = metrics["mlflow"]
    return out


def _material(cohort: Cohort, batch_adjustment: str):
    """The cohort's material column, which a batch adjustment needs (else None)."""
    if batch_adjustment == "none":
        return None
    if "material" not in cohort.samples.columns:
        raise ClassifierError(
            "--batch-adjustment material needs a 'material' column in samples.csv "
            "(FFPE, frozen, ...)",
            field="batch_adjustment",
        )
    return cohort.samples["material"].astype(str).to_numpy()


def _common_size(fold_params: list[dict]):
    """The forest size most outer folds chose (the larger on a tie; None if not a forest)."""
    sizes = [p.get("n_estimators") for p in fold_params if p.get("n_estimators") is not None]
    if not sizes:
        return None
    counts = {size: sizes.count(size) for size in sizes}
    return max(counts, key=lambda size: (counts[size], size))


def _final_fit(
    template: MethylationClassifier,
    cohort: Cohort,
    fold_seconds: list[float] | None,
    material=None,
    calibration_scores=None,
) -> tuple[MethylationClassifier, float]:
    """Fit the model that is shipped, on every sample, saying how long it took."""
    # The random forest takes minutes on the default cohort: say so before the wait.
    hint = f"; an outer fold took about {np.mean(fold_seconds):.0f} s" if fold_seconds else ""
    _say(f"final fit on all {len(cohort)} samples{hint}")
    fit_start = time.perf_counter()
    model = template.fit(
        cohort.betas, cohort.labels, material=material, calibration_scores=calibration_scores
    )
    seconds = time.perf_counter() - fit_start
    _say(f"final fit done in {seconds:.0f} s")
    return model, seconds


def _write_bundle(
    bundle: ModelBundle,
    out: Path,
    started: float,
    decision: GateDecision,
    tracked: dict | None,
) -> ModelBundle:
    """Write ``bundle`` with its final metrics and, once known, its MLflow run and version.

    Returns the bundle as written, ``path`` set. ``tracked`` is None for an
    untracked run, else what :func:`training.tracking.log_run` knows so far.
    """
    outcome = tracked["champion_decision"] if tracked else decision.outcome(registered=False)
    metrics = bundle.metrics | {
        "training": bundle.metrics["training"]
        | {"total_seconds": round(time.perf_counter() - started, 1)},
        "promotion": bundle.metrics["promotion"] | {"decision": outcome},
    }
    provenance = bundle.provenance
    if tracked:
        metrics["mlflow"] = tracked
        provenance = provenance | {"mlflow": tracked}
    final = replace(
        bundle,
        version=(tracked or {}).get("registered_version") or "unregistered",
        metrics=metrics,
        provenance=provenance,
    )
    return replace(final, path=save_bundle(final, out))


def _class_families(cohort: Cohort, taxonomy: Taxonomy, label_column: str) -> dict[str, str]:
    """Family of every label of the cohort.

    The sheet's ``family`` column describes its ``label`` column; labels
    taken from another column are mapped through the taxonomy, and those it
    does not know form a family of their own.
    """
    given = cohort.samples.get("family") if label_column == "label" else None
    fams: dict[str, str] = {}
    for i, label in enumerate(cohort.labels):
        if label in fams:
            continue
        if given is not None and isinstance(given.iloc[i], str) and given.iloc[i]:
            fams[label] = given.iloc[i]
        else:
            fams[label] = taxonomy.family_of(label)
    return fams


def _reference_embedding(model: MethylationClassifier, cohort: Cohort, families: dict[str, str]):
    """The reference cohort's 2-D map: class, family and coordinates of each sample.

    Sample ids are left out: in a user's cohort they may identify patients.
    """
    import pandas as pd

    coords = model.ood_.reference_[:, :2]
    return pd.DataFrame(
        {
            "label": cohort.labels,
            "family": [families[label] for label in cohort.labels],
            "x": coords[:, 0].round(4),
            "y": (coords[:, 1] if coords.shape[1] > 1 else np.zeros(len(coords))).round(4),
        }
    )


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _progress(done: int, total: int, seconds: float) -> None:
    bar = "#" * done + "." * (total - done)
    eta = seconds * (total - done)
    _say(f"  outer fold {done}/{total} [{bar}] {seconds:.0f} s, about {eta:.0f} s left")


def _filter_names(text: str) -> tuple[str, ...]:
    """Parse ``--filters``: comma-separated names of :data:`classifier.manifest.FILTERS`."""
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if names == ("none",):
        return ()
    if "none" in names:
        raise argparse.ArgumentTypeError(f"'none' cannot be combined with filter names: {text!r}")
    unknown = [name for name in names if name not in FILTERS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown probe filter(s) {unknown or [text]}; expected comma-separated names "
            f"from {list(FILTERS)}, or 'none'"
        )
    return names


def _model_name(text: str) -> str:
    """Parse ``--register``: a name the MLflow Model Registry accepts.

    MLflow checks the name only when the model is registered, after the
    whole training, leaving a failed run and an overwritten bundle; its own
    check is run here instead, so that the rule stays that of the installed
    MLflow.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("the registered model name must not be empty")
    from mlflow.exceptions import MlflowException

    # Private, but it is the check every MLflow registry store runs on a new name.
    from mlflow.utils.validation import _validate_model_name

    try:
        _validate_model_name(text)
    except MlflowException as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a name the MLflow Model Registry accepts: {exc.message}"
        ) from None
    return text


def _out_problem(out: Path, replace: bool = False) -> str | None:
    """Why the bundle cannot be written to ``out``, or None if it can.

    The directory and its missing parents are created only when the bundle
    is written, after the training; a file in the way is found now instead.
    A bundle already there is replaced only when asked (``replace``): the
    default ``--out`` is the model the service serves, and a retraining on
    another cohort, or one that fails its gates, must not take its place
    unseen.
    """
    if (out / BUNDLE_FILE).is_file() and not replace:
        default = out.resolve() == DEFAULT_BUNDLE.resolve()
        served = " (the default model, which `make run` serves)" if default else ""
        return (
            f"--out {out} holds a model bundle already{served}: give another --out "
            "for this model, or add --replace to overwrite it"
        )
    return directory_problem(out, "the bundle")


def _parse(argv: list[str] | None) -> TrainConfig:
    p = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.split("\n")[0])
    p.add_argument("--cohort", type=Path, required=True, help="cohort directory")
    p.add_argument("--label-column", default="label")
    p.add_argument(
        "--model", default=DEFAULT_LEARNER, choices=sorted(LEARNERS), help="base learner"
    )
    p.add_argument("--outer-folds", type=int, default=5, help="0 skips the nested evaluation")
    p.add_argument("--inner-folds", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_BUNDLE,
        help="bundle directory (default: models/sarcoma-classifier, the model the service "
        "serves); a bundle already there is replaced only with --replace",
    )
    p.add_argument("--replace", action="store_true", help="overwrite the bundle already in --out")
    p.add_argument("--experiment", default="sarcoma-classifier")
    p.add_argument(
        "--register",
        type=_model_name,
        default=None,
        metavar="NAME",
        help="register in the MLflow Model Registry under NAME",
    )
    p.add_argument("--n-features", type=int, default=10_000)
    p.add_argument("--calibration", default="ridge", choices=["ridge", "temperature", "none"])
    p.add_argument("--threshold", type=float, default=0.9)
    p.add_argument("--gates", type=Path, default=DEFAULT_GATES)
    p.add_argument(
        "--filters",
        type=_filter_names,
        default=DEFAULT_FILTERS,
        help=f"comma-separated probe filters, or 'none' (default: {','.join(DEFAULT_FILTERS)}; "
        f"known: {','.join(FILTERS)})",
    )
    p.add_argument(
        "--n-jobs",
        type=int,
        default=2,
        help="training threads of the base learner, or -1 for all cores (default: 2)",
    )
    p.add_argument("--no-tracking", action="store_true", help="do not log to MLflow")
    p.add_argument(
        "--batch-adjustment",
        default="none",
        choices=sorted(BATCH_ADJUSTMENTS),
        help="FFPE/frozen adjustment fitted inside every fit (default: none)",
    )
    p.add_argument(
        "--outer-jobs", type=int, default=1, help="outer folds fitted at once (default: 1)"
    )
    p.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="fit the outer folds on this Dask cluster (e.g. tcp://10.0.0.5:8786)",
    )
    a = p.parse_args(argv)
    if a.outer_folds == 1 or a.outer_folds < 0:
        p.error("--outer-folds must be 0 (no evaluation) or at least 2")
    if a.inner_folds < 2:
        p.error("--inner-folds must be at least 2")
    if not 0 < a.threshold <= 1:
        p.error("--threshold must be in (0, 1]")
    if a.n_features < 1:
        p.error("--n-features must be positive")
    if a.n_jobs == 0 or a.n_jobs < -1:
        p.error(
            f"--n-jobs must be a positive number of threads, or -1 for all cores; got {a.n_jobs}"
        )
    if a.outer_jobs < 1:
        p.error(f"--outer-jobs must be at least 1, got {a.outer_jobs}")
    if a.no_tracking and a.register is not None:
        p.error("--register needs MLflow tracking: drop --no-tracking, or drop --register")
    if problem := _out_problem(a.out, a.replace):
        p.error(problem)
    return TrainConfig(
        cohort=a.cohort, label_column=a.label_column, model=a.model,
        outer_folds=a.outer_folds, inner_folds=a.inner_folds, seed=a.seed, out=a.out,
        experiment=a.experiment, register=a.register, n_features=a.n_features,
        calibration=a.calibration, threshold=a.threshold, gates=a.gates,
        filters=a.filters, n_jobs=a.n_jobs, tracking=not a.no_tracking,
        batch_adjustment=a.batch_adjustment, outer_jobs=a.outer_jobs,
        dask_scheduler=a.dask_scheduler,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    config = _parse(argv)
    try:
        metrics = train(config)
    except ClassifierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(to_jsonable(summary(metrics))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
