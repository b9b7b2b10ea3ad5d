import numpy as np
import pytest

from classifier.metrics import (
    PER_CLASS_METRICS,
    REPORT_METRICS,
    ClassFigures,
    ClassificationReport,
    ReliabilityCurve,
    brier_score,
    classification_report,
    expected_calibration_error,
    log_loss,
    reliability_curve,
    wilson_interval,
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


# ---- independent recomputation (issue 18, item 5) --------------------------------------


def _ece_by_hand(top, correct, n_bins=10):
    """ECE written out sample by sample: bins [i/n, (i+1)/n), the last closed."""
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        inside = [(t, c) for t, c in zip(top, correct, strict=True)
                  if lo <= t < hi or (b == n_bins - 1 and t == 1.0)]  # fmt: skip
        if inside:
            conf = sum(t for t, _ in inside) / len(inside)
            acc = sum(c for _, c in inside) / len(inside)
            total += len(inside) * abs(acc - conf)
    return total / len(top)


def test_ece_weights_each_bin_by_its_count():
    # Nine calls at 0.95 (all right) and one at 0.55 (wrong): bins of unequal size.
    # Weighted: (9 * 0.05 + 1 * 0.55) / 10 = 0.1; an unweighted mean of the two bins: 0.3.
    proba = np.array([[0.95, 0.05]] * 9 + [[0.55, 0.45]])
    y = np.array([0] * 9 + [1])
    assert expected_calibration_error(proba, y) == pytest.approx(0.1)
    assert _ece_by_hand(proba.max(1), proba.argmax(1) == y) == pytest.approx(0.1)


def test_ece_equals_the_definition_on_random_scores():
    rng = np.random.default_rng(5)
    proba = rng.dirichlet(np.ones(3) * 0.3, 300)
    y = rng.integers(0, 3, 300)
    expected = _ece_by_hand(proba.max(1), proba.argmax(1) == y)
    assert expected_calibration_error(proba, y) == pytest.approx(expected, abs=1e-12)
    assert expected_calibration_error(proba, y, n_bins=5) == pytest.approx(
        _ece_by_hand(proba.max(1), proba.argmax(1) == y, n_bins=5), abs=1e-12
    )


@pytest.mark.parametrize(
    ("score", "bin_index"),
    [(0.9, 9), (0.8999999, 8), (1.0, 9), (0.3, 3), (0.7, 7), (0.6, 6), (0.1, 1), (0.0, 0)],
)
def test_reliability_bins_are_closed_below(score, bin_index):
    # A score of exactly 0.9 is a match at 0.9 and belongs with the matches, as on the
    # case page; 0.3, 0.6 and 0.7 are the floats 0.3, 0.6, 0.7 (not linspace's).
    # The other columns share the rest, so that ``score`` is the top score.
    proba = np.array([[score] + [(1.0 - score) / 20] * 20])
    curve = reliability_curve(proba, np.array([0]))
    assert curve.count[bin_index] == 1
    assert curve.bin_lower[bin_index] <= score
    assert curve.bin_lower[9] == 0.9 and curve.bin_upper[9] == 1.0


def test_reliability_curve_values_by_hand():
    proba = np.array([[0.95, 0.05], [0.92, 0.08], [0.65, 0.35], [0.55, 0.45]])
    y = np.array([0, 1, 0, 0])
    curve = reliability_curve(proba, y)
    assert curve.count == (0, 0, 0, 0, 0, 1, 1, 0, 0, 2)
    assert curve.confidence[9] == pytest.approx(0.935)
    assert curve.accuracy[9] == pytest.approx(0.5)
    assert curve.confidence[6] == pytest.approx(0.65)
    assert curve.accuracy[5] == 1.0
    assert curve.confidence[0] is None and curve.accuracy[0] is None
    assert ReliabilityCurve.from_json(curve.to_json()) == curve


def test_log_loss_floors_zero_probabilities():
    proba = np.array([[1.0, 0.0], [0.5, 0.5]])
    assert log_loss(proba, np.array([1, 0])) == pytest.approx((-np.log(1e-15) - np.log(0.5)) / 2)
    assert log_loss(proba, np.array([1, 0]), eps=1e-3) == pytest.approx(
        (-np.log(1e-3) - np.log(0.5)) / 2
    )


def test_brier_score_by_hand():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    y = np.array([0, 1])
    expected = ((0.3**2 + 0.2**2 + 0.1**2) + (0.1**2 + 0.9**2 + 0.8**2)) / 2
    assert brier_score(proba, y) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("k", "n", "lower", "upper"),
    # Reference values: the Wilson interval at z = 1.96 (e.g. R's prop.test without
    # continuity correction, binom::binom.wilson).
    [(0, 10, 0.0, 0.27753), (5, 10, 0.23659, 0.76341), (7, 7, 0.64566, 1.0),
     (9, 10, 0.59585, 0.98212), (1, 1, 0.20654, 1.0)],
)  # fmt: skip
def test_wilson_interval_matches_reference_values(k, n, lower, upper):
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(lower, abs=1e-4)
    assert hi == pytest.approx(upper, abs=1e-4)


def test_wilson_interval_edges_and_errors():
    assert wilson_interval(0, 0) == (None, None)
    with pytest.raises(ValueError, match="successes <= trials"):
        wilson_interval(3, 2)
    with pytest.raises(ValueError, match="successes <= trials"):
        wilson_interval(-1, 2)
    with pytest.raises(ValueError, match="successes <= trials"):
        wilson_interval(0, -1)
    # Wider at 99 %.
    assert wilson_interval(5, 10, z=2.576)[0] < wilson_interval(5, 10)[0]


