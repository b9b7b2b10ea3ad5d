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
many outer folds at once; ``--dask-scheduler`` sends them to a Dask
cluster (:mod:`training.distributed`). Progress goes to standard error;
the headline metrics are printed as one JSON object on the last line of
standard output, and all of them written to
``metrics.json`` in the bundle. Bad options (see :mod:`training.config`),
and a cohort outside the documented format or too sparsely measured to
select CpGs from, are refused before training starts: an ``error:`` line on
standard error, exit status 2, nothing written.

A run reads top to bottom in :func:`train`: read and check the cohort,
nested cross-validation, the final fit, the quality gates, then the bundle
is written, and, when tracked, logged step by step in MLflow
(:mod:`training.tracking`). After a nested evaluation, the shipped model is
calibrated on the outer folds' out-of-fold scores (each from a model that
never saw the sample) with the forest size most outer folds chose, so the
final fit grows no inner forests.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from classifier.bundle import ModelBundle, save_bundle, to_jsonable
from classifier.code_version import code_version
from classifier.errors import ClassifierError
from classifier.estimator import MethylationClassifier
from classifier.learners import LEARNERS
from classifier.model_metrics import (
    Assessment,
    Evaluation,
    ModelMetrics,
    Promotion,
    TrackedRun,
    TrainingFacts,
)
from classifier.taxonomy import Taxonomy, load_taxonomy
from training.cohort import Cohort, read_cohort
from training.cohort_checks import check_cohort
from training.config import TrainConfig, parse_args
from training.distributed import outer_fold_backend
from training.evaluation import assessment_figures, fold_probe, run_assessment
from training.figures import (
    confusion_matrix_figure,
    reliability_figure,
    score_distribution_figure,
)
from training.gates import GateDecision, check_gates, load_gates
from training.nested_cv import NestedCVResult, choose_folds, evaluate, nested_cross_validate

__all__ = ["TrainConfig", "main", "summary", "train"]

log = logging.getLogger(__name__)

#: Class whose sensitivity the headline names beside the summary figures.
HEADLINE_CLASS = "DSRCT"


def train(config: TrainConfig) -> ModelMetrics:
    """Run a whole training job and return the final metrics.

    Parameters
    ----------
    config : TrainConfig

    Returns
    -------
    ModelMetrics
        As written to ``metrics.json``: the nested-CV evaluation (None with
        ``outer_folds=0``), sizes and timings, the gates' verdict and
        champion decision, and the MLflow run when tracked.

    Raises
    ------
    ClassifierError
        If the gates file or the cohort is refused (before any fitting).
    Exception
        Whatever MLflow raised when tracking failed; the bundle is then
        written untracked all the same.
    """
    started = time.perf_counter()
    gates = load_gates(config.gates)
    cohort = read_cohort(config.cohort, label_column=config.label_column)
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
    n_classes = len(np.unique(cohort.labels))
    _say(
        f"cohort {config.cohort}: {len(cohort)} samples, {cohort.betas.shape[1]} CpGs, "
        f"{n_classes} classes; learner {config.model} ({LEARNERS[config.model]})"
    )

    evaluation: Evaluation | None = None
    result: NestedCVResult | None = None
    figures: dict[str, Figure] = {}
    calibration_scores = None
    if config.outer_folds:
        evaluation, figures, result = _nested_evaluation(template, cohort, families, config)
        calibration_scores = (_common_size(result.fold_params), result.raw)
    model, fit_seconds = _final_fit(
        template,
        cohort,
        evaluation.fold_fit_seconds if evaluation else (),
        material,
        calibration_scores,
    )
    map_start = time.perf_counter()
    model.fit_reference_map(config.reference_map)
    _say(f"reference map ({config.reference_map}) in {time.perf_counter() - map_start:.0f} s")
    assessment: Assessment | None = None
    if result is not None:
        # After the final fit: the QC cut is scaled to the final model's
        # reference, and the served prediction sets take the outer quantile.
        assessment = run_assessment(template, cohort, result, model, config, _say)
        figures |= assessment_figures(assessment)
    if len(model.cpgs_) < config.n_features:
        # Not an error (a small cohort, an older array), but the model is not what was asked.
        _say(
            f"note: the model reads {len(model.cpgs_)} CpGs, not the {config.n_features} of "
            f"--n-features: only that many of the cohort's {cohort.betas.shape[1]} pass the "
            "probe filters and are measured in enough samples"
        )
    decision = check_gates(evaluation, gates)

    bundle = ModelBundle(
        estimator=model,
        name=config.register or config.name,
        version="unregistered",
        class_families=tuple(families[c] for c in model.classes_),
        threshold=config.threshold,
        metrics=ModelMetrics(
            evaluation=evaluation,
            training=TrainingFacts(
                n_samples=len(cohort),
                n_cpgs_in_cohort=int(cohort.betas.shape[1]),
                n_cpgs_model=len(model.cpgs_),
                n_classes=len(model.classes_),
                final_fit_seconds=round(fit_seconds, 1),
                n_estimators=model.n_estimators_,
                calibrator_c=model.calibrator_c_,
            ),
            assessment=assessment,
        ),
        provenance={
            "code_version": code_version(),
            "training_data": {
                "cohort": str(config.cohort),
                "label_column": config.label_column,
                "sha256": cohort.sha256(),
                "n_samples": len(cohort),
            },
            "config": {k: str(v) for k, v in asdict(config).items()},
        },
        reference_embedding=_reference_embedding(model, cohort, families),
        qc_thresholds=assessment.qc if assessment is not None else None,
    )
    if config.tracking:
        bundle = _write_and_track(bundle, config, started, decision, gates, figures)
    else:
        bundle = _write(bundle, config, started, decision, tracked=None)
    _say(f"bundle written to {bundle.path}")
    for reason in decision.reasons:
        _say(f"gate: {reason}")
    assert bundle.metrics.promotion is not None  # _write records it
    _say(f"champion decision: {bundle.metrics.promotion.decision}")
    return bundle.metrics


