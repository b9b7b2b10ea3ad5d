import numpy as np
import pytest

from classifier.calibration import (
    CALIBRATORS,
    SCORE_FLOOR,
    RidgeCalibrator,
    TemperatureScaling,
    log_scores,
    make_calibrator,
)
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


def test_log_scores_floor_zeros():
    np.testing.assert_allclose(
        log_scores(np.array([[0.0, 0.5, 1.0]])), [[np.log(SCORE_FLOOR), np.log(0.5), 0.0]]
    )
    assert SCORE_FLOOR == 1e-4


def test_temperature_recovers_a_known_temperature():
    # Labels drawn from softmax(log p / 2): the maximum-likelihood temperature is about 2.
    rng = np.random.default_rng(7)
    scores = rng.dirichlet(np.ones(4) * 0.5, 4000)
    truth = np.exp(log_scores(scores) / 2.0)
    truth /= truth.sum(1, keepdims=True)
    y = np.array([rng.choice(4, p=p) for p in truth])
    scaler = TemperatureScaling().fit(scores, y)
    assert scaler.temperature_ == pytest.approx(2.0, rel=0.1)
    np.testing.assert_allclose(scaler.predict_proba(scores[:3]).sum(1), 1.0)
    expected = np.exp(log_scores(scores[:3]) / scaler.temperature_)
    np.testing.assert_allclose(
        scaler.predict_proba(scores[:3]), expected / expected.sum(1, keepdims=True)
    )
    np.testing.assert_array_equal(scaler.classes_, np.arange(4))


def test_none_calibration_only_renormalises():
    scores = np.array([[0.2, 0.2, 0.0], [2.0, -1.0, 2.0], [0.0, 0.0, 0.0]])
    identity = make_calibrator("none").fit(scores, np.array([0, 1, 2]))
    np.testing.assert_allclose(
        identity.predict_proba(scores), [[0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 0.0, 0.0]]
    )
    np.testing.assert_array_equal(identity.classes_, [0, 1, 2])
    np.testing.assert_array_equal(identity.predict(scores[:1]), [0])


def test_make_calibrator_names_and_defaults():
    assert isinstance(make_calibrator("ridge"), RidgeCalibrator)
    assert make_calibrator("ridge").C == 100.0
    assert isinstance(make_calibrator("temperature"), TemperatureScaling)
    assert set(CALIBRATORS) == {"ridge", "temperature", "none"}


def test_ridge_penalty_reaches_the_regression_and_predict_names_classes():
    scores, y = _overconfident_scores(300, seed=5)
    weak = RidgeCalibrator(C=100.0).fit(scores, y)
    strong = RidgeCalibrator(C=1e-4).fit(scores, y)
    assert weak.model_.C == 100.0 and strong.model_.C == 1e-4
    # A strong penalty flattens every probability towards the class shares.
    assert strong.predict_proba(scores).max() < 0.5 < weak.predict_proba(scores).max()
    np.testing.assert_array_equal(weak.classes_, [0, 1, 2])
    np.testing.assert_array_equal(
        weak.predict(scores[:20]), weak.predict_proba(scores[:20]).argmax(1)
    )


def test_scores_above_one_are_read_as_one():
    np.testing.assert_allclose(log_scores(np.array([[1.5, 0.5]])), [[0.0, np.log(0.5)]])


def test_the_temperature_minimises_the_negative_log_likelihood():
    scores, y = _overconfident_scores(500, seed=9)
    scaler = TemperatureScaling().fit(scores, y)
    logits = log_scores(scores)

    def nll(t):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -logp[np.arange(len(y)), y].mean()

    grid = np.exp(np.linspace(-3, 3, 6001))
    best = grid[np.argmin([nll(t) for t in grid])]
    assert scaler.temperature_ == pytest.approx(best, rel=2e-3)


def test_temperature_is_bounded_to_e_to_the_three():
    # Labels independent of the scores: the likelihood wants infinite temperature.
    rng = np.random.default_rng(2)
    scores = rng.dirichlet(np.ones(3) * 0.2, 300)
    y = rng.integers(0, 3, 300)
    assert TemperatureScaling().fit(scores, y).temperature_ == pytest.approx(np.exp(3), rel=1e-3)


def test_temperature_is_bounded_below_too():
    # Nearly flat scores whose top class is always right: the likelihood wants T -> 0.
    rng = np.random.default_rng(6)
    y = rng.integers(0, 3, 300)
    scores = np.full((300, 3), 0.33)
    scores[np.arange(300), y] = 0.34
    assert TemperatureScaling().fit(scores, y).temperature_ == pytest.approx(np.exp(-3), rel=1e-3)


def test_temperature_on_spread_scores_matches_the_per_row_likelihood():
    rng = np.random.default_rng(12)
    scores = rng.dirichlet(np.ones(4) * 0.7, 800)
    y = np.array([rng.choice(4, p=p) for p in scores])
    scaler = TemperatureScaling().fit(scores, y)
    logits = log_scores(scores)

    def nll(t):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        return -(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean()

    grid = np.exp(np.linspace(-3, 3, 6001))
    assert scaler.temperature_ == pytest.approx(grid[np.argmin([nll(t) for t in grid])], rel=2e-3)


def test_probabilities_are_float64_whatever_the_input():
    scores, y = _overconfident_scores(200, seed=13)
    for calibrator in (TemperatureScaling(), make_calibrator("none")):
        calibrator.fit(scores, y)
        assert calibrator.predict_proba(scores.astype(np.float32)).dtype == np.float64