def test_report_counts_a_score_exactly_at_the_threshold_as_classified():
    classes, fams = ["A", "B"], ["F", "G"]
    proba = np.array([[0.9, 0.1], [0.89999, 0.10001], [0.2, 0.8]])
    report = classification_report(proba, ["A", "B", "B"], classes, fams, threshold=0.9)
    assert report.classified_fraction == pytest.approx(1 / 3)
    assert report.classified_accuracy == 1.0
    assert report.family_accuracy == pytest.approx(2 / 3)
    low = classification_report(proba, ["A", "B", "B"], classes, fams, threshold=0.8)
    assert low.classified_fraction == 1.0
    assert low.classified_accuracy == pytest.approx(2 / 3)


def test_report_figures_match_the_functions_and_survive_json():
    rng = np.random.default_rng(8)
    proba = rng.dirichlet(np.ones(4), 50)
    classes = ["A", "B", "C", "D"]
    y_idx = rng.integers(0, 3, 50)  # D never occurs
    y = [classes[i] for i in y_idx]
    report = classification_report(proba, y, classes, ["F", "F", "G", "G"], threshold=0.5)
    assert report.n_samples == 50
    assert report.brier == pytest.approx(brier_score(proba, y_idx))
    assert report.log_loss == pytest.approx(log_loss(proba, y_idx))
    assert report.ece == pytest.approx(expected_calibration_error(proba, y_idx))
    assert report.accuracy == pytest.approx(np.mean(proba.argmax(1) == y_idx))
    sens = [np.mean(proba.argmax(1)[y_idx == i] == i) for i in range(3)]
    assert report.balanced_accuracy == pytest.approx(np.mean(sens))  # D has no sample
    assert report.per_class["D"].sensitivity is None
    assert report.per_class["D"].support == 0
    called_d = proba.argmax(1) == 3
    assert report.per_class["D"].precision == (0.0 if called_d.any() else None)
    assert ClassificationReport.from_json(report.to_json()) == report


def test_report_precision_is_none_for_a_class_never_called():
    proba = np.array([[0.8, 0.2, 0.0], [0.3, 0.7, 0.0]])
    report = classification_report(proba, ["A", "C"], ["A", "B", "C"], ["F", "F", "F"])
    assert report.per_class["C"].precision is None
    assert report.per_class["C"].sensitivity == 0.0
    assert report.per_class["B"].precision == 0.0
    assert report.classified_accuracy is None  # no score reached 0.9
    assert report.classified_fraction == 0.0


# ---- edges the mutation run found unguarded ---------------------------------------------


def _mixed_calibration():
    """100 calls at 0.62, all right, and 100 at 0.78, 40 % right: gaps of opposite signs."""
    top = np.r_[np.full(100, 0.62), np.full(100, 0.78)]
    proba = np.column_stack([top, 1 - top])
    y = np.r_[np.zeros(100), np.zeros(40), np.ones(60)].astype(int)
    return proba, y


def test_ece_with_bins_of_both_signs_depends_on_the_binning():
    proba, y = _mixed_calibration()
    # Ten bins keep 0.62 and 0.78 apart: (100 * 0.38 + 100 * 0.38) / 200.
    assert expected_calibration_error(proba, y, n_bins=10) == pytest.approx(0.38)
    assert expected_calibration_error(proba, y) == pytest.approx(0.38)  # 10 by default
    # Five bins merge them in [0.6, 0.8): confidence 0.70, accuracy 0.70.
    assert expected_calibration_error(proba, y, n_bins=5) == pytest.approx(0.0)
    assert _ece_by_hand(proba.max(1), proba.argmax(1) == y, 5) == pytest.approx(0.0)


def test_ece_of_one_sample_is_its_own_gap():
    assert expected_calibration_error(np.array([[0.8, 0.2]]), np.array([1])) == pytest.approx(0.8)
    assert expected_calibration_error(np.array([[0.8, 0.2]]), np.array([0])) == pytest.approx(0.2)


def test_reliability_curve_has_one_entry_per_bin():
    proba, y = _mixed_calibration()
    for n_bins in (5, 10, 20):
        curve = reliability_curve(proba, y, n_bins=n_bins)
        assert len(curve.bin_lower) == len(curve.bin_upper) == len(curve.count) == n_bins
        assert curve.bin_upper[-1] == 1.0 and curve.bin_lower[0] == 0.0
        assert sum(curve.count) == 200
    assert len(reliability_curve(proba, y).count) == 10


def test_log_loss_treats_scores_above_one_as_one():
    assert log_loss(np.array([[1.2, -0.2]]), np.array([0])) == 0.0


def test_wilson_interval_stays_inside_zero_and_one():
    # Without the clamps, rounding gives 1.0000000000000002 at 16 of 16 and -1e-17 at 0 of 21.
    assert wilson_interval(16, 16)[1] == 1.0
    assert wilson_interval(0, 21)[0] == 0.0


def test_the_report_uses_0_9_by_default():
    proba = np.array([[0.9, 0.1], [0.85, 0.15]])
    report = classification_report(proba, ["A", "A"], ["A", "B"], ["F", "G"])
    assert report.classified_fraction == 0.5


def test_nan_read_from_json_is_undefined_and_tuples_are_written_as_lists():
    figures = ClassFigures.from_json({"sensitivity": float("nan"), "precision": 0.5, "support": 3})
    assert figures.sensitivity is None and figures.precision == 0.5
    curve = reliability_curve(np.array([[0.95, 0.05]]), np.array([0]), n_bins=2)
    data = curve.to_json()
    assert data["count"] == [0, 1] and isinstance(data["bin_lower"], list)
    assert data["confidence"] == [None, 0.95]