def summary(metrics: ModelMetrics) -> dict:
    """The headline figures printed on the last line of ``python -m training.train``.

    Per kind of score (raw, calibrated, temperature) its summary figures
    rounded to 4 decimals and the sensitivity of :data:`HEADLINE_CLASS`;
    then the ``training``, ``promotion`` and (when tracked) ``mlflow``
    sections of ``metrics.json``.
    """
    out: dict = {}
    if metrics.evaluation is not None:
        for kind, report in metrics.evaluation.reports.items():
            figures = {
                name: round(value, 4) if isinstance(value, float) else value
                for name, value in report.figures().items()
            }
            headline = report.per_class.get(HEADLINE_CLASS)
            if headline is not None:
                figures[f"{HEADLINE_CLASS}_sensitivity"] = headline.sensitivity
            out[kind] = figures
    full = metrics.to_json()
    for section in ("training", "promotion", "mlflow"):
        if section in full:
            out[section] = full[section]
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    config = parse_args(argv)
    try:
        metrics = train(config)
    except ClassifierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(to_jsonable(summary(metrics))))
    return 0


def _nested_evaluation(
    template: MethylationClassifier,
    cohort: Cohort,
    families: dict[str, str],
    config: TrainConfig,
) -> tuple[Evaluation, dict[str, Figure], NestedCVResult]:
    """Nested cross-validation of ``template``: its figures, the plots logged with them,
    and the outer predictions (with each outer model's probe) for the assessment."""
    # The counts the folds will use, and why they differ from the request, before they run.
    outer, inner, notes = choose_folds(cohort.labels, config.outer_folds, config.inner_folds)
    _say(f"nested cross-validation: {outer} outer x {inner} inner")
    for note in notes:
        _say(f"note: {note}")
    with outer_fold_backend(config.dask_scheduler):
        result = nested_cross_validate(
            template, cohort.betas, cohort.labels, config.outer_folds, config.seed, _progress,
            samples=cohort.samples, n_jobs=-1 if config.dask_scheduler else config.outer_jobs,
            probe=fold_probe(cohort.labels, config.seed),
        )  # fmt: skip
    evaluation = evaluate(result, families, config.threshold, first_class=HEADLINE_CLASS)
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
    return evaluation, figures, result


def _material(cohort: Cohort, batch_adjustment: str) -> np.ndarray | None:
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


def _common_size(fold_params: Sequence[Mapping[str, Any]]) -> int | None:
    """The forest size most outer folds chose (the larger on a tie; None if not a forest)."""
    sizes = [p.get("n_estimators") for p in fold_params if p.get("n_estimators") is not None]
    if not sizes:
        return None
    counts = {size: sizes.count(size) for size in sizes}
    return max(counts, key=lambda size: (counts[size], size))


