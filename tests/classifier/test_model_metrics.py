"""The training metrics as one typed object, and the metrics.json it reads and writes."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifier.bundle import load_bundle, to_jsonable
from classifier.errors import ModelBundleError
from classifier.metrics import ClassFigures, classification_report, reliability_curve
from classifier.model_metrics import (
    Evaluation,
    ModelMetrics,
    Promotion,
    TrackedRun,
    TrainingFacts,
)

DATA = Path(__file__).with_name("data")
#: Written by the code before ModelMetrics existed (see data/README.md).
OLD_BUNDLE = DATA / "bundle_before_typed_metrics"


def _written(metrics: ModelMetrics) -> str:
    """metrics.json as save_bundle writes it."""
    return json.dumps(to_jsonable(metrics.to_json()), indent=2)


def _evaluation() -> Evaluation:
    classes, families = ["A", "B", "C"], ["F1", "F1", "F2"]
    proba = np.array([[0.95, 0.05, 0.0], [0.6, 0.4, 0.0], [0.0, 0.05, 0.95], [0.0, 0.92, 0.08]])
    y = ["A", "B", "C", "A"]
    report = classification_report(proba, y, classes, families, threshold=0.9)
    return Evaluation(
        raw=report,
        calibrated=report,
        temperature=report,
        reliability=reliability_curve(proba, np.array([0, 1, 2, 0])),
        outer_folds=2,
        inner_folds=2,
        notes=("outer folds lowered from 5 to 2: class 'B' has only 1 samples",),
        fold_fit_seconds=(1.5, 2.0),
    )


def test_the_metrics_json_of_a_bundle_written_before_is_read_and_written_unchanged():
    text = (OLD_BUNDLE / "metrics.json").read_text()
    metrics = ModelMetrics.from_json(json.loads(text))
    assert _written(metrics) == text  # same keys, order, values and nulls
    evaluation = metrics.evaluation
    assert evaluation is not None
    assert (evaluation.outer_folds, evaluation.inner_folds) == (3, 2)
    assert evaluation.calibrated.n_samples == 35
    assert evaluation.calibrated.accuracy == pytest.approx(0.5143, abs=1e-4)
    # No calibrated score reached 0.9: the accuracy of the confident calls is undefined.
    assert evaluation.calibrated.classified_fraction == 0.0
    assert evaluation.calibrated.classified_accuracy is None
    assert next(iter(evaluation.calibrated.per_class)) == "DSRCT"
    assert evaluation.calibrated.per_class["DSRCT"].support == 6
    assert sum(evaluation.reliability.count) == 35
    assert metrics.training.n_cpgs_model == 40
    assert metrics.promotion.passed is False
    assert metrics.promotion.decision == "not promoted"
    assert metrics.mlflow.registered_version == "1"
    assert metrics.mlflow.registered_model_uri == "models:/old-format/1"
    assert metrics.mlflow.champion is False


def test_a_bundle_written_before_loads_with_typed_metrics_and_classifies():
    bundle = load_bundle(OLD_BUNDLE)
    assert (bundle.name, bundle.version) == ("old-format", "1")
    meta = json.loads((OLD_BUNDLE / "bundle.json").read_text())
    assert bundle.metrics.to_json() == meta["metrics"]
    assert bundle.metrics.mlflow.to_json() == bundle.provenance["mlflow"]
    # The pickled estimator's classes under classifier/ are still importable.
    calls = bundle.classify_aligned(bundle.estimator.medians_[None, :])
    assert calls[0].top_class in bundle.classes


def test_a_fresh_evaluation_round_trips_through_json():
    metrics = ModelMetrics(
        evaluation=_evaluation(),
        training=TrainingFacts(n_samples=4, n_classes=3, final_fit_seconds=0.4),
        promotion=Promotion(passed=True, reasons=("calibrated brier = 0.1: pass",), decision="x"),
        mlflow=TrackedRun(tracking_uri="sqlite:///m.db", run_id="r1", champion_decision="x"),
    )
    assert ModelMetrics.from_json(json.loads(_written(metrics))) == metrics
    report = metrics.evaluation.calibrated.to_json()
    assert report["classified_accuracy"] == pytest.approx(2 / 3)
    # B's one sample is called A, and the one call of B is an A: both figures 0.
    assert report["per_class"]["B"] == {"sensitivity": 0.0, "precision": 0.0, "support": 1}
    curve = metrics.evaluation.reliability.to_json()
    # Bins are closed below: the score of 0.6 falls in 0.6-0.7.
    assert curve["count"] == [0, 0, 0, 0, 0, 0, 1, 0, 0, 3]
    assert curve["accuracy"][0] is None  # an empty bin


def test_an_untracked_run_without_nested_cv_keeps_its_old_form():
    old = {
        "evaluation": {},
        "training": {"n_samples": 28, "n_cpgs_model": 280, "total_seconds": 3.1},
        "promotion": {
            "passed": False,
            "reasons": ["no nested cross-validation was run; gates cannot be checked"],
            "decision": "not registered",
        },
    }
    metrics = ModelMetrics.from_json(old)
    assert metrics.evaluation is None and metrics.mlflow is None
    assert metrics.training.n_cpgs_in_cohort is None  # not recorded: left out again
    assert metrics.to_json() == old


def test_an_mlflow_section_from_before_the_registry_uri_loads():
    old = {
        "tracking_uri": "sqlite:///mlflow.db",
        "registered_version": None,
        "run_id": "abc",
        "model_uri": "runs:/abc/model",
        "champion": False,
        "champion_decision": "not registered",
    }
    tracked = TrackedRun.from_json(old)
    assert tracked.registered_model_uri is None
    assert tracked.to_json() == old | {"registered_model_uri": None}


def test_a_bundle_without_metrics_has_empty_ones():
    assert ModelMetrics.from_json({}) == ModelMetrics()
    assert ModelMetrics().to_json() == {"evaluation": {}}


def test_undefined_figures_are_none_in_memory_and_null_in_json():
    figures = ClassFigures.from_json({"sensitivity": None, "precision": float("nan"), "support": 0})
    assert (figures.sensitivity, figures.precision) == (None, None)
    assert json.dumps(figures.to_json()) == '{"sensitivity": null, "precision": null, "support": 0}'


def test_malformed_metrics_in_a_bundle_are_refused_naming_the_field(tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(OLD_BUNDLE, copy)
    meta = json.loads((copy / "bundle.json").read_text())
    del meta["metrics"]["evaluation"]["calibrated"]
    (copy / "bundle.json").write_text(json.dumps(meta))
    with pytest.raises(ModelBundleError, match=r"training metrics are malformed \(KeyError") as err:
        load_bundle(copy)
    assert err.value.field == "metrics"
