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
