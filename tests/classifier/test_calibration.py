import numpy as np
import pytest

from classifier.calibration import RidgeCalibrator, TemperatureScaling, make_calibrator
from classifier.metrics import brier_score


def _overconfident_scores(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A toy base learner that is right 70 % of the time but always says 0.97."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    called = np.where(rng.random(n) < 0.7, y, (y + rng.integers(1, 3, n)) % 3)
    scores = np.full((n, 3), 0.015)
    scores[np.arange(n), called] = 0.97
    return scores, y


@pytest.mark.parametrize("calibrator", [RidgeCalibrator(), TemperatureScaling()])
def test_calibration_lowers_brier_on_held_out_data(calibrator):
    fit_scores, fit_y = _overconfident_scores(600, seed=1)
    test_scores, test_y = _overconfident_scores(600, seed=2)
    calibrator.fit(fit_scores, fit_y)
    calibrated = calibrator.predict_proba(test_scores)
    assert brier_score(calibrated, test_y) < brier_score(test_scores, test_y) - 0.05
    # The confident class now scores close to the observed 70 % accuracy.
    assert calibrated.max(axis=1).mean() == pytest.approx(0.7, abs=0.05)
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0)


def test_temperature_above_one_softens_overconfidence():
    scores, y = _overconfident_scores(600, seed=3)
    assert TemperatureScaling().fit(scores, y).temperature_ > 1.0


def test_unknown_calibrator_is_rejected():
    with pytest.raises(ValueError, match="unknown calibration 'isotonic'"):
        make_calibrator("isotonic")


@pytest.mark.parametrize("n_classes", [2, 3])
def test_ridge_probabilities_equal_the_logistic_regressions(n_classes):
    # predict_proba computes the multinomial softmax itself; same values as sklearn.
    rng = np.random.default_rng(4)
    y = rng.integers(0, n_classes, 300)
    scores = rng.dirichlet(np.ones(n_classes), 300)
    calibrator = RidgeCalibrator().fit(scores, y)
    np.testing.assert_allclose(
        calibrator.predict_proba(scores[:7]),
        calibrator.model_.predict_proba(scores[:7]),
        atol=1e-12,
    )