def _final_fit(
    template: MethylationClassifier,
    cohort: Cohort,
    fold_seconds: tuple[float, ...],
    material: np.ndarray | None = None,
    calibration_scores: tuple[int | None, np.ndarray] | None = None,
) -> tuple[MethylationClassifier, float]:
    """Fit the model that is shipped, on every sample, saying how long it took.

    With ``calibration_scores`` (forest size, out-of-fold scores) the model
    is calibrated on those scores instead of growing inner forests.
    """
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


def _write_and_track(
    bundle: ModelBundle,
    config: TrainConfig,
    started: float,
    decision: GateDecision,
    gates: dict,
    figures: dict[str, Figure],
) -> ModelBundle:
    """Write the bundle and log the run in MLflow; return the bundle as written.

    The logged pyfunc model carries its own copy of the bundle, and only
    registering that copy gives the registry version: so the bundle is
    written first with the run id, then, once registered and the alias
    decided, with its version and champion decision; that final directory
    is logged last, as the artifact ``bundle``. If any step fails, the
    bundle is written untracked, so the trained model is kept, and the
    error is raised.
    """
    from training import tracking  # MLflow is imported only by tracked runs

    uri = tracking.configure_tracking()
    try:
        with tracking.start_run(config.experiment) as run_id:
            tracking.log_params(asdict(config) | {"n_cpgs_model": len(bundle.cpgs)})
            tracking.log_evaluation(
                bundle.metrics.evaluation, gates, assessment=bundle.metrics.assessment
            )
            tracking.log_figures(figures)
            pending = TrackedRun(
                tracking_uri=uri,
                run_id=run_id,
                champion_decision="pending registration"
                if config.register
                else decision.outcome(registered=False),
            )
            copy = _write(bundle, config, started, decision, pending)
            logged = tracking.log_model(copy, config.register)
            tracked = replace(
                pending,
                model_uri=logged.model_uri,
                registered_version=logged.registered_version,
                registered_model_uri=logged.registered_model_uri,
                champion=tracking.promote(
                    config.register, logged.registered_version, decision.passed
                ),
                champion_decision=decision.outcome(registered=config.register is not None),
            )
            tracking.log_promotion(tracked, decision, config.register)
            written = _write(bundle, config, started, decision, tracked)
            assert written.path is not None  # _write returns the bundle as written
            tracking.log_bundle(written.path)
    except Exception:
        untracked = _write(bundle, config, started, decision, tracked=None)
        _say(f"MLflow logging failed; bundle written untracked to {untracked.path}")
        raise
    _say(f"MLflow run {run_id} at {uri}")
    return written


def _write(
    bundle: ModelBundle,
    config: TrainConfig,
    started: float,
    decision: GateDecision,
    tracked: TrackedRun | None,
) -> ModelBundle:
    """Write ``bundle`` to ``config.out`` with its promotion and, if tracked, its MLflow run.

    Returns the bundle as written, ``path`` set. The registered version, if
    any, becomes the bundle's version; the run is recorded in its metrics
    and its provenance.
    """
    metrics = replace(
        bundle.metrics,
        training=replace(
            bundle.metrics.training or TrainingFacts(),
            total_seconds=round(time.perf_counter() - started, 1),
        ),
        promotion=Promotion(
            passed=decision.passed,
            reasons=tuple(decision.reasons),
            decision=tracked.champion_decision if tracked else decision.outcome(registered=False),
        ),
        mlflow=tracked,
    )
    provenance = bundle.provenance
    if tracked is not None:
        provenance = provenance | {"mlflow": tracked.to_json()}
    final = replace(
        bundle,
        version=(tracked and tracked.registered_version) or "unregistered",
        metrics=metrics,
        provenance=provenance,
    )
    return replace(final, path=save_bundle(final, config.out))


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


def _reference_embedding(
    model: MethylationClassifier, cohort: Cohort, families: dict[str, str]
) -> pd.DataFrame:
    """The reference cohort's 2-D map: class, family and coordinates of each sample.

    Sample ids are left out: in a user's cohort they may identify patients.
    """
    coords = model.reference_coordinates()
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


if __name__ == "__main__":
    sys.exit(main())
