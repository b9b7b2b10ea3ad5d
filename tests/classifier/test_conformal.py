import numpy as np
import pytest

from classifier.conformal import (
    CoverageResult,
    classes_without_guarantee,
    conformal_quantile,
    min_calibration_size,
    prediction_sets,
    split_within_folds,
)


def _scores_to_proba(true_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-class probabilities whose true-class probability is 1 - score."""
    proba = np.column_stack([1.0 - true_scores, true_scores])
    return proba, np.zeros(len(true_scores), dtype=int)


def test_quantile_is_the_finite_sample_rank():
    # n = 19, alpha = 0.1: rank ceil(20 * 0.9) = 18, the 18th smallest of 0.01..0.19.
    scores = np.arange(1, 20) / 100
    proba, y = _scores_to_proba(np.random.default_rng(0).permutation(scores))
    assert conformal_quantile(proba, y, 0.1) == pytest.approx(0.18)
    # n = 19, alpha = 0.05: rank ceil(20 * 0.95) = 19, the largest.
    assert conformal_quantile(proba, y, 0.05) == pytest.approx(0.19)
    # alpha = 0.5: rank ceil(20 * 0.5) = 10.
    assert conformal_quantile(proba, y, 0.5) == pytest.approx(0.10)


def test_too_few_calibration_samples_give_every_class():
    # n = 18 at alpha = 0.05 needs rank 19 > n: no finite quantile, q = 1.
    proba, y = _scores_to_proba(np.full(18, 0.05))
    assert conformal_quantile(proba, y, 0.05) == 1.0
    assert prediction_sets(np.array([[0.0, 1.0]]), 1.0).all()
    proba, y = _scores_to_proba(np.full(19, 0.05))
    assert conformal_quantile(proba, y, 0.05) == pytest.approx(0.05)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5])
def test_alpha_outside_the_open_interval_is_refused(alpha):
    proba, y = _scores_to_proba(np.full(30, 0.1))
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\)"):
        conformal_quantile(proba, y, alpha)


def test_sets_include_a_class_exactly_at_the_quantile():
    proba = np.array([[0.75, 0.25, 0.0], [0.5, 0.3, 0.2]])
    sets = prediction_sets(proba, 0.75)  # 1 - p <= 0.75  <=>  p >= 0.25
    np.testing.assert_array_equal(sets, [[True, True, False], [True, True, False]])
    np.testing.assert_array_equal(prediction_sets(proba, 0.8), [[1, 1, 0], [1, 1, 1]])


@pytest.mark.parametrize(("alpha", "n"), [(0.05, 19), (0.1, 9), (0.2, 4), (0.5, 1)])
def test_min_calibration_size(alpha, n):
    assert min_calibration_size(alpha) == n
    # The definition: the smallest n with ceil((n + 1)(1 - alpha)) <= n.
    assert np.ceil((n + 1) * (1 - alpha)) <= n
    assert n == 1 or np.ceil(n * (1 - alpha)) > n - 1


def test_classes_without_guarantee_are_the_small_ones():
    y = np.array(["A"] * 19 + ["B"] * 18 + ["C"] * 40)
    assert classes_without_guarantee(y, 0.05) == ["B"]
    assert classes_without_guarantee(y, 0.1) == []


def test_split_within_folds_covers_at_the_level_on_exchangeable_data():
    rng = np.random.default_rng(3)
    n, k = 4000, 5
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += 1.5
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    fold = rng.integers(0, 5, n)
    result = split_within_folds(proba, y, fold, alpha=0.1, seed=0)
    assert len(result.quantiles) == 10
    # Finite-sample guarantee >= 0.9, and at most 0.9 + 1/(n_cal + 1) in expectation.
    assert 0.89 <= result.coverage <= 0.93
    assert 1.0 < result.mean_set_size < k
    # Each sample's coverage is recomputed from the quantile of the other half.
    assert result.covered.dtype == bool and result.set_size.min() >= 0
    per_class = result.per_class(y, k + 1)
    assert np.isnan(per_class[k])
    for c in range(k):
        assert per_class[c] == pytest.approx(result.covered[y == c].mean())


def test_split_within_folds_uses_each_half_for_the_other():
    # One fold of four samples: halves of two; with alpha = 0.5 the rank is
    # ceil(3 * 0.5) = 2 of 2, so each half's quantile is its larger score.
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.8, 0.2], [0.3, 0.7]])
    y = np.zeros(4, dtype=int)
    result = split_within_folds(proba, y, np.zeros(4), alpha=0.5, seed=1)
    scores = 1 - proba[:, 0]
    perm = np.random.default_rng(1).permutation(4)
    first, second = perm[:2], perm[2:]
    q_first, q_second = scores[first].max(), scores[second].max()
    assert result.quantiles == pytest.approx((q_first, q_second))
    np.testing.assert_array_equal(result.covered[second], scores[second] <= q_first)
    np.testing.assert_array_equal(result.covered[first], scores[first] <= q_second)


def test_coverage_result_summaries():
    result = CoverageResult(
        covered=np.array([True, False, True, True]),
        set_size=np.array([1, 2, 3, 2]),
        quantiles=(0.5,),
    )
    assert result.coverage == 0.75
    assert result.mean_set_size == 2.0
    np.testing.assert_allclose(result.per_class(np.array([0, 0, 1, 1]), 2), [0.5, 1.0])


def test_labels_given_as_floats_still_index_classes():
    proba, _ = _scores_to_proba(np.arange(1, 20) / 100)
    assert conformal_quantile(proba, np.zeros(19, dtype=float), 0.1) == pytest.approx(0.18)


def test_per_class_coverage_of_a_single_sample_class_and_float_labels():
    result = CoverageResult(
        covered=np.array([True, False, True]), set_size=np.array([1, 1, 2]), quantiles=(0.5,)
    )
    np.testing.assert_allclose(result.per_class(np.array([0.0, 0.0, 1.0]), 3), [0.5, 1.0, np.nan])


def test_split_within_folds_is_reproducible_and_seeded_at_zero():
    rng = np.random.default_rng(4)
    proba = rng.dirichlet(np.ones(3), 200)
    y = rng.integers(0, 3, 200).astype(float)  # labels as floats still index classes
    fold = np.repeat(np.arange(4), 50)
    first = split_within_folds(proba, y, fold, alpha=0.2)
    again = split_within_folds(proba, y, fold, alpha=0.2, seed=0)
    other = split_within_folds(proba, y, fold, alpha=0.2, seed=1)
    np.testing.assert_array_equal(first.covered, again.covered)
    assert first.quantiles == again.quantiles
    assert first.quantiles != other.quantiles
    assert first.set_size.dtype.kind == "i"
