import numpy as np
import pytest

from classifier.decision import Decision, FamilyAggregator, decide


@pytest.mark.parametrize(
    ("score", "family_score", "expected"),
    [
        (0.95, 0.97, Decision.MATCH),
        (0.90, 0.90, Decision.MATCH),
        (0.6, 0.93, Decision.FAMILY_MATCH),
        (0.6, 0.85, Decision.NO_MATCH),
    ],
)
def test_decide_at_default_threshold(score, family_score, expected):
    assert decide(score, family_score) is expected


def test_threshold_is_configurable():
    assert decide(0.85, 0.85, threshold=0.8) is Decision.MATCH
    assert decide(0.85, 0.85, threshold=0.9) is Decision.NO_MATCH


def test_family_scores_sum_member_classes():
    agg = FamilyAggregator(("EWS", "DSRCT", "LMS"), ("ROUND", "ROUND", "SMOOTH"))
    scores = agg.family_scores(np.array([[0.5, 0.45, 0.05]]))
    assert agg.families == ("ROUND", "SMOOTH")
    np.testing.assert_allclose(scores, [[0.95, 0.05]])


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.9, 0.95])
def test_both_boundaries_are_inclusive_at_any_threshold(threshold):
    below = np.nextafter(threshold, 0.0)
    assert decide(threshold, threshold, threshold) is Decision.MATCH
    assert decide(below, threshold, threshold) is Decision.FAMILY_MATCH
    assert decide(below, below, threshold) is Decision.NO_MATCH
    assert decide(threshold, below, threshold) is Decision.MATCH


def test_default_threshold_is_the_reference_methods():
    assert decide(0.9, 0.0) is Decision.MATCH
    assert decide(np.nextafter(0.9, 0.0), 0.9) is Decision.FAMILY_MATCH
    assert decide(0.89, 0.89) is Decision.NO_MATCH


def test_families_keep_first_appearance_order_and_every_class_counts():
    agg = FamilyAggregator(("A", "B", "C", "D"), ("Y", "X", "Y", "Z"))
    assert agg.families == ("Y", "X", "Z")
    proba = np.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
    np.testing.assert_allclose(agg.family_scores(proba), [[0.4, 0.2, 0.4], [0.5, 0.25, 0.25]])
