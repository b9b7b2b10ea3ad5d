import numpy as np
import pytest

from classifier.metrics import (
    PER_CLASS_METRICS,
    REPORT_METRICS,
    brier_score,
    classification_report,
    expected_calibration_error,
    log_loss,
    reliability_curve,
)


def test_brier_perfect_and_uniform():
    y = np.array([0, 1, 2])
    assert brier_score(np.eye(3), y) == 0.0
    # Uniform over K classes: (1 - 1/K)^2 + (K - 1) / K^2 = (K - 1) / K
    assert brier_score(np.full((3, 3), 1 / 3), y) == pytest.approx(2 / 3)


def test_log_loss_of_known_probability():
    proba = np.array([[0.5, 0.5], [0.25, 0.75]])
    assert log_loss(proba, np.array([0, 1])) == pytest.approx(-(np.log(0.5) + np.log(0.75)) / 2)


def test_ece_zero_when_confidence_equals_accuracy():
    # Ten samples at top score 0.8, eight correct: perfectly calibrated bin.
    proba = np.tile([0.8, 0.2], (10, 1))
    y = np.array([0] * 8 + [1] * 2)
    assert expected_calibration_error(proba, y) == pytest.approx(0.0)


def test_ece_of_overconfident_model():
    proba = np.tile([0.95, 0.05], (10, 1))
    y = np.array([0] * 5 + [1] * 5)
    assert expected_calibration_error(proba, y) == pytest.approx(0.45)


def test_reliability_curve_counts_every_sample_once():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(4), 200)
    curve = reliability_curve(proba, rng.integers(0, 4, 200))
    assert sum(curve.count) == 200
    assert len(curve.confidence) == 10


def test_classification_report_values():
    classes = ["A", "B", "C"]
    fams = ["F1", "F1", "F2"]
    proba = np.array(
        [
            [0.95, 0.05, 0.0],  # A, confident, right
            [0.6, 0.4, 0.0],  # B true, called A: wrong class, right family
            [0.0, 0.05, 0.95],  # C, confident, right
            [0.0, 0.92, 0.08],  # A true, called B confidently: wrong
        ]
    )
    report = classification_report(proba, ["A", "B", "C", "A"], classes, fams, threshold=0.9)
    assert report.accuracy == 0.5
    assert report.family_accuracy == 1.0
    assert report.classified_fraction == 0.75
    assert report.classified_accuracy == pytest.approx(2 / 3)
    assert report.per_class["A"].to_json() == {"sensitivity": 0.5, "precision": 0.5, "support": 2}
    assert report.per_class["B"].sensitivity == 0.0
    assert report.balanced_accuracy == pytest.approx((0.5 + 0.0 + 1.0) / 3)
    # The names the quality gates accept are the ones the report has.
    assert set(report.to_json()) == {*REPORT_METRICS, "per_class"}
    assert set(report.per_class["A"].to_json()) == set(PER_CLASS_METRICS)
